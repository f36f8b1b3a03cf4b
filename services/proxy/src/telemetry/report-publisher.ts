import { Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { TelemetryReport } from '@jetmesh/model';
import type { ReportAggregator } from './report-aggregator.js';
import { withTimeout } from './confirm-timeout.js';

/** Where the publisher counts what it sent and what it gave up on (ProxyStats has both). */
export interface PublisherCounters {
  readonly reportsPublished: { inc(n?: number): void };
  readonly reportsDropped: { inc(n?: number): void };
}

export interface ReportPublisherOptions {
  readonly workload: { readonly namespace: string; readonly name: string };
  readonly aggregator: ReportAggregator;
  readonly log: Logger;
  /** Window length; default 1000 ms. */
  readonly intervalMs?: number;
  /** Closed windows kept while NATS is away; default 60 (a minute). Past it the oldest is dropped and counted. */
  readonly maxBacklog?: number;
  /** How long a flush may take to confirm the server has a batch; default 2000 ms. */
  readonly confirmTimeoutMs?: number;
  readonly now?: () => number;
  readonly counters?: PublisherCounters;
  /** Start without a bus (the proxy serves before NATS is reachable); `attach` later. */
  readonly bus?: Bus;
}

export interface ReportPublisher {
  attach(bus: Bus): void;
  /** Closes the window in progress and tries to send everything held; the timer calls it every interval. */
  tick(): Promise<void>;
  /** Windows held, not yet confirmed sent. */
  backlog(): number;
  /** Windows dropped since start because the backlog was full. */
  dropped(): number;
  /** Closes the last window, tries once to send what is held, stops the timer. */
  stop(): Promise<void>;
}


/**
 * Publishes the aggregator's window every interval on `mesh.telemetry.<ns>.<workload>` with core
 * NATS. While NATS is away, closed windows wait in a bounded backlog (oldest dropped first, and
 * counted: telemetry is sampled, not a log) and go out in order once it is back. A batch leaves
 * the backlog only after a flush round-trip confirms the server has it; a batch the flush cannot
 * confirm is sent again, so a consumer may see a report twice and drops it by `id`.
 */
export function startReportPublisher(opts: ReportPublisherOptions): ReportPublisher {
  const subject = Subjects.telemetry(opts.workload.namespace, opts.workload.name);
  const maxBacklog = Math.max(1, opts.maxBacklog ?? 60);
  const confirmTimeoutMs = opts.confirmTimeoutMs ?? 2_000;
  const now = opts.now ?? Date.now;
  const held: TelemetryReport[] = [];
  let dropped = 0;
  let bus: Bus | undefined;
  let unsubscribe: (() => void) | undefined;
  let sending: Promise<void> | undefined;
  let warnedDrop = false;

  const hold = (reports: readonly TelemetryReport[], atFront: boolean): void => {
    if (atFront) held.unshift(...reports);
    else held.push(...reports);
    const excess = held.length - maxBacklog;
    if (excess > 0) {
      held.splice(0, excess);
      dropped += excess;
      opts.counters?.reportsDropped.inc(excess);
      if (!warnedDrop) {
        warnedDrop = true;
        opts.log.warn({ subject, maxBacklog }, 'telemetry backlog full while NATS is unreachable: dropping the oldest windows');
      }
    }
  };

  const sendHeld = async (): Promise<void> => {
    const b = bus;
    if (b === undefined || held.length === 0 || !b.isConnected()) return;
    const batch = held.splice(0);
    try {
      for (const r of batch) b.nc.publish(subject, JSON.stringify(r));
      await withTimeout(b.nc.flush(), confirmTimeoutMs);
      opts.counters?.reportsPublished.inc(batch.length);
      warnedDrop = false;
    } catch (err) {
      hold(batch, true);
      opts.log.debug({ subject, windows: batch.length, err }, 'telemetry reports not confirmed; kept for the next try');
    }
  };

  // One send at a time, so windows go out in order and a batch is never in flight twice.
  const drain = (): Promise<void> => {
    if (sending !== undefined) return sending;
    sending = sendHeld().finally(() => {
      sending = undefined;
    });
    return sending;
  };

  const tick = async (): Promise<void> => {
    const report = opts.aggregator.flush(now());
    if (report !== undefined) hold([report], false);
    await drain();
  };

  const attach = (b: Bus): void => {
    unsubscribe?.();
    bus = b;
    unsubscribe = b.onReconnect(() => void drain());
  };
  if (opts.bus !== undefined) attach(opts.bus);

  const timer = setInterval(() => void tick(), opts.intervalMs ?? 1_000);
  timer.unref();

  return {
    attach,
    tick,
    backlog: () => held.length,
    dropped: () => dropped,
    stop: async () => {
      clearInterval(timer);
      await sending;
      await tick();
      unsubscribe?.();
    },
  };
}
