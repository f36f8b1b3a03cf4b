import type { Metadata } from '@grpc/grpc-js';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { firstDenied, type ConfigTokenScope, type ConfigVerb } from '@jetmesh/model';
import { checkConfigToken, metadataActor, metadataBearerToken } from '@jetmesh/rpc';
import type { TokenKeys } from './token-keys.js';

/** Recorded as the ChangeSet's actor when a caller does not say who it is. */
export const ANONYMOUS_ACTOR = 'anonymous';

/** `required`: every call needs a config token; `disabled`: anyone may do anything, the actor is what the caller claims. */
export const galleyAuthModes = ['required', 'disabled'] as const;
export type GalleyAuthMode = (typeof galleyAuthModes)[number];

/** Who is calling, and what they may do. */
export interface Caller {
  /** Recorded as the actor of the changes the caller makes: the token's subject when auth is required. */
  readonly actor: string;
  /** Undefined: unrestricted (auth disabled). */
  readonly scope?: ConfigTokenScope;
  readonly tokenId?: string;
}

/** Why a call was refused before it could do anything; becomes UNAUTHENTICATED or PERMISSION_DENIED and an audit event. */
export interface AccessRefusal {
  readonly status: 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
  /** e.g. TOKEN_MISSING, TOKEN_EXPIRED, OUT_OF_SCOPE. */
  readonly code: string;
  readonly reason: string;
  readonly actor: string;
  readonly tokenId?: string;
  readonly verb?: ConfigVerb;
  readonly namespace?: string;
}

export const isAccessRefusal = (u: unknown): u is AccessRefusal => typeof u === 'object' && u !== null && !Array.isArray(u) && 'status' in u;

export interface CallerIdentity {
  identify(call: { readonly metadata: Metadata }): Promise<Either<AccessRefusal, Caller>>;
}

/** The one place galley resolves who is calling; `keys` is needed only when auth is required. */
export function createCallerIdentity(mode: GalleyAuthMode, keys: TokenKeys | undefined): CallerIdentity {
  if (mode === 'disabled') return { identify: (call) => Promise.resolve(right({ actor: metadataActor(call) ?? ANONYMOUS_ACTOR })) };
  if (keys === undefined) throw new Error('galley auth is required but no token keys are followed');
  return {
    identify: async (call) => {
      const checked = await checkConfigToken(keys.verifier(), metadataBearerToken(call));
      if (checked._tag === 'Right') return right(checked.right);
      const { actor, ...rejection } = checked.left;
      return left({ status: 'UNAUTHENTICATED', ...rejection, actor: actor ?? ANONYMOUS_ACTOR });
    },
  };
}

/** PERMISSION_DENIED for the first (verb, namespace) the caller's scope does not cover. */
export function authorize(caller: Caller, wanted: ReadonlyArray<{ readonly verb: ConfigVerb; readonly namespace: string }>): Either<AccessRefusal, Caller> {
  if (caller.scope === undefined) return right(caller);
  const denied = firstDenied(caller.scope, wanted);
  if (denied === undefined) return right(caller);
  return left({
    status: 'PERMISSION_DENIED',
    code: 'OUT_OF_SCOPE',
    reason: `${caller.actor} may not ${denied.verb} in namespace ${denied.namespace === '*' ? '* (all namespaces)' : denied.namespace}`,
    actor: caller.actor,
    verb: denied.verb,
    namespace: denied.namespace,
    ...(caller.tokenId === undefined ? {} : { tokenId: caller.tokenId }),
  });
}
