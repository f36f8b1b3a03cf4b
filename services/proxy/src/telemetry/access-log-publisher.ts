import { Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { accessLogLine } from './access-log.js';
import type { RequestRecord } from './request-record.js';
import { withTimeout } from './confirm-timeout.js';

export type AccessLogDropReason = 'buffer_full' | 'nats_unavailable';

/** Where the publisher counts records sent and given up on (ProxyStats has both). */
export interface AccessLogCounters {
  accessLogPublished(n: number): void;
  accessLogDropped(reason: AccessLogDropReason, n: number): void;
}

export interface AccessLogPublisherOptions {
  /** The reporting proxy (the subject's tokens and the batch's `workload`). */
  readonly workload: { readonly namespace: string; readonly name: string };
  readonly log: Logger;
  /** How often the buffer is sent; default 200 ms. */
  readonly intervalMs?: number;
  /** Records held between sends; past it a request's record is dropped and counted. Default 2,000. */
  readonly maxBuffered?: number;
  /** A message holds records up to about this many bytes (well under NATS' 1 MiB max_payload); default 64 KiB. */
  readonly maxBatchBytes?: number;
  /** How long the server may take to confirm a send (the flush); default 2,000 ms. */
  readonly confirmTimeoutMs?: number;
  readonly counters?: AccessLogCounters;
  /** Start without a bus (the proxy serves before NATS is reachable); `attach` later. */
  readonly bus?: Bus;
}

export interface AccessLogPublisher {
  /** Takes one request's record: O(1), never waits; drops it (counted) when the buffer is full. */
  add(record: RequestRecord): void;
  attach(bus: Bus): void;
  /** Sends what is buffered, unless the previous send is still unconfirmed; the timer calls it every interval. */
  tick(): Promise<void>;
  /** Records held, not sent yet. */
  buffered(): number;
  /** Records dropped since start, for any reason. */
  dropped(): number;
  /** Sends what is buffered once more and stops the timer. */
  stop(): Promise<void>;
}


// Drops under sustained pressure are logged once a minute, not per request.
const WARN_EVERY_MS = 60_000;

/**
 * The proxy's access log on the bus: each request's AccessLogRecord, in AccessLogBatches on core
 * NATS `mesh.accesslog.<ns>.<workload>`. A request only appends its record to a bounded buffer;
 * encoding and publishing happen on a timer. One send at a time, and the next only after the
 * server confirmed the last (a flush), so neither this buffer nor the client's outbound one grows
 * past a bound when NATS is slow. Under pressure, and while NATS is away, records are dropped
 * and counted (no backlog: it is a live tail, not a log); the next batch says how many.
 */
export function startAccessLogPublisher(opts: AccessLogPublisherOptions): AccessLogPublisher {
  const subject = Subjects.accessLog(opts.workload.namespace, opts.workload.name);
  const maxBuffered = Math.max(1, opts.maxBuffered ?? 2_000);
  const maxBatchBytes = Math.max(1, opts.maxBatchBytes ?? 64 * 1024);
  const confirmTimeoutMs = opts.confirmTimeoutMs ?? 2_000;
  const head = `{"workload":${JSON.stringify({ namespace: opts.workload.namespace, name: opts.workload.name })},"dropped":`;
  let buffer: RequestRecord[] = [];
  let droppedTotal = 0;
  /** Dropped since the last batch that went out: told in the next one. */
  let droppedUntold = 0;
  let bus: Bus | undefined;
  let unsubscribe: (() => void) | undefined;
  let sending: Promise<void> | undefined;
  let warnedAt = -Infinity;

  const drop = (reason: AccessLogDropReason, n: number): void => {
    droppedTotal += n;
    droppedUntold += n;
    opts.counters?.accessLogDropped(reason, n);
    const now = Date.now();
    if (now - warnedAt >= WARN_EVERY_MS) {
      warnedAt = now;
      opts.log.warn({ subject, reason, maxBuffered }, 'access log records dropped (the bus copy is best effort; the local access log keeps every line)');
    }
  };

  const add = (record: RequestRecord): void => {
    if (buffer.length >= maxBuffered) drop('buffer_full', 1);
    else buffer.push(record);
  };

  const send = async (b: Bus, records: readonly RequestRecord[]): Promise<void> => {
    // Each record encoded once; messages cut by size, the drop count told in the first.
    const messages: string[] = [];
    let parts: string[] = [];
    let bytes = 0;
    let told = droppedUntold;
    const cut = (): void => {
      messages.push(`${head}${told},"records":[${parts.join(',')}]}`);
      told = 0;
      parts = [];
      bytes = 0;
    };
    for (const r of records) {
      const json = JSON.stringify(accessLogLine(r));
      if (parts.length > 0 && bytes + json.length > maxBatchBytes) cut();
      parts.push(json);
      bytes += json.length + 1;
    }
    if (parts.length > 0 || told > 0) cut();
    droppedUntold = 0;
    try {
      for (const m of messages) b.nc.publish(subject, m);
      await withTimeout(b.nc.flush(), confirmTimeoutMs);
      opts.counters?.accessLogPublished(records.length);
    } catch (err) {
      // Not resent: a line may have arrived, and the tail has moved on.
      opts.log.debug({ subject, records: records.length, err }, 'access log batch not confirmed');
    }
  };

  const tick = (): Promise<void> => {
    if (sending !== undefined) return sending;
    if (buffer.length === 0 && droppedUntold === 0) return Promise.resolve();
    const b = bus;
    const records = buffer;
    buffer = [];
    if (b === undefined || !b.isConnected()) {
      if (records.length > 0) drop('nats_unavailable', records.length);
      return Promise.resolve();
    }
    sending = send(b, records).finally(() => {
      sending = undefined;
    });
    return sending;
  };

  const attach = (b: Bus): void => {
    unsubscribe?.();
    bus = b;
    unsubscribe = b.onReconnect(() => void tick());
  };
  if (opts.bus !== undefined) attach(opts.bus);

  const timer = setInterval(() => void tick(), opts.intervalMs ?? 200);
  timer.unref();

  return {
    add,
    attach,
    tick,
    buffered: () => buffer.length,
    dropped: () => droppedTotal,
    stop: async () => {
      clearInterval(timer);
      await sending;
      await tick();
      unsubscribe?.();
    },
  };
}
