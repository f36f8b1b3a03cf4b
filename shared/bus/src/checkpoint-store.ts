import { createHash, randomBytes } from 'node:crypto';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Bus } from './connect.js';
import { ApiErrorCodes, isApiError } from './jetstream-api-error.js';
import { Buckets, bucketStream, kvSubject, Limits } from './names.js';
import { ensureCheckpointBucket } from './provision.js';

/**
 * Opaque snapshots of a fold at a stream position (pilot's config state at MESH_CONFIG sequence N,
 * its registry state at MESH_REGISTRY sequence M), in the KV bucket mesh_checkpoints: the bytes in
 * chunks under `[<kind>.]chunk.<name>.<i>`, then a manifest under `[<kind>.]latest`, so a reader
 * never sees half a checkpoint. Only the latest one is
 * kept. A plain KV bucket rather than the object store issue 6 names: the chunks plus a
 * manifest written last give the same all-or-nothing read, with the KV client the mesh already
 * uses instead of one more package (@nats-io/obj).
 */
export interface CheckpointStore {
  /** The latest checkpoint, undefined when there is none; Left when it cannot be read back intact. */
  readLatest(): Promise<Either<CheckpointUnreadable, StoredCheckpoint | undefined>>;
  /** Stores `data` as the checkpoint at `position`, unless one at or past it is already stored. */
  write(position: number, data: Uint8Array): Promise<Either<CheckpointSuperseded, CheckpointManifest>>;
}

export interface CheckpointManifest {
  readonly name: string;
  /** The stream position the checkpoint reflects. */
  readonly position: number;
  readonly bytes: number;
  readonly chunks: number;
  readonly sha256: string;
  readonly writtenAt: string;
}

export interface StoredCheckpoint {
  readonly manifest: CheckpointManifest;
  readonly data: Uint8Array;
}

/** The manifest or a chunk is missing, torn or not ours; the caller replays without it. */
export interface CheckpointUnreadable {
  readonly code: 'UNREADABLE';
  readonly reason: string;
}

/** Another writer (a second pilot replica) already stored a checkpoint at or past this position. */
export interface CheckpointSuperseded {
  readonly code: 'SUPERSEDED';
  /** Position of the stored checkpoint, when known. */
  readonly current?: number;
}

/** Which fold a store holds: config (MESH_CONFIG's state) and registry (MESH_REGISTRY's) are checkpointed apart, each at its own pace. */
export type CheckpointKind = 'config' | 'registry';

// The config checkpoint keeps the keys it had before registry checkpoints existed, so stored ones stay readable.
const keyPrefix = (kind: CheckpointKind): string => (kind === 'config' ? '' : `${kind}.`);
const MANIFEST_ATTEMPTS = 5;

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const isDeletion = (e: KvEntry | null): boolean => e === null || e.operation === 'DEL' || e.operation === 'PURGE';

function parseManifest(entry: KvEntry): Either<string, CheckpointManifest> {
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder().decode(entry.value));
  } catch {
    return left('the manifest is not JSON');
  }
  const o = m as Partial<Record<keyof CheckpointManifest, unknown>> | null;
  const count = (u: unknown): u is number => Number.isSafeInteger(u) && (u as number) >= 0;
  if (o === null || typeof o !== 'object' || typeof o.name !== 'string' || !/^[-a-z0-9]+$/.test(o.name) || !count(o.position) || !count(o.bytes) || !count(o.chunks) || typeof o.sha256 !== 'string' || typeof o.writtenAt !== 'string') {
    return left('the manifest lacks name, position, bytes, chunks or sha256');
  }
  return right(o as CheckpointManifest);
}

async function openOrCreateBucket(bus: Bus): Promise<KV> {
  // Pilot's provisioning creates it with the deployment's replica count; this only covers a caller that did not provision.
  await ensureCheckpointBucket(bus);
  return new Kvm(bus.js).open(Buckets.checkpoints);
}

