import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Bus } from './connect.js';
import { ApiErrorCodes, isApiError } from './jetstream-api-error.js';

/** Where an event sits in its stream. */
export interface EventMeta {
  readonly seq: number;
  readonly subject: string;
  readonly time: Date;
  readonly headers?: Record<string, string>;
}

export interface ReplayFrom {
  readonly stream: string;
  /** One subject filter (nats-server 2.9 has no multi-filter consumers). */
  readonly filterSubject?: string;
  /** 1 = from the start. */
  readonly fromSequence: number;
}

/** An ordered consumer positioned at `fromSequence`, plus where "caught up" is. */
export interface OrderedReplay {
  readonly consumer: Consumer;
  readonly messages: ConsumerMessages;
  /**
   * Stream sequence of the last message (matching the filter) that existed at
   * start; 0 when there was nothing at or after fromSequence.
   */
  readonly target: number;
}

// Enough to keep the handler busy without holding much of a large replay in memory.
const BATCH_MESSAGES = 256;
const PULL_EXPIRES_MS = 30_000;
// How soon a follower notices a consumer lost with its server (a cluster node dying while the
// client sits on another): it renews after a few missed ones, before the stream's new leader
// (elected 4-9 s after the old one's last word on nats-server 2.9) can take the new consumer.
// The client's default is expires/2.
export const IDLE_HEARTBEAT_MS = 1_000;

/** The last sequence in `stream` (0 when empty). */
export async function streamLastSequence(bus: Bus, stream: string): Promise<number> {
  return (await bus.jsm.streams.info(stream)).state.last_seq;
}

/** Sequence of the last message stored on `subject`, 0 when the stream holds none (never written, compacted away or purged). */
export const lastSequenceOnSubject = (bus: Bus, stream: string, subject: string): Promise<number> => lastMatchingSequence(bus, stream, subject);

async function lastMatchingSequence(bus: Bus, stream: string, filterSubject: string | undefined): Promise<number> {
  if (filterSubject === undefined) return streamLastSequence(bus, stream);
  try {
    const last = await bus.jsm.streams.getMessage(stream, { last_by_subj: filterSubject });
    return last?.seq ?? 0;
  } catch (err) {
    if (isApiError(err, ApiErrorCodes.noMessageFound)) return 0;
    throw err;
  }
}

export async function openOrderedReplay(bus: Bus, from: ReplayFrom): Promise<OrderedReplay> {
  if (!Number.isInteger(from.fromSequence) || from.fromSequence < 1) {
    throw new RangeError(`fromSequence must be an integer >= 1, got ${from.fromSequence}`);
  }
  const last = await lastMatchingSequence(bus, from.stream, from.filterSubject);
  // An ordered consumer recreates itself (from the last delivered sequence)
  // after a reconnect, a server restart or a gap, so no message is lost or repeated.
  const consumer = await bus.js.consumers.get(from.stream, {
    opt_start_seq: from.fromSequence,
    ...(from.filterSubject === undefined ? {} : { filter_subjects: from.filterSubject }),
  });
  const info = await consumer.info(true);
  const target = info.num_pending === 0 || last < from.fromSequence ? 0 : last;
  const messages = await consumer.consume({ max_messages: BATCH_MESSAGES, expires: PULL_EXPIRES_MS, idle_heartbeat: IDLE_HEARTBEAT_MS });
  return { consumer, messages, target };
}

/** True once `msg` is at or past the target, or nothing is left behind it. */
export function reachesTarget(msg: JsMsg, target: number): boolean {
  return msg.seq >= target || msg.info.pending === 0;
}

/**
 * For an idle consumer that never reached its target (the target message was
 * deleted): true when the server has nothing pending and we handled all it sent.
 */
export async function drainedUpTo(consumer: Consumer, lastHandled: number): Promise<boolean> {
  const info = await consumer.info();
  return info.num_pending === 0 && info.delivered.stream_seq <= lastHandled;
}

export function eventMeta(msg: JsMsg): EventMeta {
  const meta = { seq: msg.seq, subject: msg.subject, time: msg.time };
  if (msg.headers === undefined) return meta;
  const headers: Record<string, string> = {};
  for (const key of msg.headers.keys()) headers[key] = msg.headers.get(key);
  return { ...meta, headers };
}

export async function deleteQuietly(consumer: Consumer): Promise<void> {
  try {
    await consumer.delete();
  } catch {
    // ephemeral: the server removes it after its inactive threshold anyway
  }
}
