import { Counter, Histogram, type Registry } from 'prom-client';

export type ApplyResult = 'accepted' | 'rejected' | 'conflict';

/** What galley reports on its admin /metrics. */
export interface GalleyMetrics {
  /** Apply requests by outcome: accepted (published or unchanged), rejected (invalid input), conflict (lost the race). */
  readonly applies: Counter<'result'>;
  /** From the first publish attempt until the change is folded locally, retries included. */
  readonly publishSeconds: Histogram;
  /** Publishes that lost to a concurrent writer and were re-planned. */
  readonly publishConflicts: Counter;
}

export function createGalleyMetrics(registry: Registry): GalleyMetrics {
  return {
    applies: new Counter({ name: 'galley_applies_total', help: 'Apply requests by result', labelNames: ['result'], registers: [registry] }),
    publishSeconds: new Histogram({
      name: 'galley_publish_duration_seconds',
      help: 'Time to publish one ChangeSet and fold it locally, retries included',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    publishConflicts: new Counter({
      name: 'galley_publish_conflicts_total',
      help: 'Publishes rejected by the expected-sequence check and retried against the new state',
      registers: [registry],
    }),
  };
}
