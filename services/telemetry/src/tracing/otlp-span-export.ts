import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '@jetmesh/log';

/** Why spans were not exported: the collector failed or refused them, or they waited past the queue's bound. */
export type SpanExportFailure = 'export' | 'queue_full';
export const SPAN_EXPORT_FAILURES: readonly SpanExportFailure[] = ['export', 'queue_full'];

export interface SpanExportCounters {
  exported(n: number): void;
  failed(reason: SpanExportFailure, n: number): void;
}

export interface SpanExportOptions {
  /** The collector's OTLP/HTTP traces endpoint, e.g. `http://otel-collector:4318/v1/traces`. */
  readonly url: string;
  /** One export, retries included (the exporter retries refused connections and 429/502/503/504). */
  readonly timeoutMs: number;
  readonly counters: SpanExportCounters;
  readonly log: Logger;
  /** How often queued spans go out; default 1 s. */
  readonly intervalMs?: number;
  /** Spans per OTLP request; default 512 (the SDK's batch processor's). */
  readonly maxExportSpans?: number;
  /** Spans waiting at most; past it new spans are counted as queue_full. Default 20,000. */
  readonly maxQueued?: number;
  /** OTLP requests in flight at most; default 4. */
  readonly maxInFlight?: number;
  /** How long stop waits for the last exports; default 3 s, inside the shutdown step's bound. */
  readonly stopTimeoutMs?: number;
  /** The exporter; the OTLP/HTTP one for `url` unless a test gives another. */
  readonly exporter?: SpanExporter;
}

export interface SpanExport {
  /** Queues spans; never waits. */
  add(spans: readonly ReadableSpan[]): void;
  /** Sends everything queued and waits for every export to finish. */
  flush(): Promise<void>;
  /** Flushes, then shuts the exporter down; gives up after `stopTimeoutMs` (spans still queued then are counted as failed). */
  stop(): Promise<void>;
}

const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * Spans to a collector over OTLP/HTTP (JSON), in requests of a few hundred spans. A collector
 * that is down costs only the spans of the exports that failed (counted): tracing is sampled
 * and best effort, so nothing waits for it and the queue is bounded.
 */
export function startSpanExport(opts: SpanExportOptions): SpanExport {
  const intervalMs = opts.intervalMs ?? 1_000;
  const maxExportSpans = Math.max(1, opts.maxExportSpans ?? 512);
  const maxQueued = Math.max(1, opts.maxQueued ?? 20_000);
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
  const exporter = opts.exporter ?? new OTLPTraceExporter({ url: opts.url, timeoutMillis: opts.timeoutMs });
  const queue: ReadableSpan[] = [];
  const inFlight = new Set<Promise<void>>();
  let failedSinceLog = 0;
  let loggedAt = -Infinity;
  let stopped = false;

  const noteFailure = (reason: SpanExportFailure, n: number, err?: Error): void => {
    opts.counters.failed(reason, n);
    failedSinceLog += n;
    if (Date.now() - loggedAt < FAILURE_LOG_INTERVAL_MS) return;
    loggedAt = Date.now();
    // One line a minute at most: a collector that is down would otherwise log every second.
    opts.log.warn({ reason, spans: failedSinceLog, url: opts.url, err: err?.message }, 'trace spans not exported');
    failedSinceLog = 0;
  };
  const exportOnce = (spans: ReadableSpan[]): Promise<void> => {
    const done = new Promise<void>((resolve) => {
      const settle = (r: ExportResult): void => {
        if (r.code === ExportResultCode.SUCCESS) opts.counters.exported(spans.length);
        else noteFailure('export', spans.length, r.error);
        resolve();
      };
      try {
        exporter.export(spans, settle);
      } catch (err) {
        settle({ code: ExportResultCode.FAILED, error: err as Error });
      }
    });
    const tracked = done.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return tracked;
  };
  const send = (): void => {
    while (queue.length > 0 && inFlight.size < maxInFlight) {
      void exportOnce(queue.splice(0, maxExportSpans));
    }
  };
  const timer = setInterval(send, intervalMs);
  timer.unref();

  const flush = async (): Promise<void> => {
    while (queue.length > 0 || inFlight.size > 0) {
      send();
      await Promise.race(inFlight);
    }
    await exporter.forceFlush?.();
  };
  return {
    add: (spans) => {
      if (spans.length === 0) return;
      const room = stopped ? 0 : maxQueued - queue.length;
      if (room < spans.length) noteFailure('queue_full', spans.length - Math.max(0, room));
      if (room > 0) queue.push(...spans.slice(0, room));
    },
    flush,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      let giveUp: NodeJS.Timeout | undefined;
      const bound = new Promise<'timeout'>((resolve) => (giveUp = setTimeout(() => resolve('timeout'), opts.stopTimeoutMs ?? 3_000)));
      const finished = await Promise.race([flush().then(() => exporter.shutdown()), bound]);
      clearTimeout(giveUp);
      if (finished === 'timeout' && queue.length > 0) noteFailure('export', queue.splice(0).length);
    },
  };
}
