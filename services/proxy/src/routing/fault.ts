import { durationMs, type HTTPRoute } from '@jetmesh/model';

export type HTTPFaultInjection = NonNullable<HTTPRoute['fault']>;

export interface FaultDecision {
  readonly delayMs?: number;
  readonly abort?: { readonly status: number } | { readonly grpcStatus: number };
}

/** gRPC status numbers by the names Istio's abort.grpcStatus takes. */
export const GRPC_STATUS_CODES: Readonly<Record<string, number>> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
  DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/**
 * Whether this request is delayed and/or aborted, from two uniform numbers in [0, 1) (one per
 * fault, drawn independently as Envoy's fault filter does). Istio's rules: `percentage.value` wins
 * over the deprecated integer `percent` (delay only); a fault that names no percentage never fires
 * (Istio translates it to 0%, and its reference says so).
 */
export function decideFault(fault: HTTPFaultInjection | undefined, random01: { readonly delay: number; readonly abort: number }): FaultDecision {
  if (fault === undefined) return {};
  const out: { delayMs?: number; abort?: { status: number } | { grpcStatus: number } } = {};
  const d = fault.delay;
  if (d !== undefined && d.fixedDelay !== undefined && hits(d.percentage?.value ?? d.percent, random01.delay)) {
    const ms = durationMs(d.fixedDelay);
    if (ms !== undefined) out.delayMs = ms;
  }
  const a = fault.abort;
  if (a !== undefined && hits(a.percentage?.value, random01.abort)) {
    if (a.httpStatus !== undefined) out.abort = { status: a.httpStatus };
    else if (a.grpcStatus !== undefined) out.abort = { grpcStatus: GRPC_STATUS_CODES[a.grpcStatus] ?? 2 };
  }
  return out;
}

const hits = (percent: number | undefined, r: number): boolean => percent !== undefined && r * 100 < percent;
