import { createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { parseSpiffeId, spiffeId, type WorkloadIdentity } from './spiffe-id.js';
import type { TrustBundle } from './trust-bundle.js';
import { registrationSigningBytes, type RegistrationRefusal, type UnsignedRegistration, type WorkloadRegistration } from './workload-registration.js';

/*
 * Signing and checking a WorkloadRegistration with the workload's certificate key
 * (node:crypto; the clock is a parameter). Galley runs verifyCertificateChain then
 * verifyRegistration; a proxy runs signRegistration.
 */

/** How far `at` may be from the verifier's clock: bounds how long a captured request could be replayed. */
export const REGISTRATION_MAX_SKEW_MS = 60_000;
/** Leaf, intermediates, root: more than this is not a chain citadel issues. */
const MAX_CHAIN_LENGTH = 5;

const pemBlocks = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

/** The request with its signature, made with the PEM private key of the leaf of `certChain`. */
export function signRegistration(request: UnsignedRegistration, keyPem: string): WorkloadRegistration {
  const signature = sign('sha256', registrationSigningBytes(request), createPrivateKey(keyPem)).toString('base64');
  return { ...request, signature };
}

/** A certificate chain that verified against a trust bundle: who it names and when it is valid. */
export interface VerifiedChain {
  readonly spiffeId: string;
  readonly identity: WorkloadIdentity;
  readonly leafKey: KeyObject;
  /** The window in which every certificate of the chain (and the root it ends at) is valid. */
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The roots of a bundle, parsed once per bundle by the verifier; a root that does not parse is left out. */
export function trustedRoots(bundle: TrustBundle): X509Certificate[] {
  const roots: X509Certificate[] = [];
  for (const root of bundle.roots) {
    try {
      roots.push(new X509Certificate(root.pem));
    } catch {
      // citadel wrote it; a broken one trusts nothing rather than everything
    }
  }
  return roots;
}

const unauthenticated = (reason: string): Either<RegistrationRefusal, never> => left({ code: 'UNAUTHENTICATED', reason });
const permissionDenied = (reason: string): Either<RegistrationRefusal, never> => left({ code: 'PERMISSION_DENIED', reason });

const validity = (cert: X509Certificate): { from: number; to: number } => ({ from: new Date(cert.validFrom).getTime(), to: new Date(cert.validTo).getTime() });

/** URI SANs of a certificate, from Node's `URI:a, DNS:b` rendering (values may be quoted when they hold a comma). */
function uriSans(cert: X509Certificate): string[] {
  const text = cert.subjectAltName ?? '';
  return [...text.matchAll(/(?:^|, )URI:("(?:[^"\\]|\\.)*"|[^,]*)/g)].map((m) => {
    const value = m[1] ?? '';
    return value.startsWith('"') ? (JSON.parse(value) as string) : value;
  });
}

/**
 * Checks `chainPem` (leaf first) against `roots` (of the bundle of `trustDomain`) at `now`: every
 * certificate signed by the next, the last one by (or being) a trusted root, all valid at `now`,
 * and the leaf a non-CA naming exactly one workload SPIFFE ID of that trust domain.
 */
export function verifyCertificateChain(chainPem: string, roots: readonly X509Certificate[], trustDomain: string, now: Date): Either<RegistrationRefusal, VerifiedChain> {
  const blocks = pemBlocks(chainPem);
  if (blocks.length === 0) return unauthenticated('certChain: no PEM certificate in it');
  if (blocks.length > MAX_CHAIN_LENGTH) return unauthenticated(`certChain: ${blocks.length} certificates, at most ${MAX_CHAIN_LENGTH}`);
  let certs: X509Certificate[];
  try {
    certs = blocks.map((pem) => new X509Certificate(pem));
  } catch (err) {
    return unauthenticated(`certChain: not a certificate (${(err as Error).message})`);
  }
  const leaf = certs[0]!;
  if (leaf.ca) return unauthenticated('certChain: the leaf is a CA certificate, not a workload certificate');
  const t = now.getTime();
  let from = -Infinity;
  let to = Infinity;
  const within = (cert: X509Certificate, what: string): string | undefined => {
    const v = validity(cert);
    from = Math.max(from, v.from);
    to = Math.min(to, v.to);
    if (t < v.from) return `certChain: ${what} is not valid before ${cert.validFrom}`;
    if (t > v.to) return `certChain: ${what} expired at ${cert.validTo}`;
    return undefined;
  };
  let trusted = false;
  for (let i = 0; i < certs.length && !trusted; i++) {
    const cert = certs[i]!;
    const what = i === 0 ? 'the leaf' : `certificate ${i} (${cert.subject.replaceAll('\n', ', ')})`;
    const expired = within(cert, what);
    if (expired !== undefined) return unauthenticated(expired);
    if (roots.some((root) => root.fingerprint256 === cert.fingerprint256)) {
      trusted = true;
      break;
    }
    const root = roots.find((r) => cert.checkIssued(r) && cert.verify(r.publicKey));
    if (root !== undefined) {
      const rootExpired = within(root, `the root ${root.subject.replaceAll('\n', ', ')}`);
      if (rootExpired !== undefined) return unauthenticated(rootExpired);
      trusted = true;
      break;
    }
    const issuer = certs[i + 1];
    if (issuer === undefined) return unauthenticated(`certChain: does not chain to a root of the trust bundle of ${trustDomain}`);
    if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      return unauthenticated(`certChain: ${what} is not signed by certificate ${i + 1} of the chain`);
    }
  }
  if (!trusted) return unauthenticated(`certChain: does not chain to a root of the trust bundle of ${trustDomain}`);
  const spiffeIds = uriSans(leaf).filter((uri) => uri.startsWith('spiffe://'));
  if (spiffeIds.length !== 1) return unauthenticated(`certChain: the leaf names ${spiffeIds.length} SPIFFE IDs, a workload certificate names exactly one`);
  const parsed = parseSpiffeId(spiffeIds[0]!);
  if (parsed._tag === 'Left') return unauthenticated(`certChain: ${parsed.left}`);
  if (parsed.right.trustDomain !== trustDomain) return unauthenticated(`certChain: ${spiffeIds[0]!} is not of trust domain ${trustDomain}`);
  return right({ spiffeId: spiffeId(parsed.right), identity: parsed.right, leafKey: leaf.publicKey, notBefore: new Date(from), notAfter: new Date(to) });
}

