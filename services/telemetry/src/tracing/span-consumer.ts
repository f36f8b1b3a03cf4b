import { QueueGroups, Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { TelemetryMetrics } from '../telemetry-metrics.js';
import type { SpanExport } from './otlp-span-export.js';
import { readableSpansOf } from './otlp-span.js';
import { readSpanBatch } from './span-batch-reader.js';

export interface SpanConsumer {
  /** True once the server has the subscription. */
  readonly subscribed: () => boolean;
  /** Stops taking batches; those already delivered are still queued for export. */
  stop(): Promise<void>;
}

export interface SpanConsumerDeps {
  readonly spanExport: SpanExport;
  readonly metrics: TelemetryMetrics;
  readonly log: Logger;
}

// Workloads whose bad batches were logged; past this many, the counter still counts but no more are named.
const MAX_LOGGED_WORKLOADS = 10_000;

/**
 * The proxies' span batches, in the telemetry queue group as the reports are: each batch goes to
 * one replica, which exports its spans. A bad batch is counted and logged once per workload (a
 * proxy with a bug sends one every half second), never thrown.
 */
export async function consumeSpans(bus: Bus, deps: SpanConsumerDeps): Promise<SpanConsumer> {
  const { spanExport, metrics, log } = deps;
  const logged = new Set<string>();
  let subscribed = false;
  const sub = bus.nc.subscribe(Subjects.spansAll, {
    queue: QueueGroups.telemetry,
    callback: (err, msg) => {
      if (err !== null) {
        log.error({ err }, 'span subscription failed');
        return;
      }
      const read = readSpanBatch(msg.data);
      if (!read.ok) {
        metrics.spanBatchesRejected.inc({ reason: read.reason });
        if (!logged.has(msg.subject) && logged.size < MAX_LOGGED_WORKLOADS) {
          logged.add(msg.subject);
          log.warn({ subject: msg.subject, reason: read.reason, detail: read.detail }, 'span batch rejected (logged once per workload)');
        }
        return;
      }
      const { batch } = read;
      if (batch.spans.length > 0) metrics.spansReceived.inc(batch.spans.length);
      if (batch.dropped > 0) metrics.spansDroppedByProxies.inc(batch.dropped);
      spanExport.add(readableSpansOf(batch));
    },
  });
  // As for reports: once a flush returns the server has the subscription.
  await bus.nc.flush();
  subscribed = true;
  log.info({ subject: Subjects.spansAll, queue: QueueGroups.telemetry }, 'consuming trace spans');
  return {
    subscribed: () => subscribed && !sub.isClosed(),
    stop: async () => {
      subscribed = false;
      if (!sub.isClosed()) await sub.drain();
    },
  };
}
