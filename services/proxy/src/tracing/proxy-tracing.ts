import { randomFillSync } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { ServedRequest } from '../dataplane/served-request.js';
import { requestRecordOf, type ProxyWorkload } from '../telemetry/served-record.js';
import { requestSpan, type SpanOrigin } from './request-span.js';
import { startSpanPublisher, type SpanPublisherOptions } from './span-publisher.js';
import { injectContext, type OutgoingContext } from './trace-context.js';
import { childContext, type TraceEntropy } from './tracer.js';

type HeaderValue = string | string[] | number | undefined;

/** What the data plane asks of tracing: a context per request on arrival, and headers for the next hop. */
export interface RequestTracing {
  /** The context of this hop's span for a request with these (the caller's, or the app's) headers. */
  begin(headers: Readonly<Record<string, HeaderValue>>): OutgoingContext;
  /** Writes the context for the next hop (the app inbound, the upstream outbound). */
  inject(headers: Record<string, HeaderValue>, context: OutgoingContext): void;
}

export interface ProxyTracing extends RequestTracing {
  /** Called once per request the data plane finished: a sampled one becomes a span. */
  served(r: ServedRequest): void;
  attach(bus: Bus): void;
  stop(): Promise<void>;
}

export interface ProxyTracingOptions {
  /** Percent of new traces sampled (0-100); a caller's decision is honoured. */
  readonly samplingPercent: number;
  readonly self: () => ProxyWorkload;
  readonly origin: SpanOrigin;
  readonly registry: Registry;
  readonly log: Logger;
  readonly entropy?: TraceEntropy;
  readonly publisher?: Partial<Pick<SpanPublisherOptions, 'intervalMs' | 'maxBuffered' | 'maxBacklog'>>;
}

// Every request takes a span id (and a new trace an id too): ids are cut from a pooled random
// buffer, one randomFillSync per 4 KiB instead of one per id (that was 5% of a busy proxy's CPU).
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;
const zeros = new Map<number, string>();
const allZero = (bytes: number): string => {
  let z = zeros.get(bytes);
  if (z === undefined) {
    z = '0'.repeat(bytes * 2);
    zeros.set(bytes, z);
  }
  return z;
};
const nonZeroHex = (bytes: number): string => {
  for (;;) {
    if (poolOffset + bytes > POOL_BYTES) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const id = pool.toString('hex', poolOffset, poolOffset + bytes);
    poolOffset += bytes;
    if (id !== allZero(bytes)) return id;
  }
};
export const cryptoEntropy: TraceEntropy = { traceId: () => nonZeroHex(16), spanId: () => nonZeroHex(8), random: Math.random };

/**
 * The proxy's tracing, as Envoy's for Istio: every request continues the caller's trace (or
 * starts one) and hands the next hop its context in W3C and B3 headers, sampled or not; a
 * sampled request's span goes to the bus. The app must copy the trace headers from its inbound
 * request to its outbound ones (Istio's rule): that is how an inbound span and the outbound
 * spans it caused are linked.
 */
export function startProxyTracing(opts: ProxyTracingOptions): ProxyTracing {
  const entropy = opts.entropy ?? cryptoEntropy;
  const published = new Counter({ name: 'jetmesh_proxy_trace_spans_published_total', help: 'Trace spans the bus confirmed', registers: [opts.registry] });
  const dropped = new Counter({ name: 'jetmesh_proxy_trace_spans_dropped_total', help: 'Trace spans given up on, by reason', labelNames: ['reason'], registers: [opts.registry] });
  const first = opts.self();
  const publisher = startSpanPublisher({
    workload: { namespace: first.namespace, name: first.name },
    log: opts.log,
    counters: { spansPublished: (n) => published.inc(n), spansDropped: (reason, n) => dropped.inc({ reason }, n) },
    ...opts.publisher,
  });
  return {
    begin: (headers) => childContext(headers, opts.samplingPercent, entropy),
    inject: injectContext,
    served: (r) => {
      if (r.trace === undefined || !r.trace.sampled) return;
      publisher.add(requestSpan(requestRecordOf(r, opts.self(), Date.now()), r.trace, opts.origin));
    },
    attach: (bus) => publisher.attach(bus),
    stop: () => publisher.stop(),
  };
}
