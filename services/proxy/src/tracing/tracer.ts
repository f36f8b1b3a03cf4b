import { extractContext, type OutgoingContext } from './trace-context.js';

/** Where ids and sampling draws come from (crypto and Math.random in the proxy, fixed in tests). */
export interface TraceEntropy {
  /** 32 lowercase hex digits. */
  traceId(): string;
  /** 16 lowercase hex digits. */
  spanId(): string;
  /** Uniform in [0, 1). */
  random(): number;
}

/**
 * The context of the span this hop makes for a request with `headers`: a child of the caller's
 * span when the request carries one (W3C or B3), else the root of a new trace. The caller's
 * sampling decision is honoured; without one, `samplingPercent` of new decisions sample
 * (Istio's meshConfig `tracing.sampling`).
 */
export function childContext(headers: Readonly<Record<string, string | string[] | number | undefined>>, samplingPercent: number, entropy: TraceEntropy): OutgoingContext {
  const found = extractContext(headers);
  const decided = found.context !== undefined ? found.context.sampled : found.sampled;
  const sampled = decided ?? (samplingPercent >= 100 || (samplingPercent > 0 && entropy.random() * 100 < samplingPercent));
  // A span is never its own parent, even if a caller sent the id we drew.
  let spanId = entropy.spanId();
  if (found.context !== undefined && spanId === found.context.spanId) spanId = entropy.spanId();
  if (found.context === undefined) return { traceId: entropy.traceId(), spanId, sampled };
  const c = found.context;
  return { traceId: c.traceId, spanId, parentSpanId: c.spanId, sampled, ...(c.traceState !== undefined ? { traceState: c.traceState } : {}) };
}
