import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { CONFIG_TOKEN_AUDIENCE, decodeConfigTokenScope, formatInvalid, type ConfigTokenScope } from '@jetmesh/model';
import type { MeshTokenVerifier } from './ca-token.js';

/** Who a valid config token names and what it lets them do. */
export interface ConfigTokenHolder {
  readonly actor: string;
  readonly scope: ConfigTokenScope;
  readonly tokenId: string;
}

/** Why a config token does not identify anyone: TOKEN_MISSING, TOKEN_EXPIRED, …; actor/tokenId once known. */
export interface ConfigTokenRejection {
  readonly code: string;
  readonly reason: string;
  readonly actor?: string;
  readonly tokenId?: string;
}

/**
 * The one check of a config token, for galley and the console alike: citadel's keys (undefined
 * until citadel has published them), audience jetmesh-config, and the scope claims the model decodes.
 */
export async function checkConfigToken(verifier: MeshTokenVerifier | undefined, token: string | undefined): Promise<Either<ConfigTokenRejection, ConfigTokenHolder>> {
  if (token === undefined) return left({ code: 'TOKEN_MISSING', reason: 'authorization: a config token is required (authorization: Bearer <token>; see `jetmesh token create --actor`)' });
  if (verifier === undefined) return left({ code: 'TOKEN_KEYS_UNAVAILABLE', reason: 'authorization: token verification keys are not published yet (is citadel running?)' });
  const verified = await verifier.verify(token, { audience: CONFIG_TOKEN_AUDIENCE });
  if (verified._tag === 'Left') return left({ code: verified.left.code, reason: `${verified.left.path}: ${verified.left.reason}` });
  const claims = verified.right;
  const scope = decodeConfigTokenScope(claims.extra);
  if (scope._tag === 'Left') {
    return left({ code: 'TOKEN_INVALID', reason: `authorization: token scope invalid: ${scope.left.map(formatInvalid).join('; ')}`, actor: claims.subject, tokenId: claims.tokenId });
  }
  return right({ actor: claims.subject, scope: scope.right, tokenId: claims.tokenId });
}
