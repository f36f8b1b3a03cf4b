import { Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { encodeCompactTelemetryReport, type TelemetryReport } from '@jetmesh/model';
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

export interface HeldPublisherOptions<M> {
  readonly subject: string;
  /** What the publisher sends, in its log lines ('telemetry reports', 'trace spans'). */
  readonly what: string;
  /** The messages to hold next (often none); called on every tick. */
  readonly take: () => readonly M[];
  readonly encode: (m: M) => string;
  readonly log: Logger;
  readonly intervalMs: number;
  /** Messages kept while NATS is away; past it the oldest is dropped and counted. */
  readonly maxBacklog: number;
  readonly confirmTimeoutMs?: number;
  /** The messages the server confirmed. */
  readonly onPublished?: (messages: readonly M[]) => void;
  /** The messages the backlog gave up on. */
  readonly onDropped?: (messages: readonly M[]) => void;
  readonly bus?: Bus;
}

/**
 * Publishes what `take` gives every interval on `subject` with core NATS. While NATS is away,
 * messages wait in a bounded backlog (oldest dropped first, and counted: telemetry is sampled,
 * not a log) and go out in order once it is back. A batch leaves the backlog only after a flush
 * round-trip confirms the server has it; a batch the flush cannot confirm is sent again, so a
 * consumer may see a message twice and drops it by its id.
 */
export function startHeldPublisher<M>(opts: HeldPublisherOptions<M>): ReportPublisher {
  const { subject, what } = opts;
  const maxBacklog = Math.max(1, opts.maxBacklog);
  const confirmTimeoutMs = opts.confirmTimeoutMs ?? 2_000;
  const held: M[] = [];
  let dropped = 0;
  let bus: Bus | undefined;
  let unsubscribe: (() => void) | undefined;
  let sending: Promise<void> | undefined;
  let warnedDrop = false;

  const hold = (messages: readonly M[], atFront: boolean): void => {
    if (atFront) held.unshift(...messages);
    else held.push(...messages);
    const excess = held.length - maxBacklog;
    if (excess > 0) {
      const lost = held.splice(0, excess);
      dropped += excess;
      opts.onDropped?.(lost);
      if (!warnedDrop) {
        warnedDrop = true;
        opts.log.warn({ subject, maxBacklog }, `${what}: backlog full while NATS is unreachable, dropping the oldest`);
      }
    }
  };

  const sendHeld = async (): Promise<void> => {
    const b = bus;
    if (b === undefined || held.length === 0 || !b.isConnected()) return;
    const batch = held.splice(0);
    try {
      for (const m of batch) b.nc.publish(subject, opts.encode(m));
      await withTimeout(b.nc.flush(), confirmTimeoutMs);
      opts.onPublished?.(batch);
      warnedDrop = false;
    } catch (err) {
      hold(batch, true);
      opts.log.debug({ subject, messages: batch.length, err }, `${what} not confirmed; kept for the next try`);
    }
  };

  // One send at a time, so messages go out in order and a batch is never in flight twice.
  const drain = (): Promise<void> => {
    if (sending !== undefined) return sending;
    sending = sendHeld().finally(() => {
      sending = undefined;
    });
    return sending;
  };

  const tick = async (): Promise<void> => {
    const next = opts.take();
    if (next.length > 0) hold(next, false);
    await drain();
  };

  const attach = (b: Bus): void => {
    unsubscribe?.();
    bus = b;
    unsubscribe = b.onReconnect(() => void drain());
  };
  if (opts.bus !== undefined) attach(opts.bus);

  const timer = setInterval(() => void tick(), opts.intervalMs);
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

/**
 * Publishes the aggregator's window every interval on `mesh.telemetry.<ns>.<workload>`, held
 * while NATS is away (startHeldPublisher); a resent report keeps its `id`, so the telemetry
 * service counts it once.
 */
export function startReportPublisher(opts: ReportPublisherOptions): ReportPublisher {
  const now = opts.now ?? Date.now;
  return startHeldPublisher<TelemetryReport>({
    subject: Subjects.telemetry(opts.workload.namespace, opts.workload.name),
    what: 'telemetry reports',
    take: () => {
      const report = opts.aggregator.flush(now());
      return report !== undefined ? [report] : [];
    },
    // Format 2: a replica reads it several times faster than format 1's named labels.
    encode: encodeCompactTelemetryReport,
    log: opts.log,
    intervalMs: opts.intervalMs ?? 1_000,
    maxBacklog: opts.maxBacklog ?? 60,
    ...(opts.confirmTimeoutMs !== undefined ? { confirmTimeoutMs: opts.confirmTimeoutMs } : {}),
    ...(opts.counters !== undefined ? { onPublished: (r: readonly TelemetryReport[]) => opts.counters?.reportsPublished.inc(r.length), onDropped: (r: readonly TelemetryReport[]) => opts.counters?.reportsDropped.inc(r.length) } : {}),
    ...(opts.bus !== undefined ? { bus: opts.bus } : {}),
  });
}
