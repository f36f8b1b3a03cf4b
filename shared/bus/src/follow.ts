import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import type * as t from 'io-ts';
import type { Bus } from './connect.js';
import { eventDecoder } from './event-codec.js';
import { untilJetStreamReady } from './jetstream-ready.js';
import {
  deleteQuietly,
  drainedUpTo,
  eventMeta,
  IDLE_HEARTBEAT_MS,
  openOrderedReplay,
  reachesTarget,
  type EventMeta,
  type OrderedReplay,
  type ReplayFrom,
} from './ordered-replay.js';

/**
 * Silence (no message, no idle heartbeat) after which the consumer counts as lost with its
 * server. The client only recreates an ordered consumer the server says is gone; one that lived
 * on a cluster node that died gets no answer at all (its info times out, and after a reconnect
 * the client stops watching heartbeats until it answers), so the follower opens a new one itself.
 */
const SILENCE_TO_RENEW_MS = 2.5 * IDLE_HEARTBEAT_MS;
const WATCHDOG_TICK_MS = IDLE_HEARTBEAT_MS / 2;
/**
 * Renewing runs while the stream (and maybe the JetStream meta group) elects a leader, when a
 * request may get no answer at all: the first attempts give up this soon and the next follows
 * shortly, so the new consumer opens right after the election rather than up to a 5 s timeout
 * later. Past them (an election takes at most ~10 s), the connection's own timeout, in case the
 * server is only slow.
 */
const RENEW_ATTEMPT_TIMEOUT_MS = 1_000;
const QUICK_RENEW_ATTEMPTS = 8;
const RENEW_RETRY_MS = 250;

export interface FollowOptions<A> extends ReplayFrom {
  readonly codec: t.Decoder<unknown, A>;
  /** Called strictly in stream order, one event at a time (awaited). Throwing stops the follower. */
  readonly onEvent: (value: A, meta: EventMeta) => void | Promise<void>;
  /** A message that did not decode; it is logged either way and following continues. */
  readonly onInvalid?: (meta: EventMeta, reason: string) => void;
}

