import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Why a response went to a client. */
export type PushReason = 'subscribe' | 'change';

export interface XdsMetrics {
  readonly connectedProxies: Gauge<'protocol'>;
  readonly pushes: Counter<'type' | 'reason'>;
  readonly pushSeconds: Histogram;
  readonly convergenceSeconds: Histogram<'type'>;
  readonly rejects: Counter<'type'>;
  readonly translateSeconds: Histogram;
  readonly inconsistent: Counter;
  readonly resources: Gauge<'type'>;
}

// From sub-millisecond pushes on a small mesh to seconds for a mesh-wide change on a large one.
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createXdsMetrics(registry: Registry): XdsMetrics {
  const registers = [registry];
  return {
    connectedProxies: new Gauge({
      name: 'jetmesh_xds_connected_proxies',
      help: 'Open ADS streams, by protocol (sotw: state of the world, delta: incremental)',
      labelNames: ['protocol'],
      registers,
    }),
    pushes: new Counter({
      name: 'jetmesh_xds_pushes_total',
      help: 'xDS responses sent, by type (LDS, RDS, CDS, EDS) and reason (subscribe: a client asked; change: the mesh changed)',
      labelNames: ['type', 'reason'],
      registers,
    }),
    pushSeconds: new Histogram({
      name: 'pilot_xds_push_duration_seconds',
      help: 'From new snapshots to every affected stream having its responses queued: translation plus fan-out',
      buckets: latencyBuckets,
      registers,
    }),
    convergenceSeconds: new Histogram({
      name: 'jetmesh_convergence_seconds',
      help: 'From the ChangeSet (or registry event) being stored in its stream to an xDS client ACKing the response that reflects it, by type',
      labelNames: ['type'],
      buckets: latencyBuckets,
      registers,
    }),
    rejects: new Counter({
      name: 'pilot_xds_rejects_total',
      help: 'Responses a client NACKed, by type',
      labelNames: ['type'],
      registers,
    }),
    translateSeconds: new Histogram({
      name: 'pilot_xds_translate_duration_seconds',
      help: 'Time to translate and encode the changed hosts of one snapshot update',
      buckets: latencyBuckets,
      registers,
    }),
    inconsistent: new Counter({
      name: 'pilot_xds_inconsistent_total',
      help: 'Host translations that failed the consistency check and were not served (a translation bug)',
      registers,
    }),
    resources: new Gauge({
      name: 'pilot_xds_resources',
      help: 'Resources pilot can serve, by type',
      labelNames: ['type'],
      registers,
    }),
  };
}
