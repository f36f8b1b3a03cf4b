import { durationMs } from '@jetmesh/model';
import type { UpstreamOutcome } from './upstream-outcome.js';

/** A route's retry settings as the snapshot may carry them (HTTPRetry, durations already in ms or as Istio strings). */
export interface RouteRetries {
  readonly attempts: number;
  readonly perTryTimeoutMs?: number;
  readonly perTryTimeout?: string;
  readonly retryOn?: string;
  readonly backoffMs?: number;
  readonly backoff?: string;
  readonly retryIgnorePreviousHosts?: boolean;
}

export interface RetryPolicy {
  /** Retries after the first try (Envoy's num_retries): 2 means at most 3 tries. */
  readonly numRetries: number;
  readonly retryOn: ReadonlySet<string>;
  readonly retriableStatusCodes: ReadonlySet<number>;
  readonly perTryTimeoutMs?: number;
  /** Envoy's jittered exponential back-off: base 25 ms, cap 10× base. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Envoy's previous_hosts predicate: a retry avoids endpoints this request already tried. */
  readonly avoidPreviousHosts: boolean;
}

/** Istio's retryOn when a route sets none (pilot's retry.DefaultPolicy). */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
export const DEFAULT_RETRY_ATTEMPTS = 2;
export const DEFAULT_BACKOFF_BASE_MS = 25;

/**
 * Istio's translation (pilot retry.ConvertPolicy): no retries on the route → the default policy
 * (2 retries on DEFAULT_RETRY_ON, no retriable status codes: Istio's default names the policy but
 * lists no code); attempts 0 → no retries (undefined); a bare status code in retryOn adds it and
 * `retriable-status-codes`. A consistent-hash cluster keeps its endpoint on retry (no previous_hosts).
 */
export function retryPolicyOf(retries: RouteRetries | undefined, opts: { readonly consistentHash?: boolean } = {}): RetryPolicy | undefined {
  const avoid = opts.consistentHash !== true;
  if (retries === undefined) return { ...parsedRetryOn(DEFAULT_RETRY_ON), ...backoff(DEFAULT_BACKOFF_BASE_MS), numRetries: DEFAULT_RETRY_ATTEMPTS, avoidPreviousHosts: avoid };
  if (!(retries.attempts > 0)) return undefined;
  const perTry = retries.perTryTimeoutMs ?? (retries.perTryTimeout !== undefined ? durationMs(retries.perTryTimeout) : undefined);
  const base = retries.backoffMs ?? (retries.backoff !== undefined ? durationMs(retries.backoff) : undefined) ?? DEFAULT_BACKOFF_BASE_MS;
  return {
    ...parsedRetryOn(retries.retryOn !== undefined && retries.retryOn !== '' ? retries.retryOn : DEFAULT_RETRY_ON),
    ...backoff(base),
    numRetries: retries.attempts,
    ...(perTry !== undefined ? { perTryTimeoutMs: perTry } : {}),
    avoidPreviousHosts: retries.retryIgnorePreviousHosts ?? avoid,
  };
}

const backoff = (base: number): { backoffBaseMs: number; backoffMaxMs: number } => ({ backoffBaseMs: base, backoffMaxMs: base * 10 });

/** Splits Istio's retryOn into Envoy's policies and its retriable status codes (integers are codes). */
export function parsedRetryOn(retryOn: string): { retryOn: ReadonlySet<string>; retriableStatusCodes: ReadonlySet<number> } {
  const policies = new Set<string>();
  const codes = new Set<number>();
  for (const raw of retryOn.split(',')) {
    const p = raw.trim();
    if (p === '') continue;
    if (/^\d+$/.test(p)) codes.add(Number(p));
    else policies.add(p);
  }
  if (codes.size > 0) policies.add('retriable-status-codes');
  return { retryOn: policies, retriableStatusCodes: codes };
}

/** gRPC status codes of Envoy's x-envoy-retry-grpc-on policies. */
const GRPC_RETRY_ON: Readonly<Record<string, number>> = { cancelled: 1, 'deadline-exceeded': 4, 'resource-exhausted': 8, internal: 13, unavailable: 14 };

/**
 * Envoy's retry decision for one failed try (whether attempts remain is the caller's count):
 * `5xx` any 5xx or no response at all; `gateway-error` 502/503/504 or no response; `reset` no
 * response (reset, connect failure, per-try timeout); `connect-failure`, `refused-stream`;
 * `retriable-4xx` 409; `retriable-status-codes` the listed codes; gRPC policies on grpc-status.
 */
export function shouldRetry(policy: RetryPolicy, outcome: UpstreamOutcome): boolean {
  const on = policy.retryOn;
  switch (outcome.kind) {
    case 'response': {
      const s = outcome.status;
      if (on.has('5xx') && s >= 500 && s <= 599) return true;
      if (on.has('gateway-error') && (s === 502 || s === 503 || s === 504)) return true;
      if (on.has('retriable-4xx') && s === 409) return true;
      if (on.has('retriable-status-codes') && policy.retriableStatusCodes.has(s)) return true;
      if (outcome.grpcStatus !== undefined) {
        for (const [name, code] of Object.entries(GRPC_RETRY_ON)) if (on.has(name) && outcome.grpcStatus === code) return true;
      }
      return false;
    }
    case 'connect-failure':
      return on.has('connect-failure') || on.has('reset') || on.has('5xx') || on.has('gateway-error') || on.has('reset-before-request');
    case 'refused-stream':
      return on.has('refused-stream') || on.has('reset') || on.has('5xx') || on.has('gateway-error') || on.has('reset-before-request');
    case 'reset':
      return on.has('reset') || on.has('5xx') || on.has('gateway-error') || (outcome.beforeRequest === true && on.has('reset-before-request'));
    case 'timeout':
      return on.has('5xx') || on.has('gateway-error') || on.has('reset');
  }
}

/**
 * Envoy's fully jittered exponential back-off before retry number `retry` (1 for the first
 * retry): uniform in [0, min((2^retry − 1) × base, max)). The first waits 0–24 ms by default.
 */
export function backoffDelayMs(policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffMaxMs'>, retry: number, random01: number): number {
  const n = Math.max(1, Math.floor(retry));
  const ceiling = Math.min(policy.backoffBaseMs * (2 ** Math.min(n, 52) - 1), policy.backoffMaxMs);
  const r = Number.isFinite(random01) ? Math.min(Math.max(random01, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(r * ceiling);
}