export interface StreamFollower {
  /** Resolves once every message that existed at start has been handed over; rejects if the follower fails first. */
  readonly caughtUp: Promise<void>;
  /**
   * Settles when the follower ends: resolves after stop() or when the connection
   * is closed; rejects when onEvent/onInvalid throws (a bug: the state is now wrong).
   */
  readonly closed: Promise<void>;
  isCaughtUp(): boolean;
  /** Last stream sequence handed over (valid or not), 0 if none. */
  lastSequence(): number;
  stop(): Promise<void>;
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Observed by whoever cares; a follower failure is also logged, so an unobserved one is not a crash.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Replays `stream` from `fromSequence`, then follows it live, handing every
 * event to onEvent in order. Survives reconnects and server restarts.
 */
export async function followStream<A>(bus: Bus, opts: FollowOptions<A>): Promise<StreamFollower> {
  const { stream, codec, onEvent, onInvalid } = opts;
  const log = bus.log;
  const open = (): Promise<OrderedReplay> => openOrderedReplay(bus, opts);
  let current: OrderedReplay = bus.readyWait === undefined ? await open() : await untilJetStreamReady(`a consumer on ${stream}`, open, log, bus.readyWait);
  const { target } = current;
  const decode = eventDecoder(codec);
  const caughtUp = deferred();
  const closed = deferred();
  let isCaughtUp = false;
  let lastSequence = 0;
  let stopping = false;
  let renewing = false;
  let lastSign = Date.now();

  const markCaughtUp = (): void => {
    if (isCaughtUp) return;
    isCaughtUp = true;
    log.info({ stream, seq: lastSequence }, 'stream follower caught up');
    caughtUp.resolve();
  };
  if (target === 0) markCaughtUp();

  const watchStatus = async (iter: ConsumerMessages): Promise<void> => {
    for await (const status of iter.status()) {
      switch (status.type) {
        case 'heartbeat':
          lastSign = Date.now();
          if (!isCaughtUp && (await drainedUpTo(current.consumer, lastSequence).catch(() => false))) markCaughtUp();
          break;
        case 'heartbeats_missed':
          log.warn({ stream, count: status.count }, 'stream follower missed heartbeats');
          break;
        case 'ordered_consumer_recreated':
          // nats.js 3.4 recreates it with the lost consumer's pending count, so it pulls a batch of
          // ~1 and stalls until heartbeats are missed again (seconds); a fresh consume pulls a full batch.
          log.info({ stream, consumer: status.name, resumeAfter: lastSequence }, 'stream follower consumer recreated by the client: opening a fresh one');
          if (!renewing && !stopping) {
            renewing = true;
            current.messages.stop();
          }
          break;
        case 'stream_not_found':
          log.error({ stream }, 'stream follower: stream not found');
          break;
        default:
          break;
      }
    }
  };
  const watch = (iter: ConsumerMessages): void => {
    watchStatus(iter).catch((err: unknown) => log.debug({ stream, err }, 'stream follower status ended'));
  };
  watch(current.messages);
  let lastTick = Date.now();
  const watchdog = setInterval(() => {
    const now = Date.now();
    // A late tick means this process was busy (a long fold or derivation): the heartbeats may be
    // waiting unread, so silence is judged on the next tick, not now.
    const late = now - lastTick > 2 * WATCHDOG_TICK_MS;
    lastTick = now;
    if (late || renewing || stopping || now - lastSign < SILENCE_TO_RENEW_MS) return;
    renewing = true;
    current.messages.stop(); // ends run()'s loop over it, which then opens a new consumer
  }, WATCHDOG_TICK_MS);
  watchdog.unref();
  // Back on another server after ours died: the consumer may have died with it or be out of reach
  // (seen in the ha bench: 11 s with no message folded and no silence noticed). A new one costs a
  // request; waiting for the watchdog can cost the whole outage.
  const stopWatchingReconnects = bus.onReconnect(() => {
    if (renewing || stopping) return;
    renewing = true;
    current.messages.stop();
  });
  const quickRenew: Bus = {
    ...bus,
    js: jetstream(bus.nc, { timeout: RENEW_ATTEMPT_TIMEOUT_MS }),
    jsm: await jetstreamManager(bus.nc, { timeout: RENEW_ATTEMPT_TIMEOUT_MS, checkAPI: false }),
  };

  /** A new ordered consumer right after the last handled event; retried until it exists or we stop. */
  const renew = async (): Promise<boolean> => {
    const lost = current.consumer;
    log.warn({ stream, resumeAfter: lastSequence }, 'stream follower consumer lost or recreated: opening a new one');
    void deleteQuietly(lost);
    for (let attempt = 1; !stopping; attempt++) {
      try {
        await bus.waitConnected();
        current = await openOrderedReplay(attempt <= QUICK_RENEW_ATTEMPTS ? quickRenew : bus, { ...opts, fromSequence: lastSequence + 1 });
        lastSign = Date.now();
        renewing = false;
        // stop() ran while it was being opened and stopped only the lost one.
        if (stopping) {
          current.messages.stop();
          return false;
        }
        watch(current.messages);
        return true;
      } catch (err) {
        // Closed for good (drain, shutdown): end like the loop does on a closed connection.
        if (bus.nc.isClosed()) return false;
        // Every attempt fails alike through an election: a warning on the first and every 8th.
        if (attempt % 8 === 1) log.warn({ stream, err, attempt }, 'stream follower cannot open a new consumer yet; retrying');
        await sleep(RENEW_RETRY_MS);
      }
    }
    return false;
  };

  const run = async (): Promise<void> => {
    do {
      for await (const msg of current.messages) {
        if (stopping) break;
        const meta = eventMeta(msg);
        const decoded = decode(msg.data);
        if (decoded._tag === 'Left') {
          log.error({ stream, seq: msg.seq, subject: msg.subject, reason: decoded.left.reason }, 'undecodable event skipped');
          onInvalid?.(meta, decoded.left.reason);
        } else {
          await onEvent(decoded.right, meta);
        }
        lastSequence = msg.seq;
        lastSign = Date.now();
        if (!isCaughtUp && reachesTarget(msg, target)) markCaughtUp();
      }
    } while (renewing && !stopping && (await renew()));
  };
  const running = run()
    .finally(() => {
      clearInterval(watchdog);
      stopWatchingReconnects();
    })
    .then(
    () => {
      if (!stopping) log.warn({ stream, seq: lastSequence }, 'stream follower ended (connection closed)');
      caughtUp.reject(new Error(`follower of ${stream} ended before catching up`));
      closed.resolve();
    },
    (err: unknown) => {
      log.error({ stream, seq: lastSequence, err }, 'stream follower failed');
      current.messages.stop();
      caughtUp.reject(err);
      closed.reject(err);
    },
  );

  return {
    caughtUp: caughtUp.promise,
    closed: closed.promise,
    isCaughtUp: () => isCaughtUp,
    lastSequence: () => lastSequence,
    stop: async () => {
      if (!stopping) {
        stopping = true;
        current.messages.stop();
        await running;
        await deleteQuietly(current.consumer);
      }
      await closed.promise.catch(() => undefined);
    },
  };
}
