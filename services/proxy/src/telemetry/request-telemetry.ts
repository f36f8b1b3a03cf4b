import { randomUUID } from 'node:crypto';
import { Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { ServedRequest } from '../dataplane/served-request.js';
import { writeAccessLog } from './access-log.js';
import type { ProxyStats } from './proxy-stats.js';
import { ReportAggregator } from './report-aggregator.js';
import { istioLabels, type ProxyWorkload } from './request-labels.js';

export interface RequestTelemetry {
  /** Called once per request the data plane finished. */
  served(r: ServedRequest): void;
  attach(bus: Bus): void;
  /** Publishes the window in progress and stops. */
  stop(): void;
}

const WINDOW_MS = 1_000;
// Distinct label sets in one window; more are counted as overflow (a misbehaving client cannot grow memory).
const MAX_SERIES_PER_WINDOW = 2_000;

/**
 * Every request feeds the proxy's /stats, the access log, and the per-second report published
 * on `mesh.telemetry.<ns>.<workload>` (core NATS: telemetry is sampled, so a window that cannot
 * be sent while NATS is away is dropped and counted, never queued without bound).
 */
export function startRequestTelemetry(opts: { self: () => ProxyWorkload; stats: ProxyStats; accessLog?: Logger; log: Logger }): RequestTelemetry {
  const first = opts.self();
  const aggregator = new ReportAggregator({ namespace: first.namespace, name: first.name }, MAX_SERIES_PER_WINDOW, Date.now());
  const subject = Subjects.telemetry(first.namespace, first.name);
  let bus: Bus | undefined;
  const flush = (): void => {
    const report = aggregator.flush(Date.now(), randomUUID());
    if (report === undefined) return;
    if (bus === undefined || !bus.isConnected()) {
      opts.stats.reportsDropped.inc();
      return;
    }
    bus.nc.publish(subject, JSON.stringify(report));
    opts.stats.reportsPublished.inc();
  };
  const timer = setInterval(flush, WINDOW_MS);
  timer.unref();
  return {
    served: (r) => {
      const labels = istioLabels(r, opts.self());
      opts.stats.record(labels, r.durationMs, r.requestBytes, r.responseBytes);
      aggregator.add({ labels, durationMs: r.durationMs, requestBytes: r.requestBytes, responseBytes: r.responseBytes });
      if (opts.accessLog !== undefined) writeAccessLog(opts.accessLog, r, new Date(Date.now() - r.durationMs));
    },
    attach: (b) => {
      bus = b;
    },
    stop: () => {
      clearInterval(timer);
      flush();
    },
  };
}