export async function openCheckpointStore(bus: Bus, kind: CheckpointKind = 'config'): Promise<CheckpointStore> {
  const kv = await openOrCreateBucket(bus);
  const stream = bucketStream(Buckets.checkpoints);
  const LATEST_KEY = `${keyPrefix(kind)}latest`;
  const chunkPrefix = (name: string): string => `${keyPrefix(kind)}chunk.${name}`;
  const chunkKey = (name: string, i: number): string => `${chunkPrefix(name)}.${i}`;

  const removeChunks = async (name: string): Promise<void> => {
    await bus.jsm.streams.purge(stream, { filter: kvSubject(Buckets.checkpoints, `${chunkPrefix(name)}.>`) });
  };

  const readOnce = async (): Promise<Either<CheckpointUnreadable, StoredCheckpoint | undefined> | 'replaced'> => {
    const entry = await kv.get(LATEST_KEY);
    if (entry === null || isDeletion(entry)) return right(undefined);
    const manifest = parseManifest(entry);
    if (manifest._tag === 'Left') return left({ code: 'UNREADABLE', reason: manifest.left });
    const m = manifest.right;
    const data = new Uint8Array(m.bytes);
    let offset = 0;
    for (let i = 0; i < m.chunks; i++) {
      const chunk = await kv.get(chunkKey(m.name, i));
      if (chunk === null || isDeletion(chunk)) {
        // Purged by a writer that stored a newer checkpoint while we read this one.
        const now = await kv.get(LATEST_KEY);
        if (now !== null && now.revision !== entry.revision) return 'replaced';
        return left({ code: 'UNREADABLE', reason: `chunk ${i} of ${m.chunks} of checkpoint ${m.name} is missing` });
      }
      if (offset + chunk.value.length > m.bytes) return left({ code: 'UNREADABLE', reason: `checkpoint ${m.name} is longer than its manifest says` });
      data.set(chunk.value, offset);
      offset += chunk.value.length;
    }
    if (offset !== m.bytes) return left({ code: 'UNREADABLE', reason: `checkpoint ${m.name} has ${offset} bytes, its manifest says ${m.bytes}` });
    if (sha256(data) !== m.sha256) return left({ code: 'UNREADABLE', reason: `checkpoint ${m.name} does not match its SHA-256` });
    return right({ manifest: m, data });
  };

  return {
    readLatest: async () => {
      await bus.waitConnected();
      for (let attempt = 1; ; attempt++) {
        const result = await readOnce();
        if (result !== 'replaced') return result;
        if (attempt >= MANIFEST_ATTEMPTS) return left({ code: 'UNREADABLE', reason: 'checkpoints kept being replaced while reading' });
      }
    },

    write: async (position, data) => {
      await bus.waitConnected();
      const name = `p${position}-${randomBytes(6).toString('hex')}`;
      const chunks = Math.max(1, Math.ceil(data.length / Limits.checkpointChunkBytes));
      for (let i = 0; i < chunks; i++) {
        await kv.put(chunkKey(name, i), data.subarray(i * Limits.checkpointChunkBytes, (i + 1) * Limits.checkpointChunkBytes));
      }
      const manifest: CheckpointManifest = { name, position, bytes: data.length, chunks, sha256: sha256(data), writtenAt: new Date().toISOString() };
      const encoded = new TextEncoder().encode(JSON.stringify(manifest));
      for (let attempt = 1; attempt <= MANIFEST_ATTEMPTS; attempt++) {
        const current = await kv.get(LATEST_KEY);
        const previous = current === null || isDeletion(current) ? undefined : parseManifest(current);
        if (previous?._tag === 'Right' && previous.right.position >= position) {
          await removeChunks(name);
          return left({ code: 'SUPERSEDED', current: previous.right.position });
        }
        try {
          if (current === null) await kv.create(LATEST_KEY, encoded);
          else await kv.update(LATEST_KEY, encoded, current.revision);
        } catch (err) {
          if (isApiError(err, ApiErrorCodes.wrongLastSequence)) continue;
          throw err;
        }
        if (previous?._tag === 'Right') await removeChunks(previous.right.name);
        return right(manifest);
      }
      await removeChunks(name);
      return left({ code: 'SUPERSEDED' });
    },
  };
}
