/*
 * When a workload certificate is renewed and how failed attempts are retried.
 * Pure: the caller passes the clock and the random number.
 */

export interface RetryPolicy {
  /** First retry delay; doubled per failure. */
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 1_000, maxMs: 60_000 };

/** Renew halfway through the lifetime as this process saw it (citadel backdates notBefore for clock skew). */
export const renewalAt = (receivedAt: number, notAfter: number): number => receivedAt + (notAfter - receivedAt) / 2;

/**
 * The wait before retry number `failures` (1 = after the first failure): exponential
 * backoff with jitter in [50%, 100%], never past a quarter of the time left, so
 * several more attempts fit before a held certificate expires.
 */
export function retryDelay(failures: number, policy: RetryPolicy, random: number, msLeft?: number): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, failures - 1));
  const jittered = exponential * (0.5 + random / 2);
  const bound = msLeft === undefined || msLeft <= 0 ? jittered : Math.max(Math.min(policy.initialMs, 250), msLeft / 4);
  return Math.round(Math.min(jittered, bound));
}
