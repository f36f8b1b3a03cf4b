import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

/*
 * Mesh tokens: compact JWS (ES256) minted by citadel with a key only citadel
 * holds; anyone verifies them with the public JWK set citadel publishes in the
 * KV bucket mesh_trust (key `jwks`). A token names its holder in `sub` and the
 * service it is for in `aud`; a CA bootstrap token is scoped to one
 * namespace + service account (`ns`, `sa`) and its `sub` is that SPIFFE ID.
 * Other audiences (e.g. galley's write API) may carry further claims, returned
 * untouched in `extra`.
 */

export const MESH_TOKEN_ISSUER = 'jetmesh-citadel';
export const MESH_TOKEN_ALGORITHM = 'ES256';
/** The audience Istio agents use for CA tokens. */
export const CA_TOKEN_AUDIENCE = 'istio-ca';
/** Tolerated clock difference between minter and verifier. */
export const TOKEN_CLOCK_TOLERANCE_SECONDS = 5;

const registeredClaims = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'ns', 'sa']);

export interface MeshTokenClaims {
  readonly tokenId: string;
  readonly subject: string;
  readonly audience: readonly string[];
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  /** Claims beyond the registered ones. */
  readonly extra: Readonly<Record<string, unknown>>;
}

export type TokenRejectionCode = 'TOKEN_EXPIRED' | 'TOKEN_AUDIENCE' | 'TOKEN_SIGNATURE' | 'TOKEN_INVALID';

/** Why a token was refused; `path` is where it came from (e.g. `authorization`). */
export interface TokenRejection {
  readonly path: string;
  readonly reason: string;
  readonly code: TokenRejectionCode;
}

export type TokenVerification = Either<TokenRejection, MeshTokenClaims>;

export interface MeshTokenVerifier {
  /** `now` for tests; default the clock. */
  verify(token: string, opts: { readonly audience: string; readonly path?: string; readonly now?: Date }): Promise<TokenVerification>;
}

const rejection = (path: string, code: TokenRejectionCode, reason: string): TokenVerification => left({ path, reason, code });

function rejectionOf(err: unknown, path: string, audience: string): TokenVerification {
  if (err instanceof errors.JWTExpired) {
    const exp = typeof err.payload.exp === 'number' ? new Date(err.payload.exp * 1000).toISOString() : 'unknown';
    return rejection(path, 'TOKEN_EXPIRED', `token expired at ${exp}`);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return rejection(path, 'TOKEN_AUDIENCE', `token audience is not "${audience}"`);
    return rejection(path, 'TOKEN_INVALID', `token claim ${err.claim} invalid: ${err.reason}`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return rejection(path, 'TOKEN_SIGNATURE', 'token signature does not verify');
  if (err instanceof errors.JWKSNoMatchingKey) return rejection(path, 'TOKEN_SIGNATURE', 'token was not signed by a mesh token key');
  if (err instanceof errors.JOSEAlgNotAllowed) return rejection(path, 'TOKEN_INVALID', `token algorithm must be ${MESH_TOKEN_ALGORITHM}`);
  if (err instanceof errors.JOSEError) return rejection(path, 'TOKEN_INVALID', `token is malformed: ${err.message}`);
  throw err;
}

function claimsOf(payload: JWTPayload, path: string): TokenVerification {
  const { sub, jti, iat, exp, aud } = payload;
  if (typeof sub !== 'string' || sub === '') return rejection(path, 'TOKEN_INVALID', 'token has no subject (sub)');
  if (typeof jti !== 'string' || jti === '') return rejection(path, 'TOKEN_INVALID', 'token has no id (jti)');
  if (typeof exp !== 'number') return rejection(path, 'TOKEN_INVALID', 'token has no expiry (exp)');
  const ns = payload.ns;
  const sa = payload.sa;
  if ((ns !== undefined && typeof ns !== 'string') || (sa !== undefined && typeof sa !== 'string')) {
    return rejection(path, 'TOKEN_INVALID', 'token claims ns and sa must be strings');
  }
  const extra = Object.fromEntries(Object.entries(payload).filter(([k]) => !registeredClaims.has(k)));
  return right({
    tokenId: jti,
    subject: sub,
    audience: typeof aud === 'string' ? [aud] : (aud ?? []),
    issuedAt: new Date((iat ?? 0) * 1000),
    expiresAt: new Date(exp * 1000),
    ...(ns === undefined ? {} : { namespace: ns }),
    ...(sa === undefined ? {} : { serviceAccount: sa }),
    extra,
  });
}

/** Verifies mesh tokens with citadel's public keys: signature, issuer, audience, expiry. */
export function createMeshTokenVerifier(jwks: JSONWebKeySet): MeshTokenVerifier {
  const keys = createLocalJWKSet(jwks);
  return {
    verify: async (token, opts) => {
      const path = opts.path ?? 'authorization';
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: MESH_TOKEN_ISSUER,
          audience: opts.audience,
          algorithms: [MESH_TOKEN_ALGORITHM],
          requiredClaims: ['exp', 'sub', 'jti'],
          clockTolerance: TOKEN_CLOCK_TOLERANCE_SECONDS,
          ...(opts.now === undefined ? {} : { currentDate: opts.now }),
        });
        return claimsOf(payload, path);
      } catch (err) {
        return rejectionOf(err, path, opts.audience);
      }
    },
  };
}
