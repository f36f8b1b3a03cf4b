/*
 * Trace context on HTTP headers, as Envoy reads and writes it for Istio: W3C Trace Context
 * (`traceparent`, `tracestate`) and Zipkin's B3, multi-header (`x-b3-traceid`, `x-b3-spanid`,
 * `x-b3-parentspanid`, `x-b3-sampled`, `x-b3-flags`) and single-header (`b3`). Pure: parsing and
 * formatting only; ids and sampling are the tracer's.
 */

/** The names, lowercase as Node gives them. */
export const TraceHeaders = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  b3: 'b3',
  b3TraceId: 'x-b3-traceid',
  b3SpanId: 'x-b3-spanid',
  b3ParentSpanId: 'x-b3-parentspanid',
  b3Sampled: 'x-b3-sampled',
  b3Flags: 'x-b3-flags',
  requestId: 'x-request-id',
} as const;

/** What a request says about its trace: the caller's span and, when it said, whether to sample. */
export interface IncomingContext {
  readonly traceId: string;
  /** The caller's span: the parent of the span this hop makes. */
  readonly spanId: string;
  /** B3's parent of the caller's span, when sent (kept only for the record). */
  readonly parentSpanId?: string;
  /** undefined: the caller left the decision to us (B3 without x-b3-sampled). */
  readonly sampled?: boolean;
  readonly traceState?: string;
  readonly format: 'w3c' | 'b3' | 'b3-single';
}

/** What extract found: a context, or only a sampling decision (`b3: 0`, `x-b3-sampled` alone), or nothing. */
export type Extracted = { readonly context: IncomingContext } | { readonly context?: undefined; readonly sampled?: boolean };

/** The context this hop sends on. */
export interface OutgoingContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly sampled: boolean;
  readonly traceState?: string;
}

type HeaderValue = string | string[] | number | undefined;
type Headers = Readonly<Record<string, HeaderValue>>;

const first = (v: HeaderValue): string | undefined => (Array.isArray(v) ? v[0] : typeof v === 'number' ? String(v) : v);
const isZero = (id: string): boolean => /^0+$/.test(id);
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
/** W3C caps tracestate at 32 members; 512 characters is the length implementations must keep. */
const MAX_TRACESTATE = 512;

/**
 * `traceparent: 00-<trace-id>-<parent-id>-<flags>`. A higher version is read by its first four
 * fields (the spec's forward compatibility); version ff, uppercase hex, all-zero ids are refused.
 */
