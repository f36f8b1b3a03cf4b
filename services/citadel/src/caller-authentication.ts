import { X509Certificate } from 'node:crypto';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { CA_TOKEN_AUDIENCE, type MeshTokenVerifier } from '@jetmesh/rpc';
import { type CaRejection, rejection } from './ca-rejection.js';
import type { Caller } from './issuance-policy.js';
import { namespaceReason, parseSpiffeId, serviceAccountReason, spiffeId } from '@jetmesh/model';

/** What a CreateCertificate call brought to prove who it is. */
export interface Credentials {
  /** From `authorization: Bearer …`. */
  readonly token?: string;
  /** The client certificate, DER, when TLS verified it against the trusted roots. */
  readonly peerCertificate?: Buffer;
}

export interface AuthenticationContext {
  readonly trustDomain: string;
  readonly tokens: MeshTokenVerifier;
  /** The certificates that sign workload certificates, of every currently trusted root. */
  readonly issuers: readonly X509Certificate[];
  readonly now: Date;
}

const NO_CREDENTIAL =
  'no credential: send authorization: Bearer <token from jetmesh token create>, or renew over mutual TLS with a current certificate from a trusted root';

async function byToken(token: string, ctx: AuthenticationContext): Promise<Either<CaRejection, Caller>> {
  const verified = await ctx.tokens.verify(token, { audience: CA_TOKEN_AUDIENCE, path: 'authorization', now: ctx.now });
  if (verified._tag === 'Left') return left(verified.left);
  const claims = verified.right;
  if (claims.namespace === undefined || claims.serviceAccount === undefined) {
    return left(rejection('authorization', 'TOKEN_INVALID', 'token is not scoped to a namespace and service account (claims ns, sa)'));
  }
  const scopeProblem = namespaceReason(claims.namespace) ?? serviceAccountReason(claims.serviceAccount);
  if (scopeProblem !== undefined) return left(rejection('authorization', 'TOKEN_INVALID', `token scope: ${scopeProblem}`));
  const identity = { trustDomain: ctx.trustDomain, namespace: claims.namespace, serviceAccount: claims.serviceAccount };
  if (claims.subject !== spiffeId(identity)) {
    return left(rejection('authorization', 'TOKEN_INVALID', `token subject ${claims.subject} does not match its scope ${spiffeId(identity)}`));
  }
  return right({ identity, requester: `token ${claims.tokenId}` });
}

/**
 * Renewal: TLS already checked the chain against the trusted roots at handshake
 * time; checked again here, since a connection may outlive a root's removal.
 */
function byCertificate(der: Buffer, ctx: AuthenticationContext): Either<CaRejection, Caller> {
  const path = 'client certificate';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return left(rejection(path, 'CERT_UNTRUSTED', 'is not a readable X.509 certificate'));
  }
  const now = ctx.now.getTime();
  if (Date.parse(cert.validTo) <= now) return left(rejection(path, 'CERT_EXPIRED', `expired at ${new Date(cert.validTo).toISOString()}`));
  if (Date.parse(cert.validFrom) > now) return left(rejection(path, 'CERT_UNTRUSTED', `not valid before ${new Date(cert.validFrom).toISOString()}`));
  if (!ctx.issuers.some((issuer) => cert.checkIssued(issuer) && cert.verify(issuer.publicKey))) {
    return left(rejection(path, 'CERT_UNTRUSTED', 'does not chain to a currently trusted root'));
  }
  const uris = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((name) => name.startsWith('URI:'))
    .map((name) => name.slice(4));
  const [uri] = uris;
  if (uris.length !== 1 || uri === undefined) return left(rejection(path, 'CERT_UNTRUSTED', 'must name exactly one SPIFFE ID'));
  const identity = parseSpiffeId(uri);
  if (identity._tag === 'Left') return left(rejection(path, 'CERT_UNTRUSTED', identity.left));
  if (identity.right.trustDomain !== ctx.trustDomain) {
    return left(rejection(path, 'FOREIGN_TRUST_DOMAIN', `belongs to trust domain ${identity.right.trustDomain}, not ${ctx.trustDomain}`));
  }
  return right({ identity: identity.right, requester: `certificate ${cert.serialNumber}` });
}

/** The caller's identity: from a token if one was sent (never falling back), else from its certificate. */
export async function authenticateCaller(credentials: Credentials, ctx: AuthenticationContext): Promise<Either<CaRejection, Caller>> {
  if (credentials.token !== undefined) return byToken(credentials.token, ctx);
  if (credentials.peerCertificate !== undefined) return byCertificate(credentials.peerCertificate, ctx);
  return left(rejection('', 'NO_CREDENTIAL', NO_CREDENTIAL));
}
