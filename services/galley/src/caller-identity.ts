import type { Metadata } from '@grpc/grpc-js';
import { metadataActor } from '@jetmesh/rpc';

/** Recorded as the ChangeSet's actor when a caller does not say who it is. */
export const ANONYMOUS_ACTOR = 'anonymous';

/** Who is calling. Every handler asks here, so authorization (bearer tokens) has one place to plug in. */
export interface Caller {
  /** Recorded as the actor of the changes the caller makes. */
  readonly actor: string;
}

export const callerOf = (call: { readonly metadata: Metadata }): Caller => ({ actor: metadataActor(call) ?? ANONYMOUS_ACTOR });
