import { Kvm, type KV } from '@nats-io/kv';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { Bus } from './connect.js';
import { decodeEvent, encodeEvent } from './event-codec.js';
import { ApiErrorCodes, isApiError } from './jetstream-api-error.js';
import type { RevisionConflict } from './snapshot-store.js';

export interface BucketEntry<A> {
  readonly value: A;
  readonly revision: number;
}

export interface BucketWatch {
  stop(): void;
}

/** A KV bucket whose values are JSON documents of one codec, written only with a revision guard. */
export interface JsonBucket<A> {
  readonly bucket: string;
  /** Undefined when the key is absent or deleted. */
  get(key: string): Promise<BucketEntry<A> | undefined>;
  /** Only if the key holds nothing yet: of two racing creators exactly one wins. */
  create(key: string, value: A): Promise<Either<RevisionConflict, { revision: number }>>;
  /** Only if the key is still at `expectedRevision`. */
  update(key: string, value: A, expectedRevision: number): Promise<Either<RevisionConflict, { revision: number }>>;
  /**
   * Calls onChange with the current entry (undefined when absent), then with
   * every later one. One server-side consumer per watch: meant for a handful of
   * service replicas, not for thousands of proxies.
   */
  watch(key: string, onChange: (entry: BucketEntry<A> | undefined) => void): Promise<BucketWatch>;
}

function currentRevision(err: { apiError(): { description: string } }): number | undefined {
  const match = /wrong last sequence: (\d+)/.exec(err.apiError().description);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const isDeletion = (operation: string): boolean => operation === 'DEL' || operation === 'PURGE';

/** Opens an existing bucket; fails fast (stream not found) when it was never provisioned. */
export async function openJsonBucket<A, O>(bus: Bus, bucket: string, codec: t.Type<A, O, unknown>): Promise<JsonBucket<A>> {
  const kv: KV = await new Kvm(bus.js).open(bucket);

  const decode = (key: string, revision: number, data: Uint8Array): A => {
    const decoded = decodeEvent(codec, data);
    // Only our own writers put values here: one that does not decode is a bug or tampering.
    if (decoded._tag === 'Left') throw new Error(`${bucket}/${key} revision ${revision} is not a valid ${codec.name}: ${decoded.left.reason}`);
    return decoded.right;
  };

  const guarded = async (write: () => Promise<number>): Promise<Either<RevisionConflict, { revision: number }>> => {
    await bus.waitConnected();
    try {
      return right({ revision: await write() });
    } catch (err) {
      if (isApiError(err, ApiErrorCodes.wrongLastSequence)) {
        const current = currentRevision(err);
        return left(current === undefined ? { code: 'REVISION_CONFLICT' } : { code: 'REVISION_CONFLICT', current });
      }
      throw err;
    }
  };

  return {
    bucket,
    get: async (key) => {
      await bus.waitConnected();
      const entry = await kv.get(key);
      if (entry === null || isDeletion(entry.operation)) return undefined;
      return { value: decode(key, entry.revision, entry.value), revision: entry.revision };
    },
    create: (key, value) => guarded(() => kv.create(key, encodeEvent(codec, value))),
    update: (key, value, expectedRevision) => guarded(() => kv.update(key, encodeEvent(codec, value), expectedRevision)),
    watch: async (key, onChange) => {
      const updates = await kv.watch({ key });
      let stopped = false;
      // The watch delivers the last value first; for an absent key it delivers nothing, so say so here.
      if ((await kv.get(key)) === null) onChange(undefined);
      void (async () => {
        for await (const entry of updates) {
          if (stopped) break;
          try {
            if (isDeletion(entry.operation)) onChange(undefined);
            else onChange({ value: decode(key, entry.revision, entry.value), revision: entry.revision });
          } catch (err) {
            bus.log.error({ bucket, key, err }, 'bucket watcher failed on an entry');
          }
        }
      })().catch((err: unknown) => bus.log.error({ bucket, key, err }, 'bucket watch ended'));
      return {
        stop: () => {
          stopped = true;
          updates.stop();
        },
      };
    },
  };
}
