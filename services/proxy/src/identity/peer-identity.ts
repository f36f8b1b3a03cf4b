import type { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { parseSpiffeId, spiffeId as formatSpiffeId, type WorkloadIdentity } from '@jetmesh/model';

/*
 * Who is on the other end of a mesh connection. TLS itself verifies the chain
 * against the trust bundle; these only read and check the SPIFFE ID it carries.
 */

const SPIFFE_SCHEME = 'spiffe://';

/** The URI names of a certificate's subjectAltName text ("URI:a, DNS:b"; Node quotes entries holding ',' or '"'). */
function uriNames(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined || subjectAltName === '') return [];
  const names: string[] = [];
  // Entries are `TYPE:value` or `TYPE:"json-escaped value"`, separated by ", ".
  const entry = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const match of subjectAltName.matchAll(entry)) {
    const [, type, raw = ''] = match;
    if (type !== 'URI') continue;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        continue;
      }
    }
    names.push(value);
  }
  return names;
}

const isX509 = (cert: PeerCertificate | X509Certificate): cert is X509Certificate => typeof (cert as X509Certificate).checkHost === 'function';

/**
 * The SPIFFE ID (`spiffe://…` URI SAN) of a peer certificate, from
 * `socket.getPeerCertificate()` or an X509Certificate; undefined when it has
 * none, or more than one (a mesh certificate names exactly one identity).
 */
export function peerSpiffeId(cert: PeerCertificate | X509Certificate | undefined | null): string | undefined {
  if (cert === undefined || cert === null) return undefined;
  const san = isX509(cert) ? cert.subjectAltName : cert.subjectaltname;
  const ids = uriNames(san).filter((uri) => uri.startsWith(SPIFFE_SCHEME));
  return ids.length === 1 ? ids[0] : undefined;
}

/** Istio's principal form of a SPIFFE ID, as AuthorizationPolicy `principals` name it: `cluster.local/ns/x/sa/y`. */
export function istioPrincipal(spiffeId: string): string {
  return spiffeId.startsWith(SPIFFE_SCHEME) ? spiffeId.slice(SPIFFE_SCHEME.length) : spiffeId;
}

/** What a client expects of the peer it dials: one service account, or (omitted) any workload of the trust domain. */
export interface PeerExpectation {
  readonly trustDomain: string;
  readonly expected?: { readonly namespace: string; readonly serviceAccount: string };
}

/** The peer's workload identity when it meets the expectation, else why not (one sentence). */
export function checkPeerIdentity(cert: PeerCertificate | X509Certificate | undefined | null, expect: PeerExpectation): { identity: WorkloadIdentity } | { reason: string } {
  const id = peerSpiffeId(cert);
  if (id === undefined) return { reason: 'peer certificate names no single SPIFFE ID (URI SAN spiffe://…)' };
  const parsed = parseSpiffeId(id);
  if (parsed._tag === 'Left') return { reason: `peer certificate: ${parsed.left}` };
  const identity = parsed.right;
  if (identity.trustDomain !== expect.trustDomain) {
    return { reason: `peer ${id} belongs to trust domain ${identity.trustDomain}, not ${expect.trustDomain}` };
  }
  const wanted = expect.expected;
  if (wanted !== undefined && (identity.namespace !== wanted.namespace || identity.serviceAccount !== wanted.serviceAccount)) {
    const expectedId = formatSpiffeId({ trustDomain: expect.trustDomain, ...wanted });
    return { reason: `peer is ${id}, expected ${expectedId}` };
  }
  return { identity };
}

/** The error tls.connect reports when the peer is not who the client expects. */
export class PeerIdentityError extends Error {
  override readonly name = 'PeerIdentityError';
  readonly code = 'ERR_PEER_IDENTITY';
}

/**
 * A `checkServerIdentity` for `tls.connect` to a peer proxy: SPIFFE certificates
 * carry no DNS name, so the host name check is replaced by the identity check.
 * Node calls it only after the chain verified against `ca` (the trust bundle).
 * Node skips it on a resumed session, so clients dialling different identities
 * must not share a session cache.
 */
export function peerIdentityCheck(expect: PeerExpectation): (hostname: string, cert: PeerCertificate) => Error | undefined {
  return (_hostname, cert) => {
    const checked = checkPeerIdentity(cert, expect);
    return 'reason' in checked ? new PeerIdentityError(checked.reason) : undefined;
  };
}
