import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { type CaRejection, rejection } from './ca-rejection.js';
import type { CertificateRequest } from './certificate-request.js';
import { parseSpiffeId, spiffeId, type WorkloadIdentity } from '@jetmesh/model';

/*
 * What citadel will sign, decided without I/O: a CSR that passed its own
 * checks, for the authenticated caller's own identity, for a permitted time.
 */

export interface IssuanceLimits {
  /** Used when the caller asks for 0 seconds. */
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;
}

/** Who is asking, as authentication established it. */
export interface Caller {
  readonly identity: WorkloadIdentity;
  /** How it proved that: `token <jti>` or `certificate <serial>`. */
  readonly requester: string;
}

export interface IssuanceDecision {
  readonly identity: WorkloadIdentity;
  readonly uri: string;
  readonly ttlMs: number;
}

const formatSeconds = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  if (s % 86_400 === 0) return `${s / 86_400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  return `${s}s`;
};

/** The lifetime asked for, or why it cannot be granted. */
export function requestedTtl(validitySeconds: number, limits: IssuanceLimits): Either<CaRejection, number> {
  const path = 'validity_duration';
  if (!Number.isSafeInteger(validitySeconds) || validitySeconds < 0) {
    return left(rejection(path, 'BAD_VALIDITY', `must be a whole number of seconds >= 0 (0 means the default, ${formatSeconds(limits.defaultTtlMs)}), got ${validitySeconds}`));
  }
  if (validitySeconds === 0) return right(limits.defaultTtlMs);
  const ttlMs = validitySeconds * 1000;
  if (ttlMs > limits.maxTtlMs) {
    return left(
      rejection(path, 'VALIDITY_TOO_LONG', `${validitySeconds} seconds is longer than the maximum of ${limits.maxTtlMs / 1000} seconds (${formatSeconds(limits.maxTtlMs)})`),
    );
  }
  return right(ttlMs);
}

/** The one URI SAN and nothing else, naming a workload SPIFFE ID; and no CA powers. */
function requestedIdentity(csr: CertificateRequest): Either<CaRejection[], WorkloadIdentity> {
  const path = 'csr.subjectAltName';
  const { uris, dnsNames, ipAddresses, emails, others } = csr.names;
  const problems: CaRejection[] = [];
  if (csr.caRequested.basicConstraints) problems.push(rejection('csr.basicConstraints', 'CA_REQUESTED', 'CA:true requested; workload certificates are never CAs'));
  if (csr.caRequested.keyCertSign) problems.push(rejection('csr.keyUsage', 'CA_REQUESTED', 'keyCertSign/cRLSign requested; workload certificates are never CAs'));
  if (uris.length === 0) problems.push(rejection(path, 'BAD_SAN', 'must hold the SPIFFE ID as its one URI name; found none'));
  if (uris.length > 1) problems.push(rejection(path, 'BAD_SAN', `must hold exactly one URI name; found ${uris.length} (${uris.join(', ')})`));
  if (dnsNames.length > 0) problems.push(rejection(path, 'BAD_SAN', `DNS names are not granted to workloads (found ${dnsNames.join(', ')})`));
  if (ipAddresses.length > 0) problems.push(rejection(path, 'BAD_SAN', `IP addresses are not granted to workloads (found ${ipAddresses.join(', ')})`));
  if (emails.length > 0) problems.push(rejection(path, 'BAD_SAN', `email addresses are not granted to workloads (found ${emails.join(', ')})`));
  if (others > 0) problems.push(rejection(path, 'BAD_SAN', `${others} name(s) of other kinds are not granted; only one URI`));
  const [uri] = uris;
  if (uris.length === 1 && uri !== undefined) {
    const parsed = parseSpiffeId(uri);
    if (parsed._tag === 'Left') problems.push(rejection(path, 'BAD_SAN', parsed.left));
    else if (problems.length === 0) return right(parsed.right);
  }
  return left(problems);
}

/**
 * Decides a certificate request. Input problems (CSR and validity) are
 * reported all at once; only a well-formed request is then checked against
 * the caller's identity, so a refusal never hides a typo.
 */
export function decideIssuance(
  caller: Caller,
  csr: Either<CaRejection[], CertificateRequest>,
  validitySeconds: number,
  limits: IssuanceLimits,
): Either<CaRejection[], IssuanceDecision> {
  const problems: CaRejection[] = [];
  const ttl = requestedTtl(validitySeconds, limits);
  if (ttl._tag === 'Left') problems.push(ttl.left);
  if (csr._tag === 'Left') problems.push(...csr.left);
  const identity = csr._tag === 'Right' ? requestedIdentity(csr.right) : undefined;
  if (identity?._tag === 'Left') problems.push(...identity.left);
  if (problems.length > 0 || ttl._tag === 'Left' || identity === undefined || identity._tag === 'Left') return left(problems);

  const asked = spiffeId(identity.right);
  const own = spiffeId(caller.identity);
  if (asked !== own) {
    const code = identity.right.trustDomain !== caller.identity.trustDomain ? 'FOREIGN_TRUST_DOMAIN' : 'IDENTITY_MISMATCH';
    return left([rejection('csr.subjectAltName', code, `asks for ${asked} but the caller is ${own}; a workload may only request its own identity`)]);
  }
  return right({ identity: identity.right, uri: asked, ttlMs: ttl.right });
}
