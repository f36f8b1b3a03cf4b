import type { JsMsg } from '@nats-io/jetstream';
import * as t from 'io-ts';
import type { Bus } from './connect.js';
import { eventDecoder } from './event-codec.js';
import { deleteQuietly, drainedUpTo, eventMeta, openOrderedReplay, reachesTarget, type EventMeta, type ReplayFrom } from './ordered-replay.js';

export interface ReadOptions<A> extends ReplayFrom {
  readonly codec: t.Decoder<unknown, A>;
  /** Last sequence to read (inclusive); default: the end of the stream at start. */
  readonly toSequence?: number;
  /** A message that did not decode; it is logged either way and reading continues. */
  readonly onInvalid?: (meta: EventMeta, reason: string) => void;
}

export interface StreamEntry<A> {
  readonly value: A;
  readonly seq: number;
  readonly subject: string;
  readonly time: Date;
}

/** An entry of a replay: `time` parses the message's reply subject only on demand, a long replay rarely asks. */
class ReadEntry<A> implements StreamEntry<A> {
  readonly subject: string;

  constructor(
    readonly value: A,
    readonly seq: number,
    private readonly msg: JsMsg,
  ) {
    this.subject = msg.subject;
  }

  get time(): Date {
    return this.msg.time;
  }
}

/**
 * Bounded replay (e.g. the CLI's history): the decoded events from fromSequence
 * up to toSequence or the end of the stream at start, whichever comes first.
 */
export async function* readStream<A>(bus: Bus, opts: ReadOptions<A>): AsyncGenerator<StreamEntry<A>, void, undefined> {
  const { stream, codec, onInvalid, toSequence } = opts;
  if (toSequence !== undefined && toSequence < opts.fromSequence) return;
  const { consumer, messages, target: end } = await openOrderedReplay(bus, opts);
  const target = toSequence === undefined ? end : Math.min(end, toSequence);
  const decode = eventDecoder(codec);
  let lastHandled = 0;
  try {
    if (target === 0) return;
    // The end message may be deleted while we read; an idle, drained consumer then means done.
    void (async () => {
      for await (const status of messages.status()) {
        if (status.type === 'heartbeat' && (await drainedUpTo(consumer, lastHandled).catch(() => false))) {
          messages.stop();
        }
      }
    })().catch(() => undefined);
    for await (const msg of messages) {
      if (msg.seq > target) break;
      const decoded = decode(msg.data);
      if (decoded._tag === 'Left') {
        bus.log.error({ stream, seq: msg.seq, subject: msg.subject, reason: decoded.left.reason }, 'undecodable event skipped');
        onInvalid?.(eventMeta(msg), decoded.left.reason);
      } else {
        yield new ReadEntry(decoded.right, msg.seq, msg);
      }
      lastHandled = msg.seq;
      if (reachesTarget(msg, target)) break;
    }
  } finally {
    messages.stop();
    await deleteQuietly(consumer);
  }
}

/**
 * Every message of `stream` in order as its parsed JSON, never decoded by a codec (what a hash
 * over stored bytes needs, e.g. the config log's chain); undefined for a message that is not JSON.
 */
export async function forEachStoredJson(bus: Bus, stream: string, onMessage: (seq: number, json: unknown) => void): Promise<void> {
  for await (const e of readStream(bus, { stream, codec: t.unknown, fromSequence: 1, onInvalid: (meta) => onMessage(meta.seq, undefined) })) {
    onMessage(e.seq, e.value);
  }
}
