import type { KV } from '@nats-io/kv';
import type { Msg } from '@nats-io/transport-node';
import type { Bus } from './connect.js';

/** A followed key's value at one revision (its stream sequence). */
export interface FollowedEntry<A> {
  readonly value: A;
  readonly revision: number;
}

export interface KeyFollow {
  stop(): void;
}

export interface FollowKeyOptions<A> {
  /** The bucket, opened; only `get` is used. */
  readonly kv: KV;
  readonly key: string;
  /** Where the bucket's stream republishes this key's stored writes (`republish.dest`). */
  readonly updates: string;
  /** Stored bytes to a value; throwing skips that revision (logged), since a later one may be readable. */
  readonly decode: (data: Uint8Array, revision: number) => A;
}

// KV protocol header: the operation of a KV message. Republish headers: the stored message's
// stream sequence (= KV revision) and the previous sequence stored on the same subject.
const KV_OPERATION_HEADER = 'KV-Operation';
const REPUBLISHED_SEQUENCE_HEADER = 'Nats-Sequence';
const REPUBLISHED_LAST_SEQUENCE_HEADER = 'Nats-Last-Sequence';

const isDeletion = (operation: string | undefined): boolean => operation === 'DEL' || operation === 'PURGE';

/**
 * Calls onChange once with the key's current state, then on every newer revision
 * (undefined: deleted). Cheap enough for 10,000 proxies: one core subscription on
 * the republished updates (no server-side consumer), plus a get at start and after
 * every reconnect; older or repeated revisions are ignored. An update whose
 * previous revision is newer than the one we hold reveals missed writes; it still
 * carries the whole latest value, so it is applied and the gap only logged.
 */
export function followRepublishedKey<A>(bus: Bus, opts: FollowKeyOptions<A>, onChange: (entry: FollowedEntry<A> | undefined) => void): KeyFollow {
  const { kv, key, updates, decode } = opts;
  const log = bus.log;
  let revision = 0;
  let present = false;
  let reported = false;
  let stopped = false;
  // Updates taken from the subscription; a get that saw none of them may be older than they are.
  let updatesTaken = 0;

  const report = (next: FollowedEntry<A> | undefined): void => {
    reported = true;
    present = next !== undefined;
    try {
      onChange(next);
    } catch (err) {
      log.error({ key, subject: updates, err }, 'key follower callback failed');
    }
  };
  const consider = (rev: number, operation: string | undefined, data: Uint8Array): void => {
    if (stopped || rev <= revision) return;
    revision = rev;
    if (isDeletion(operation)) {
      report(undefined);
      return;
    }
    let value: A;
    try {
      value = decode(data, rev);
    } catch (err) {
      log.error({ key, revision: rev, err }, 'followed value does not decode, ignored');
      return;
    }
    report({ value, revision: rev });
  };
  const refresh = async (): Promise<void> => {
    const takenBefore = updatesTaken;
    const entry = await kv.get(key);
    if (stopped) return;
    if (entry !== null) {
      consider(entry.revision, entry.operation, entry.value);
    } else if (updatesTaken !== takenBefore) {
      // The server answers a get and republishes a write on different paths, so an update can
      // overtake the answer of a get read before it: "absent" is then stale, and any later
      // delete would arrive on the subscription we already hold.
    } else if (!reported || present) {
      // Never written, or purged while we were away.
      report(undefined);
    }
  };
  const refreshLogged = (): void => {
    refresh().catch((err: unknown) => log.warn({ key, err }, 'get of a followed key failed; waiting for the next update'));
  };

  // Subscribe before the first get, so no write can fall between the two.
  const sub = bus.nc.subscribe(updates, {
    callback: (err: Error | null, msg: Msg) => {
      if (err !== null) {
        log.error({ key, subject: updates, err }, 'key follower subscription failed');
        return;
      }
      const rev = Number(msg.headers?.get(REPUBLISHED_SEQUENCE_HEADER));
      if (!Number.isInteger(rev) || rev <= 0) {
        log.warn({ key, subject: msg.subject }, 'republished update without revision ignored');
        return;
      }
      const previous = Number(msg.headers?.get(REPUBLISHED_LAST_SEQUENCE_HEADER));
      if (reported && previous > revision && rev > revision) {
        log.debug({ key, held: revision, previous, revision: rev }, 'followed key missed revisions; applying the latest');
      }
      updatesTaken += 1;
      consider(rev, msg.headers?.get(KV_OPERATION_HEADER), msg.data);
    },
  });
  const offReconnect = bus.onReconnect(refreshLogged);
  refreshLogged();

  return {
    stop: () => {
      stopped = true;
      offReconnect();
      sub.unsubscribe();
    },
  };
}
