import { StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { Bus } from './connect.js';
import { Buckets, Limits } from './names.js';

/**
 * Idempotently creates citadel's two buckets: mesh_trust (trust bundle and token
 * verification keys, for every reader) and mesh_ca (signing keys; restrict it to
 * citadel's NATS user). Safe to run from several replicas at once: an identical
 * create is accepted by the server.
 */
export async function provisionTrustBuckets(bus: Bus): Promise<void> {
  const kvm = new Kvm(bus.js);
  await kvm.create(Buckets.trust, {
    description: 'trusted roots and token verification keys (JWKS)',
    history: Limits.trustHistory,
    maxValueSize: Limits.trustMaxValueBytes,
    storage: StorageType.File,
    replicas: 1,
  });
  await kvm.create(Buckets.ca, {
    description: 'citadel private: CA keys and state',
    history: Limits.caHistory,
    maxValueSize: Limits.caMaxValueBytes,
    storage: StorageType.File,
    replicas: 1,
  });
}
