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

export interface TelemetryOptions extends FoldOptions {
  /** Names this replica in `jetmesh top`'s answers. */
  readonly replica: string;
  /** Rejected reports are logged at most once per this interval. */
  readonly rejectLogIntervalMs: number;
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
  try {
    consumer = await consumeReports(bus, { fold, metrics, rejections, log, now });
    top = answerTop(bus, topShare, childLogger(log, { part: 'top' }));
  } catch (err) {
    clearInterval(housekeeping);
    rejections.stop();
    await consumer?.stop();
    throw err;
  }
  const running = { consumer, top };
  const exposition = new IstioExposition(fold.series);
  return {
    fold,
    istioMetrics: () => exposition.text(),
    topShare,
    readiness: () => {
      if (!bus.isConnected()) return { ready: false, reason: 'NATS disconnected' };
      return running.consumer.subscribed() ? { ready: true } : { ready: false, reason: 'not subscribed to reports' };
    },
    stop: async () => {
      clearInterval(housekeeping);
      running.top.stop();
      await running.consumer.stop();
      rejections.stop();
    },
  };
}
