import { hostname, userInfo } from 'node:os';
import type { Metadata } from '@grpc/grpc-js';

/** Who is making a change; galley records it as the event's actor. */
export const ACTOR_METADATA_KEY = 'x-jetmesh-actor';

/** "user@host" of this process. */
export function localActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // Containers often run as a uid without a passwd entry.
    user = process.env.USER ?? `uid${process.getuid?.() ?? ''}`;
  }
  return `${user}@${hostname()}`;
}

/** The caller's actor, if it sent one. */
export function metadataActor(call: { readonly metadata: Metadata }): string | undefined {
  const [value] = call.metadata.get(ACTOR_METADATA_KEY);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
