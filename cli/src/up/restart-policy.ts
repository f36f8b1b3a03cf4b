export interface RestartPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** This many exits within `windowMs` is a crash loop: stop restarting. */
  readonly maxExits: number;
  readonly windowMs: number;
}

export const defaultRestartPolicy: RestartPolicy = { initialDelayMs: 1000, maxDelayMs: 15_000, maxExits: 5, windowMs: 30_000 };

export type RestartDecision =
  | { readonly kind: 'restart'; readonly delayMs: number; readonly recentExits: readonly number[] }
  | { readonly kind: 'give-up'; readonly exits: number; readonly windowMs: number };

/** After an exit at `now`: restart with doubling delay, or give up on a crash loop. */
export function decideRestart(earlierExits: readonly number[], now: number, policy: RestartPolicy): RestartDecision {
  const recentExits = [...earlierExits.filter((t) => now - t < policy.windowMs), now];
  if (recentExits.length >= policy.maxExits) return { kind: 'give-up', exits: recentExits.length, windowMs: policy.windowMs };
  const delayMs = Math.min(policy.initialDelayMs * 2 ** (recentExits.length - 1), policy.maxDelayMs);
  return { kind: 'restart', delayMs, recentExits };
}

/** "1s", "500ms": how a delay or window reads in a message. */
export function formatDelay(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
