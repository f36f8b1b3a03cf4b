import type { Bus } from '@jetmesh/bus';
import { childLogger, type Logger } from '@jetmesh/log';
import type { TopQuery, TopShare } from '@jetmesh/model';
import type { Readiness } from '@jetmesh/runtime';
import { IstioExposition } from './metrics/istio-exposition.js';
import { ReportFold, type FoldOptions } from './metrics/report-fold.js';
import { consumeReports, type ReportConsumer } from './report-consumer.js';
import { startRejectionLog } from './rejection-log.js';
import type { TelemetryMetrics } from './telemetry-metrics.js';
import { answerTop, type TopResponder } from './top-responder.js';
import { answerEdgeTraffic, type EdgeResponder } from './edge-responder.js';
import { startSpanExport, type SpanExport, type SpanExportOptions } from './tracing/otlp-span-export.js';
import { consumeSpans, type SpanConsumer } from './tracing/span-consumer.js';

export interface TelemetryOptions extends FoldOptions {
  /** Names this replica in `jetmesh top`'s answers. */
  readonly replica: string;
  /** Rejected reports are logged at most once per this interval. */
  readonly rejectLogIntervalMs: number;
  /** The OTLP/HTTP traces endpoint spans are exported to; without it spans are not consumed. */
  readonly otlpUrl?: string | undefined;
  /** One export, retries included; default 10 s. */
  readonly otlpTimeoutMs?: number;
  /** How often queued spans are exported; default 1 s. */
  readonly otlpIntervalMs?: number;
  /** Spans waiting for the collector at most; default 20,000. */
  readonly otlpMaxQueued?: number;
  readonly now?: () => number;
}

export interface Telemetry {
  readonly fold: ReportFold;
  /** Istio's standard metrics in Prometheus' text format, for the metrics port's /metrics. */
  istioMetrics(): string;
  /** This replica's share of the last minute. */
  topShare(query: TopQuery): TopShare;
  readiness(): Readiness;
  stop(): Promise<void>;
}

/** Consumes reports, folds them, answers `jetmesh top`; the parts main serves over HTTP come back. */
export async function startTelemetry(bus: Bus, log: Logger, metrics: TelemetryMetrics, opts: TelemetryOptions): Promise<Telemetry> {
  const now = opts.now ?? Date.now;
  const fold = new ReportFold(opts);
  metrics.observe(() => ({ series: fold.series.size, reportIds: fold.dedupe.size, topServices: fold.top.size }));
  const rejections = startRejectionLog(childLogger(log, { part: 'reports' }), opts.rejectLogIntervalMs);
  const topShare = (query: TopQuery): TopShare => {
    const at = now();
    return { replica: opts.replica, at: new Date(at).toISOString(), windowSeconds: fold.top.windowSeconds, services: fold.top.share(at, query) };
  };
  // Memory of ids and quiet services goes even when no report or question comes.
  const housekeeping = setInterval(() => {
    fold.dedupe.expire(now());
    fold.top.prune(now());
  }, 5_000);
  housekeeping.unref();
  let consumer: ReportConsumer | undefined;
  let top: TopResponder | undefined;
  let edges: EdgeResponder | undefined;
  let spanExport: SpanExport | undefined;
  let spans: SpanConsumer | undefined;
  try {
    consumer = await consumeReports(bus, { fold, metrics, rejections, log, now });
    top = answerTop(bus, topShare, childLogger(log, { part: 'top' }));
    edges = answerEdgeTraffic(bus, { series: fold.series, replica: opts.replica, windowSeconds: fold.top.windowSeconds, now }, childLogger(log, { part: 'edges' }));
    if (opts.otlpUrl !== undefined) {
      const tracingLog = childLogger(log, { part: 'tracing' });
      spanExport = startSpanExport(spanExportOptions(opts.otlpUrl, opts, metrics, tracingLog));
      spans = await consumeSpans(bus, { spanExport, metrics, log: tracingLog });
    }
  } catch (err) {
    clearInterval(housekeeping);
    rejections.stop();
    top?.stop();
    edges?.stop();
    await consumer?.stop();
    await spans?.stop();
    await spanExport?.stop();
    throw err;
  }
  const running = { consumer, top, edges, spans, spanExport };
  const exposition = new IstioExposition(fold.series);
  return {
    fold,
    istioMetrics: () => exposition.text(),
    topShare,
    readiness: () => {
      if (!bus.isConnected()) return { ready: false, reason: 'NATS disconnected' };
      if (!running.consumer.subscribed()) return { ready: false, reason: 'not subscribed to reports' };
      return running.spans === undefined || running.spans.subscribed() ? { ready: true } : { ready: false, reason: 'not subscribed to trace spans' };
    },
    stop: async () => {
      clearInterval(housekeeping);
      running.top.stop();
      running.edges.stop();
      await running.consumer.stop();
      rejections.stop();
      // The spans delivered before the drain still go to the collector.
      await running.spans?.stop();
      await running.spanExport?.stop();
    },
  };
}

function spanExportOptions(url: string, opts: TelemetryOptions, metrics: TelemetryMetrics, log: Logger): SpanExportOptions {
  return {
    url,
    timeoutMs: opts.otlpTimeoutMs ?? 10_000,
    ...(opts.otlpIntervalMs !== undefined ? { intervalMs: opts.otlpIntervalMs } : {}),
    ...(opts.otlpMaxQueued !== undefined ? { maxQueued: opts.otlpMaxQueued } : {}),
    counters: { exported: (n) => metrics.spansExported.inc(n), failed: (reason, n) => metrics.spanExportFailures.inc({ reason }, n) },
    log,
  };
}
