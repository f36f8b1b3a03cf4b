import { QueueGroups, Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { ReportFold } from './metrics/report-fold.js';
import { readReport } from './metrics/report-reader.js';
import type { RejectionLog } from './rejection-log.js';
import type { TelemetryMetrics } from './telemetry-metrics.js';

export interface ReportConsumer {
  /** True once the server has the subscription. */
  readonly subscribed: () => boolean;
  stop(): Promise<void>;
}

export interface ConsumerDeps {
  readonly fold: ReportFold;
  readonly metrics: TelemetryMetrics;
  readonly rejections: RejectionLog;
  readonly log: Logger;
  readonly now: () => number;
}

/**
 * The proxies' reports, in the telemetry queue group: each report goes to one replica, so any
 * number of replicas share them. Core NATS, as the proxies publish: nothing is stored, a report
 * is counted by whichever replica hears it, and a resent one is dropped by its id.
 */
export async function consumeReports(bus: Bus, deps: ConsumerDeps): Promise<ReportConsumer> {
  const { fold, metrics, rejections, log, now } = deps;
  const proxyOverflow = metrics.overflowRequests.labels('proxy');
  const seriesOverflow = metrics.overflowRequests.labels('telemetry');
  let subscribed = false;
  const sub = bus.nc.subscribe(Subjects.telemetryAll, {
    queue: QueueGroups.telemetry,
    callback: (err, msg) => {
      if (err !== null) {
        log.error({ err }, 'telemetry subscription failed');
        return;
      }
      const read = readReport(msg.data);
      const outcome = read.ok ? fold.add(read.report, now()) : read;
      if ('reason' in outcome) {
        metrics.rejected.inc({ reason: outcome.reason });
        rejections.note(outcome.reason, outcome.detail, msg.subject);
        return;
      }
      metrics.reports.inc();
      if (outcome.requests > 0) metrics.requests.inc(outcome.requests);
      if (outcome.proxyOverflow > 0) proxyOverflow.inc(outcome.proxyOverflow);
      if (outcome.seriesOverflow > 0) seriesOverflow.inc(outcome.seriesOverflow);
    },
  });
  // The server has the subscription once a flush returns: from then on no report is missed.
  await bus.nc.flush();
  subscribed = true;
  log.info({ subject: Subjects.telemetryAll, queue: QueueGroups.telemetry }, 'consuming telemetry reports');
  return {
    subscribed: () => subscribed && !sub.isClosed(),
    stop: async () => {
      subscribed = false;
      // Drain: reports already delivered to this replica are still folded, none is lost to the group.
      if (!sub.isClosed()) await sub.drain();
    },
  };
}
