import { Kvm } from '@nats-io/kv';
import type * as t from 'io-ts';
import type { Bus } from './connect.js';
import { decodeEvent } from './event-codec.js';
import type { BucketEntry } from './json-bucket.js';
import { Buckets, bucketStream, Subjects, TrustKeys } from './names.js';
import { provisionOwned, trustBuckets } from './provision.js';
import { followRepublishedKey, type KeyFollow } from './republished-key.js';

/**
 * Idempotently creates (or corrects) citadel's two buckets: mesh_trust (trust bundle
 * and token verification keys, for every reader, republished to `mesh.trust.<key>`)
 * and mesh_ca (signing keys; only citadel's NATS user may read it). Safe to run from
 * several replicas at once.
 */
export async function provisionTrustBuckets(bus: Bus): Promise<void> {
  await provisionOwned(bus, trustBuckets);
}

export type TrustKey = (typeof TrustKeys)[keyof typeof TrustKeys];

/**
 * Follows one key of mesh_trust the way a proxy can afford: a core subscription on
 * `mesh.trust.<key>` plus a get at start and after each reconnect (no server-side
 * consumer). onChange gets the current entry first (undefined when absent), then
 * every newer revision. A value that does not decode is logged and skipped.
 */
export async function followTrustKey<A, O>(
  bus: Bus,
  key: TrustKey,
  codec: t.Type<A, O, unknown>,
  onChange: (entry: BucketEntry<A> | undefined) => void,
): Promise<KeyFollow> {
  // Fails fast (stream not found) when citadel never provisioned it; tells whether direct gets work.
  const info = await bus.jsm.streams.info(bucketStream(Buckets.trust));
  const kv = await new Kvm(bus.js).open(Buckets.trust, { allow_direct: info.config.allow_direct === true });
  const decode = (data: Uint8Array, revision: number): A => {
    const decoded = decodeEvent(codec, data);
    if (decoded._tag === 'Left') throw new Error(`${Buckets.trust}/${key} revision ${revision} is not a valid ${codec.name}: ${decoded.left.reason}`);
    return decoded.right;
  };
  return followRepublishedKey(bus, { kv, key, updates: Subjects.trustUpdates(key), decode }, onChange);
}
