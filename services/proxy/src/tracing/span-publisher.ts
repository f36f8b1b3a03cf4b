import { Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { TraceSpan, TraceSpanBatch } from '@jetmesh/model';
import { startHeldPublisher } from '../telemetry/report-publisher.js';

export type SpanDropReason = 'buffer_full' | 'backlog_full';

export interface SpanCounters {
  spansPublished(n: number): void;
  spansDropped(reason: SpanDropReason, n: number): void;
}

export interface SpanPublisherOptions {
  readonly workload: { readonly namespace: string; readonly name: string };
  readonly log: Logger;
  /** How often buffered spans go out; default 500 ms. */
  readonly intervalMs?: number;
  /** Spans buffered between sends; past it a span is dropped and counted. Default 5,000. */
  readonly maxBuffered?: number;
  /** Spans per message (~1 KB each, well under NATS' 1 MiB max_payload); default 200. */
  readonly maxBatchSpans?: number;
  /** Batches held while NATS is away; default 50. */
  readonly maxBacklog?: number;
  readonly confirmTimeoutMs?: number;
  readonly counters?: SpanCounters;
  readonly bus?: Bus;
}

export interface SpanPublisher {
  /** Takes one span: O(1), never waits; drops it (counted) when the buffer is full. */
  add(span: TraceSpan): void;
  attach(bus: Bus): void;
  tick(): Promise<void>;
  buffered(): number;
  /** Spans dropped since start, for any reason. */
  dropped(): number;
  stop(): Promise<void>;
}

const spanCount = (batches: readonly TraceSpanBatch[]): number => batches.reduce((n, b) => n + b.spans.length, 0);

/**
 * The proxy's spans on `mesh.spans.<ns>.<workload>` in TraceSpanBatches: a request only appends
 * its span to a bounded buffer; every interval the buffer is cut into batches that wait, held
 * like the telemetry reports, until the server confirms them. A batch may arrive twice; OTLP
 * backends keep one span per (traceId, spanId).
 */
export function startSpanPublisher(opts: SpanPublisherOptions): SpanPublisher {
  const maxBuffered = Math.max(1, opts.maxBuffered ?? 5_000);
  const maxBatchSpans = Math.max(1, opts.maxBatchSpans ?? 200);
  const workload = { namespace: opts.workload.namespace, name: opts.workload.name };
  let buffer: TraceSpan[] = [];
  let droppedTotal = 0;
  let droppedUntold = 0;
  let warnedAt = -Infinity;
  const drop = (reason: SpanDropReason, n: number): void => {
    droppedTotal += n;
    droppedUntold += n;
    opts.counters?.spansDropped(reason, n);
    if (Date.now() - warnedAt >= 60_000) {
      warnedAt = Date.now();
      opts.log.warn({ reason, maxBuffered }, 'trace spans dropped (tracing is sampled; lower the sampling percentage)');
    }
  };
  const take = (): TraceSpanBatch[] => {
    if (buffer.length === 0 && droppedUntold === 0) return [];
    const spans = buffer;
    buffer = [];
    const batches: TraceSpanBatch[] = [];
    for (let i = 0; i < spans.length || batches.length === 0; i += maxBatchSpans) {
      batches.push({ workload, spans: spans.slice(i, i + maxBatchSpans), dropped: batches.length === 0 ? droppedUntold : 0 });
    }
    droppedUntold = 0;
    return batches;
  };
  const held = startHeldPublisher<TraceSpanBatch>({
    subject: Subjects.spans(workload.namespace, workload.name),
    what: 'trace spans',
    take,
    encode: (b) => JSON.stringify(b),
    log: opts.log,
    intervalMs: opts.intervalMs ?? 500,
    maxBacklog: opts.maxBacklog ?? 50,
    ...(opts.confirmTimeoutMs !== undefined ? { confirmTimeoutMs: opts.confirmTimeoutMs } : {}),
    onPublished: (batches) => opts.counters?.spansPublished(spanCount(batches)),
    onDropped: (batches) => drop('backlog_full', spanCount(batches)),
    ...(opts.bus !== undefined ? { bus: opts.bus } : {}),
  });
  return {
    add: (span) => {
      if (buffer.length >= maxBuffered) drop('buffer_full', 1);
      else buffer.push(span);
    },
    attach: held.attach,
    tick: held.tick,
    buffered: () => buffer.length,
    dropped: () => droppedTotal,
    stop: held.stop,
  };
}
