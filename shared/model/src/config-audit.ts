import type * as t from 'io-ts';
import { type Either } from 'fp-ts/lib/Either.js';
import { decodeWith, enumOf, str, struct } from './codec/schema.js';
import type { Invalid } from './invalid.js';

/*
 * Galley's audit events (stream MESH_AUDIT): a config API call refused for want
 * of a valid token (UNAUTHENTICATED) or of scope (PERMISSION_DENIED). `actor` is
 * the token's subject when it verified, else `anonymous`; `replica` the galley
 * process that refused.
 */

export const ConfigAccessDeniedCodec = struct(
  'ConfigAccessDenied',
  {
    id: str,
    at: str,
    actor: str,
    replica: str,
    type: enumOf('ConfigAccessDeniedType', ['ConfigAccessDenied'] as const),
    /** The gRPC method, e.g. Apply. */
    method: str,
    /** The gRPC status the caller got. */
    status: enumOf('ConfigAccessStatus', ['UNAUTHENTICATED', 'PERMISSION_DENIED'] as const),
    /** Machine-readable cause, e.g. TOKEN_MISSING, TOKEN_EXPIRED, OUT_OF_SCOPE. */
    code: str,
    reason: str,
  },
  {
    /** What was asked for and refused (PERMISSION_DENIED only). */
    verb: str,
    namespace: str,
    tokenId: str,
    peer: str,
  },
);

export type ConfigAccessDenied = t.TypeOf<typeof ConfigAccessDeniedCodec>;

export const decodeConfigAccessDenied = (u: unknown): Either<Invalid[], ConfigAccessDenied> => decodeWith(ConfigAccessDeniedCodec, u);
