import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus } from './connect.js';
import { encodeEvent } from './event-codec.js';
import { ApiErrorCodes, isApiError } from './jetstream-api-error.js';

export interface PublishOptions {
  /** Nats-Msg-Id: a retry with the same id inside the dedupe window is stored once. */
  readonly msgId: string;
  /**
   * Nats-Expected-Last-Subject-Sequence: 0 means "the subject has no message yet". On a
   * clustered stream nats-server before 2.10 checks it only when the leader proposes, against
   * what is applied, so two writes in flight together can both pass it (see expectedLastSequence).
   */
  readonly expectedLastSubjectSequence?: number;
  /**
   * Nats-Expected-Last-Sequence: the stream's last sequence. Checked by every replica as it
   * applies the write, in log order, so it serializes writes on any server version; for a
   * stream with one subject it means what the subject guard means.
   */
  readonly expectedLastSequence?: number;
  /** Nats-Expected-Stream: guards against a subject captured by the wrong stream. */
  readonly expectedStream?: string;
}

export interface PublishAck {
  readonly stream: string;
  readonly seq: number;
  /** True when the msgId was already stored: `seq` is the original message's. */
  readonly duplicate: boolean;
}

/** Someone else wrote first: catch up to `actual` (when the server said it), re-validate, retry. */
export interface SequenceConflict {
  readonly code: 'SEQUENCE_CONFLICT';
  readonly expected: number;
  readonly actual?: number;
}

/** The event is bigger than the server or stream accepts; retrying cannot help. */
export interface TooLarge {
  readonly code: 'TOO_LARGE';
  readonly bytes: number;
  readonly max: number;
}

export type PublishRejection = SequenceConflict | TooLarge;

function actualSequence(description: string): number | undefined {
  const match = /wrong last sequence: (\d+)/.exec(description);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * How long a publish keeps resending while no stream leader answers: on a cluster, the time a
 * replicated stream has no leader after its leader's node died (nats-server 2.9's followers wait
 * 4-9 s of silence before electing; measured 4.2-7.2 s).
 */
const LEADERLESS_WAIT_MS = 10_000;
/** "No responders" comes back at once, so asking often costs little and finds the new leader soon. */
const LEADERLESS_RETRY_MS = 100;
/**
 * One attempt's wait for the stream's answer (a write takes ~20 ms with every node up). A write
 * in flight to a leader that died gets no answer at all: resending it (same msgId) after this,
 * rather than the connection's 5 s, lands it right after the election.
 */
const PUBLISH_ATTEMPT_TIMEOUT_MS = 1_500;

/**
 * No stream leader answered: "no responders" (the client's class for it, not exported, says
 * "jetstream is not enabled") or a timeout (a request in flight to a node that died).
 */
const isLeaderless = (err: unknown): boolean => err instanceof Error && (err.name === 'JetStreamNotEnabled' || err.name === 'TimeoutError');

async function streamMaxMsgSize(bus: Bus, subject: string, stream: string | undefined): Promise<number> {
  try {
    const name = stream ?? (await bus.jsm.streams.find(subject));
    return (await bus.jsm.streams.info(name)).config.max_msg_size ?? -1;
  } catch {
    return -1;
  }
}

/**
 * Publishes one event (codec.encode, then JSON) to JetStream. Expected failures
 * are Left; lost infrastructure (timeouts, no stream, NATS down longer than the
 * request timeout) throws. Waits out a reconnect first, and a stream leader election
 * (up to LEADERLESS_WAIT_MS); a retry with the same msgId is safe.
 */
export async function publishEvent<A, O>(
  bus: Bus,
  codec: t.Encoder<A, O>,
  subject: string,
  value: A,
  opts: PublishOptions,
): Promise<Either<PublishRejection, PublishAck>> {
  const data = encodeEvent(codec, value);
  const maxPayload = bus.nc.info?.max_payload;
  if (maxPayload !== undefined && data.length > maxPayload) {
    return left({ code: 'TOO_LARGE', bytes: data.length, max: maxPayload });
  }
  const send = async (): Promise<Awaited<ReturnType<typeof bus.js.publish>>> => {
    const deadline = Date.now() + LEADERLESS_WAIT_MS;
    for (;;) {
      await bus.waitConnected();
      try {
        return await bus.js.publish(subject, data, {
          msgID: opts.msgId,
          timeout: PUBLISH_ATTEMPT_TIMEOUT_MS,
          expect: {
            ...(opts.expectedLastSubjectSequence === undefined ? {} : { lastSubjectSequence: opts.expectedLastSubjectSequence }),
            ...(opts.expectedLastSequence === undefined ? {} : { lastSequence: opts.expectedLastSequence }),
            ...(opts.expectedStream === undefined ? {} : { streamName: opts.expectedStream }),
          },
        });
      } catch (err) {
        // A timed-out one may have been stored: the msgId makes the server answer the resend as a duplicate.
        if (!isLeaderless(err) || Date.now() >= deadline) throw err;
        await sleep(LEADERLESS_RETRY_MS);
      }
    }
  };
  try {
    const ack = await send();
    return right({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate });
  } catch (err) {
    if (isApiError(err, ApiErrorCodes.wrongLastSequence)) {
      const actual = actualSequence(err.apiError().description);
      return left({
        code: 'SEQUENCE_CONFLICT',
        expected: opts.expectedLastSequence ?? opts.expectedLastSubjectSequence ?? -1,
        ...(actual === undefined ? {} : { actual }),
      });
    }
    if (isApiError(err, ApiErrorCodes.messageTooLarge)) {
      return left({ code: 'TOO_LARGE', bytes: data.length, max: await streamMaxMsgSize(bus, subject, opts.expectedStream) });
    }
    // Headers count against max_payload too; the client refuses before sending.
    if (err instanceof Error && /max_payload size exceeded/.test(err.message) && maxPayload !== undefined) {
      return left({ code: 'TOO_LARGE', bytes: data.length, max: maxPayload });
    }
    throw err;
  }
}
