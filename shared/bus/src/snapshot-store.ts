import { Kvm, type KV } from '@nats-io/kv';
import { Empty, headers, type MsgHdrs } from '@nats-io/transport-node';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Bus } from './connect.js';
import { ApiErrorCodes, isApiError } from './jetstream-api-error.js';
import { Buckets, bucketStream, Limits, Subjects } from './names.js';
import { followRepublishedKey, type KeyFollow } from './republished-key.js';

export interface SnapshotEntry {
  /** The stored JSON, parsed. */
  readonly value: unknown;
  readonly revision: number;
}

/** The key moved on since the caller read it (`current` when the server said). */
export interface RevisionConflict {
  readonly code: 'REVISION_CONFLICT';
  readonly current?: number;
}

/** The snapshot exceeds the bucket's value limit; retrying cannot help. */
export interface SnapshotTooLarge {
  readonly code: 'TOO_LARGE';
  readonly bytes: number;
  readonly max: number;
}

export type SnapshotWatch = KeyFollow;

export interface SnapshotStore {
  /** Undefined when the key is absent or deleted. */
  get(key: string): Promise<SnapshotEntry | undefined>;
  /** 'absent': create only (a deleted key counts as absent); a number: update only from that revision. */
  put(
    key: string,
    value: unknown,
    expectedRevision: number | 'absent',
  ): Promise<Either<RevisionConflict | SnapshotTooLarge, { revision: number }>>;
  /** Writes a delete marker, only if the key is still at `expectedRevision`. */
  remove(key: string, expectedRevision: number): Promise<Either<RevisionConflict, { revision: number }>>;
  /** Keys holding a value (deleted ones excluded). */
  keys(): Promise<string[]>;
  /**
   * Calls onChange once with the current state, then on every newer revision
   * (undefined: deleted). Cheap enough for 10,000 proxies: one core
   * subscription on the republished updates plus a get at start and after
   * every reconnect; older or repeated revisions are ignored.
   */
  watchKey(key: string, onChange: (entry: SnapshotEntry | undefined) => void): SnapshotWatch;
}

// KV protocol header: the operation of a KV message.
const KV_OPERATION_HEADER = 'KV-Operation';
const validKey = /^[-/_=.a-zA-Z0-9]+$/;

function checkKey(key: string): void {
  if (!validKey.test(key) || key.startsWith('.') || key.endsWith('.') || key.includes('..')) {
    throw new TypeError(`"${key}" is not a valid snapshot key`);
  }
}

function currentRevision(err: { apiError(): { description: string } }): number | undefined {
  const match = /wrong last sequence: (\d+)/.exec(err.apiError().description);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function conflict(current: number | undefined): RevisionConflict {
  return current === undefined ? { code: 'REVISION_CONFLICT' } : { code: 'REVISION_CONFLICT', current };
}

function isDeletion(operation: string | undefined): boolean {
  return operation === 'DEL' || operation === 'PURGE';
}

function parseValue(key: string, revision: number, data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    throw new Error(`snapshot ${key} revision ${revision} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

export async function openSnapshotStore(bus: Bus): Promise<SnapshotStore> {
  const { js } = bus;
  // Fails fast (stream not found) when the mesh was never provisioned.
  const info = await bus.jsm.streams.info(bucketStream(Buckets.snapshots));
  const kv: KV = await new Kvm(js).open(Buckets.snapshots, { allow_direct: info.config.allow_direct === true });

  const get = async (key: string): Promise<SnapshotEntry | undefined> => {
    checkKey(key);
    await bus.waitConnected();
    const entry = await kv.get(key);
    if (entry === null || isDeletion(entry.operation)) return undefined;
    return { value: parseValue(key, entry.revision, entry.value), revision: entry.revision };
  };

  const put: SnapshotStore['put'] = async (key, value, expectedRevision) => {
    checkKey(key);
    if (expectedRevision !== 'absent' && !(Number.isInteger(expectedRevision) && expectedRevision > 0)) {
      throw new RangeError(`expectedRevision must be 'absent' or an integer >= 1, got ${expectedRevision}`);
    }
    const data = new TextEncoder().encode(JSON.stringify(value));
    if (data.length > Limits.snapshotMaxValueBytes) {
      return left({ code: 'TOO_LARGE', bytes: data.length, max: Limits.snapshotMaxValueBytes });
    }
    await bus.waitConnected();
    try {
      const revision =
        expectedRevision === 'absent' ? await kv.create(key, data) : await kv.update(key, data, expectedRevision);
      return right({ revision });
    } catch (err) {
      if (isApiError(err, ApiErrorCodes.wrongLastSequence)) return left(conflict(currentRevision(err)));
      if (isApiError(err, ApiErrorCodes.messageTooLarge)) {
        return left({ code: 'TOO_LARGE', bytes: data.length, max: Limits.snapshotMaxValueBytes });
      }
      throw err;
    }
  };

  const remove: SnapshotStore['remove'] = async (key, expectedRevision) => {
    checkKey(key);
    // Published by hand (not kv.delete) to learn the delete marker's revision.
    const hdrs: MsgHdrs = headers();
    hdrs.set(KV_OPERATION_HEADER, 'DEL');
    await bus.waitConnected();
    try {
      const ack = await js.publish(Subjects.snapshotKey(key), Empty, {
        headers: hdrs,
        expect: { lastSubjectSequence: expectedRevision },
      });
      return right({ revision: ack.seq });
    } catch (err) {
      if (isApiError(err, ApiErrorCodes.wrongLastSequence)) return left(conflict(currentRevision(err)));
      throw err;
    }
  };

  const keys = async (): Promise<string[]> => {
    await bus.waitConnected();
    const found: string[] = [];
    for await (const key of await kv.keys()) found.push(key);
    return found;
  };

  const watchKey: SnapshotStore['watchKey'] = (key, onChange) => {
    checkKey(key);
    return followRepublishedKey(
      bus,
      { kv, key, updates: Subjects.snapshotUpdates(key), decode: (data, revision) => parseValue(key, revision, data) },
      onChange,
    );
  };

  return { get, put, remove, keys, watchKey };
}