/**
 * The rest of galley's checks, given the request's chain verified: `at` within maxSkewMs of
 * `now`, the chain still valid, the signature by the leaf's key, and the request about the
 * leaf's own identity (namespace and workload.serviceAccount). Right: the SPIFFE ID that asks.
 */
export function verifyRegistration(
  request: WorkloadRegistration,
  chain: VerifiedChain,
  now: Date,
  maxSkewMs: number = REGISTRATION_MAX_SKEW_MS,
): Either<RegistrationRefusal, VerifiedChain> {
  const at = Date.parse(request.at);
  if (!/^\d{4}-\d\d-\d\dT/.test(request.at) || Number.isNaN(at)) return left({ code: 'INVALID', reason: `at: "${request.at}" is not an RFC 3339 time` });
  const skew = at - now.getTime();
  if (Math.abs(skew) > maxSkewMs) {
    return unauthenticated(`at: signed at ${request.at}, ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'before' : 'after'} galley's clock (at most ${maxSkewMs / 1000} s)`);
  }
  if (now.getTime() < chain.notBefore.getTime() || now.getTime() > chain.notAfter.getTime()) {
    return unauthenticated(`certChain: not valid now (valid ${chain.notBefore.toISOString()} to ${chain.notAfter.toISOString()})`);
  }
  let signed: boolean;
  try {
    signed = verify('sha256', registrationSigningBytes(request), chain.leafKey, Buffer.from(request.signature, 'base64'));
  } catch {
    signed = false;
  }
  if (!signed) return unauthenticated(`signature: does not verify with the key of the certificate of ${chain.spiffeId}`);
  const { namespace, serviceAccount } = chain.identity;
  if (request.namespace !== namespace) {
    return permissionDenied(`namespace: ${chain.spiffeId} may register workloads only in namespace "${namespace}", not "${request.namespace}"`);
  }
  if (request.workload.serviceAccount !== serviceAccount) {
    const claimed = request.workload.serviceAccount === undefined ? 'none' : `"${request.workload.serviceAccount}"`;
    return permissionDenied(`workload.serviceAccount: ${chain.spiffeId} may register only service account "${serviceAccount}", the workload says ${claimed}`);
  }
  return right(chain);
}
