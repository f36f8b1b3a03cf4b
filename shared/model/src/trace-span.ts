import * as t from 'io-ts';
import { type Either } from 'fp-ts/lib/Either.js';
import { decodeWith, enumOf, fail, KitType, list, NOT_DECODED, nonNegativeInt, record, refine, str, struct } from './codec/schema.js';
import type { Invalid } from './invalid.js';

/*
 * The spans a proxy reports (issue 11, tracing): one per request it carried on a sampled trace,
 * a SERVER span where it received the request (inbound), a CLIENT span where it sent one on
 * (outbound), as Envoy does for Istio. A proxy publishes them in TraceSpanBatches on core NATS
 * `mesh.spans.<ns>.<workload>` (Subjects.spans); the telemetry service exports them over OTLP.
 * Times are unix nanoseconds as decimal strings: OTLP's own unit, and past 2^53 a JSON number
 * would lose the nanoseconds.
 */

/** Most attributes on one span (Envoy's custom tags are a handful; this bounds a hostile batch). */
export const TRACE_SPAN_MAX_ATTRIBUTES = 64;
/** The longest attribute value or span name. */
export const TRACE_SPAN_MAX_TEXT = 4_096;

export type SpanKind = 'client' | 'server';
/** OTel's status codes: `error` for a 5xx (and, on a client span, a 4xx too, as OTel's HTTP semantics say). */
export type SpanStatusCode = 'unset' | 'ok' | 'error';
export type SpanAttributeValue = string | number | boolean;

/** A workload on either end of the span; `unknown` when the proxy does not know (a caller outside the mesh). */
export interface SpanWorkload {
  readonly workload: string;
  readonly namespace: string;
}

export interface TraceSpan {
  /** 32 lowercase hex digits, not all zero (W3C trace-id). */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  readonly spanId: string;
  /** The span this one is a child of; absent on a trace's root. */
  readonly parentSpanId?: string;
  /** The W3C tracestate the request carried, passed on to the exporter unchanged. */
  readonly traceState?: string;
  /** Envoy's operation name for Istio: `<destination service fqdn>:<port>/*` (or the authority when no service is known). */
  readonly name: string;
  readonly kind: SpanKind;
  /** Unix nanoseconds, decimal. */
  readonly startNanos: string;
  /** Unix nanoseconds, decimal, not before startNanos. */
  readonly endNanos: string;
  readonly status: SpanStatusCode;
  /** Envoy/Istio tags: `http.method`, `http.url`, `http.status_code`, `response_flags`, `upstream_cluster`, `node_id`, `istio.*` … */
  readonly attributes: Readonly<Record<string, SpanAttributeValue>>;
  readonly source: SpanWorkload;
  readonly destination: SpanWorkload;
}

export interface TraceSpanBatch {
  /** The reporting proxy. */
  readonly workload: { readonly namespace: string; readonly name: string };
  readonly spans: readonly TraceSpan[];
  /** Spans this proxy gave up on since its previous batch (buffer full, NATS away): tracing is sampled, never a reason to slow a request. */
  readonly dropped: number;
}

const hexId = (digits: number, name: string) =>
  refine(str, name, (v) => (v.length !== digits || !/^[0-9a-f]+$/.test(v) ? `must be ${digits} lowercase hex digits` : /^0+$/.test(v) ? 'must not be all zeros' : undefined));
export const TRACE_ID_PATTERN = /^[0-9a-f]{32}$/;
export const SPAN_ID_PATTERN = /^[0-9a-f]{16}$/;
const traceId = hexId(32, 'TraceId');
const spanId = hexId(16, 'SpanId');
const nanos = refine(str, 'UnixNanos', (v) => (/^(0|[1-9]\d{0,19})$/.test(v) ? undefined : 'must be unix nanoseconds as a decimal string'));
const text = refine(str, 'SpanText', (v) => (v === '' ? 'must not be empty' : v.length > TRACE_SPAN_MAX_TEXT ? `must be at most ${TRACE_SPAN_MAX_TEXT} characters` : undefined));
const name = refine(str, 'WorkloadName', (v) => (v === '' ? 'must not be empty' : v.length > 253 ? 'must be at most 253 characters' : undefined));

const isAttributeValue = (u: unknown): u is SpanAttributeValue =>
  (typeof u === 'string' && u.length <= TRACE_SPAN_MAX_TEXT) || typeof u === 'boolean' || (typeof u === 'number' && Number.isFinite(u));
const attributeValue = new KitType<SpanAttributeValue>(
  'SpanAttributeValue',
  isAttributeValue,
  (u, c) => (isAttributeValue(u) ? t.success(u) : fail(u, c, `must be a string (at most ${TRACE_SPAN_MAX_TEXT} characters), a finite number or a boolean`)),
  t.identity,
  (u) => (isAttributeValue(u) ? u : NOT_DECODED),
);
const attributes = refine(
  record(attributeValue, { name: 'SpanAttributes', keyCheck: (k) => (k === '' || k.length > 256 ? 'attribute names must be 1-256 characters' : undefined) }),
  'SpanAttributes',
  (a) => (Object.keys(a).length > TRACE_SPAN_MAX_ATTRIBUTES ? `must have at most ${TRACE_SPAN_MAX_ATTRIBUTES} attributes` : undefined),
);
const workload = struct('SpanWorkload', { workload: name, namespace: name }, {});

export const TraceSpanCodec = struct(
  'TraceSpan',
  {
    traceId,
    spanId,
    name: text,
    kind: enumOf('SpanKind', ['client', 'server'] as const),
    startNanos: nanos,
    endNanos: nanos,
    status: enumOf('SpanStatusCode', ['unset', 'ok', 'error'] as const),
    attributes,
    source: workload,
    destination: workload,
  },
  { parentSpanId: spanId, traceState: refine(str, 'TraceState', (v) => (v.length > 512 ? 'must be at most 512 characters (W3C)' : undefined)) },
  {
    check: (s) => [
      ...(/^\d+$/.test(s.startNanos) && /^\d+$/.test(s.endNanos) && BigInt(s.endNanos) < BigInt(s.startNanos) ? [{ path: 'endNanos', reason: 'must not be before startNanos' }] : []),
      ...(s.parentSpanId !== undefined && s.parentSpanId === s.spanId ? [{ path: 'parentSpanId', reason: 'must not be the span itself' }] : []),
    ],
  },
) as unknown as t.Type<TraceSpan, unknown, unknown>;

export const TraceSpanBatchCodec = struct(
  'TraceSpanBatch',
  {
    workload: struct('SpanBatchWorkload', { namespace: name, name }, {}),
    spans: list(TraceSpanCodec),
    dropped: nonNegativeInt,
  },
  {},
) as unknown as t.Type<TraceSpanBatch, unknown, unknown>;

/** Reads a batch off the wire (strict: unknown fields, malformed ids or times are refused, every problem with its path). */
export const decodeTraceSpanBatch = (u: unknown): Either<Invalid[], TraceSpanBatch> => decodeWith(TraceSpanBatchCodec, u);
export const decodeTraceSpan = (u: unknown): Either<Invalid[], TraceSpan> => decodeWith(TraceSpanCodec, u);