export function parseTraceparent(value: string | undefined): { traceId: string; spanId: string; sampled: boolean } | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(v);
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (isZero(traceId) || isZero(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export const formatTraceparent = (c: OutgoingContext): string => `00-${c.traceId}-${c.spanId}-${c.sampled ? '01' : '00'}`;

/** A B3 trace id: 16 or 32 lowercase hex; a 64-bit id is left-padded to W3C's 128 bits. */
const b3TraceId = (v: string | undefined): string | undefined => {
  if (v === undefined) return undefined;
  const id = v.trim();
  const full = HEX16.test(id) ? `0000000000000000${id}` : id;
  return HEX32.test(full) && !isZero(full) ? full : undefined;
};
const b3SpanId = (v: string | undefined): string | undefined => {
  const id = v?.trim();
  return id !== undefined && HEX16.test(id) && !isZero(id) ? id : undefined;
};
/** `1`/`0`, and the `true`/`false` some old tracers send; `d` (debug) samples. */
const b3Sampling = (v: string | undefined): boolean | undefined => {
  switch (v?.trim()) {
    case '1':
    case 'true':
    case 'd':
      return true;
    case '0':
    case 'false':
      return false;
    default:
      return undefined;
  }
};

/** `b3: {traceid}-{spanid}[-{sampled}[-{parentspanid}]]`, or a lone decision `b3: 0|1|d`. */
export function parseB3Single(value: string | undefined): Extracted | undefined {
  if (value === undefined) return undefined;
  const parts = value.trim().split('-');
  if (parts.length === 1) {
    const sampled = b3Sampling(parts[0]);
    return sampled === undefined ? undefined : { sampled };
  }
  if (parts.length > 4) return undefined;
  const traceId = b3TraceId(parts[0]);
  const spanId = b3SpanId(parts[1]);
  if (traceId === undefined || spanId === undefined) return undefined;
  const sampled = parts[2] !== undefined ? b3Sampling(parts[2]) : undefined;
  if (parts[2] !== undefined && sampled === undefined) return undefined;
  const parentSpanId = parts[3] !== undefined ? b3SpanId(parts[3]) : undefined;
  if (parts[3] !== undefined && parentSpanId === undefined) return undefined;
  return { context: { traceId, spanId, ...(parentSpanId !== undefined ? { parentSpanId } : {}), ...(sampled !== undefined ? { sampled } : {}), format: 'b3-single' } };
}

export const formatB3Single = (c: OutgoingContext): string => `${c.traceId}-${c.spanId}-${c.sampled ? '1' : '0'}${c.parentSpanId !== undefined ? `-${c.parentSpanId}` : ''}`;

/** The multi-header form; `x-b3-flags: 1` (debug) samples. */
export function parseB3Multi(headers: Headers): Extracted | undefined {
  const debug = first(headers[TraceHeaders.b3Flags])?.trim() === '1';
  const sampledHeader = b3Sampling(first(headers[TraceHeaders.b3Sampled]));
  const sampled = debug ? true : sampledHeader;
  const rawTrace = first(headers[TraceHeaders.b3TraceId]);
  const rawSpan = first(headers[TraceHeaders.b3SpanId]);
  if (rawTrace === undefined && rawSpan === undefined) return sampled !== undefined ? { sampled } : undefined;
  const traceId = b3TraceId(rawTrace);
  const spanId = b3SpanId(rawSpan);
  if (traceId === undefined || spanId === undefined) return sampled !== undefined ? { sampled } : undefined;
  const parentSpanId = b3SpanId(first(headers[TraceHeaders.b3ParentSpanId]));
  return { context: { traceId, spanId, ...(parentSpanId !== undefined ? { parentSpanId } : {}), ...(sampled !== undefined ? { sampled } : {}), format: 'b3' } };
}

/**
 * The caller's context: `traceparent` first (with its `tracestate`), then `b3`, then the B3
 * multi headers, each only when well-formed. A malformed header is ignored, as Envoy does: the
 * request is served and starts a new trace.
 */
export function extractContext(headers: Headers): Extracted {
  const w3c = parseTraceparent(first(headers[TraceHeaders.traceparent]));
  if (w3c !== undefined) {
    const state = headers[TraceHeaders.tracestate];
    // Several tracestate headers are one list (RFC 9110 field combination).
    const traceState = (Array.isArray(state) ? state.join(',') : first(state))?.trim();
    const keep = traceState !== undefined && traceState !== '' && traceState.length <= MAX_TRACESTATE;
    // Built field by field: this runs for every request a peer proxy sends on.
    const context: IncomingContext = keep ? { traceId: w3c.traceId, spanId: w3c.spanId, sampled: w3c.sampled, traceState, format: 'w3c' } : { traceId: w3c.traceId, spanId: w3c.spanId, sampled: w3c.sampled, format: 'w3c' };
    return { context };
  }
  const single = parseB3Single(first(headers[TraceHeaders.b3]));
  const multi = parseB3Multi(headers);
  if (single?.context !== undefined) return single;
  if (multi?.context !== undefined) return multi;
  const sampled = single?.sampled ?? multi?.sampled;
  return sampled !== undefined ? { sampled } : {};
}

/** Writes `c` in every format (replacing whatever the request had), so any next hop reads the same context. */
export function injectContext(headers: Record<string, HeaderValue>, c: OutgoingContext): void {
  headers[TraceHeaders.traceparent] = formatTraceparent(c);
  if (c.traceState !== undefined) headers[TraceHeaders.tracestate] = c.traceState;
  else delete headers[TraceHeaders.tracestate];
  headers[TraceHeaders.b3] = formatB3Single(c);
  headers[TraceHeaders.b3TraceId] = c.traceId;
  headers[TraceHeaders.b3SpanId] = c.spanId;
  if (c.parentSpanId !== undefined) headers[TraceHeaders.b3ParentSpanId] = c.parentSpanId;
  else delete headers[TraceHeaders.b3ParentSpanId];
  headers[TraceHeaders.b3Sampled] = c.sampled ? '1' : '0';
  delete headers[TraceHeaders.b3Flags];
}
