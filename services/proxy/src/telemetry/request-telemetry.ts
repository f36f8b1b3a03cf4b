import type { Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { ServedRequest } from '../dataplane/served-request.js';
import { createAccessLog } from './access-log.js';
import { startAccessLogPublisher } from './access-log-publisher.js';
import type { ProxyStats } from './proxy-stats.js';
import { ReportAggregator } from './report-aggregator.js';
import { startReportPublisher } from './report-publisher.js';
import { recordLabels, seriesKey } from './request-record.js';
import { requestRecordOf, type ProxyWorkload } from './served-record.js';

export interface RequestTelemetry {
  /** Called once per request the data plane finished. */
  served(r: ServedRequest): void;
  attach(bus: Bus): void;
  /** Publishes the window in progress (and what is held) and stops. */
  stop(): Promise<void>;
}

// Distinct label sets in one window; more are counted as overflow (a misbehaving client cannot grow memory).
const MAX_SERIES_PER_WINDOW = 2_000;

/**
 * Every request becomes one RequestRecord that feeds the proxy's /stats, the access log (its own
 * stdout, and `mesh.accesslog.<ns>.<workload>` for `jetmesh logs`), and the per-second report on
 * `mesh.telemetry.<ns>.<workload>` (held in a bounded backlog while NATS is away).
 */
export function startRequestTelemetry(opts: { self: () => ProxyWorkload; stats: ProxyStats; accessLog: { log: Logger; enabled: boolean }; log: Logger }): RequestTelemetry {
  const first = opts.self();
  const workload = { namespace: first.namespace, name: first.name };
  const aggregator = new ReportAggregator(workload, MAX_SERIES_PER_WINDOW, Date.now());
  const publisher = startReportPublisher({ workload, aggregator, log: opts.log, counters: opts.stats });
  const accessLog = createAccessLog({ log: opts.accessLog.log, enabled: opts.accessLog.enabled });
  // The same switch as the local access log: off means no line anywhere.
  const busLog = opts.accessLog.enabled ? startAccessLogPublisher({ workload, log: opts.log, counters: opts.stats }) : undefined;
  return {
    served: (r) => {
      const record = requestRecordOf(r, opts.self(), Date.now());
      // One label set and one series key per request, shared by /stats and the report.
      const labels = recordLabels(record);
      const key = seriesKey(labels);
      opts.stats.recordSeries(key, labels, record.durationMs, record.requestBytes, record.responseBytes);
      aggregator.addSeries(key, { labels, durationMs: record.durationMs, requestBytes: record.requestBytes, responseBytes: record.responseBytes });
      accessLog.write(record);
      busLog?.add(record);
    },
    attach: (bus) => {
      publisher.attach(bus);
      busLog?.attach(bus);
    },
    stop: async () => {
      await Promise.all([publisher.stop(), busLog?.stop()]);
    },
  };
}
