import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type ApplyResult = 'accepted' | 'rejected' | 'conflict';

/** What galley reports on its admin /metrics. */
export interface GalleyMetrics {
  /** Apply requests by outcome: accepted (published or unchanged), rejected (invalid input), conflict (lost the race). */
  readonly applies: Counter<'result'>;
  /** From the first publish attempt until the change is folded locally, retries included. */
  readonly publishSeconds: Histogram;
  /** Publishes that lost to a concurrent writer and were re-planned. */
  readonly publishConflicts: Counter;
  /** Registrar: proxy requests and heartbeats acted on, by op (register, heartbeat, deregister). */
  readonly registrations: Counter<'op'>;
  /** Registrar: requests and heartbeats refused, by op and code (UNAUTHENTICATED, PERMISSION_DENIED, …). */
  readonly registrationRejections: Counter<'op' | 'code'>;
  /** Registrar: workloads removed for want of a heartbeat within the grace period. */
  readonly registrySweeps: Counter;
  /** Resource changes this replica recorded in the config log, by kind and action (apply, delete). */
  readonly configEvents: Counter<'kind' | 'action'>;
  /** Writes refused (Apply, Delete, Rollback, RepairChain), once per distinct reason code in the refusal. */
  readonly configRejections: Counter<'reason'>;
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
    registrations: new Counter({ name: 'galley_registrations_total', help: 'Workload registration requests and heartbeats accepted, by op', labelNames: ['op'], registers: [registry] }),
    registrationRejections: new Counter({
      name: 'galley_registration_rejections_total',
      help: 'Workload registration requests and heartbeats refused, by op and code',
      labelNames: ['op', 'code'],
      registers: [registry],
    }),
    registrySweeps: new Counter({ name: 'galley_registry_sweeps_total', help: 'Workloads removed after no heartbeat for the grace period', registers: [registry] }),
    // Mesh-wide names (sum over galley replicas gives the mesh's total).
    configEvents: new Counter({
      name: 'jetmesh_config_events_total',
      help: 'Resource changes recorded in the config log by this galley replica, by kind and action',
      labelNames: ['kind', 'action'],
      registers: [registry],
    }),
    configRejections: new Counter({
      name: 'jetmesh_config_rejections_total',
      help: 'Config writes refused, by reason (INVALID, UNKNOWN_FIELD, MALFORMED, TOO_LARGE, CONFLICT, NOT_FOUND, FORKED, DEADLINE_EXCEEDED, UNAUTHENTICATED, PERMISSION_DENIED)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

/** Forks of the config log no repair has re-chained (0 in a healthy mesh; alert on anything else). */
export function registerForkGauge(registry: Registry, unrepairedForks: () => number): Gauge {
  return new Gauge({
    name: 'galley_config_log_forks',
    help: 'ChangeSets stored on the same predecessor as another and not yet re-chained by `jetmesh audit repair`; writes are refused while > 0',
    registers: [registry],
    collect() {
      this.set(unrepairedForks());
    },
  });
}
