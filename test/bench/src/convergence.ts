import { performance } from 'node:perf_hooks';
import { connectBus, openSnapshotStore, snapshotKeyForHost } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import type { VersionedSnapshot } from '@jetmesh/model';
import { createConfigClient } from '@jetmesh/rpc';
import { startMeshProcesses } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';
import { percentile } from './stats.js';
import { natsRoundTrip } from './nats-round-trip.js';

const SERVICES = 100;
const CHANGES = 200;

const serviceYaml = (i: number, weight: number): string => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: svc-${i}}
spec:
  hosts: [svc-${i}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http}]
  workloadSelector: {labels: {app: svc-${i}}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: svc-${i}-v1}
spec: {address: 10.0.${Math.floor(i / 250)}.${(i % 250) + 1}, labels: {app: svc-${i}, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: svc-${i}-v2}
spec: {address: 10.1.${Math.floor(i / 250)}.${(i % 250) + 1}, labels: {app: svc-${i}, version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc-${i}}
spec: {host: svc-${i}, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
---
${routeYaml(i, weight)}`;

const routeYaml = (i: number, weight: number): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: svc-${i}}
spec:
  hosts: [svc-${i}]
  http:
  - route:
    - {destination: {host: svc-${i}, subset: v1}, weight: ${100 - weight}}
    - {destination: {host: svc-${i}, subset: v2}, weight: ${weight}}
`;

/** Apply returns → the new snapshot reaches a subscriber of its KV key, over 200 changes on a 100-service mesh. */
export const convergenceBench = async (): Promise<BenchRow[]> => {
  const mesh = await startMeshProcesses();
  const client = createConfigClient(mesh.env.JETMESH_GALLEY_ADDRESS as string, { actor: 'bench' });
  const bus = await connectBus(mesh.nats.url, createLogger('bench', 'silent'));
  try {
    const all = Array.from({ length: SERVICES }, (_, i) => serviceYaml(i, 10)).join('---\n');
    await client.apply({ yaml: all, defaultNamespace: 'default' });
    const store = await openSnapshotStore(bus);
    const afterReturn: number[] = [];
    const endToEnd: number[] = [];
    for (let n = 0; n < CHANGES; n++) {
      const i = n % SERVICES;
      const key = snapshotKeyForHost(`svc-${i}.default.svc.cluster.local`);
      // Every arrival is stamped as it happens: pilot can win the race against apply's reply.
      const arrivals: Array<{ at: number; config: number }> = [];
      let wake: () => void = () => {};
      const watch = store.watchKey(key, (entry) => {
        const v = entry?.value as VersionedSnapshot | undefined;
        if (v !== undefined) arrivals.push({ at: performance.now(), config: v.version.config });
        wake();
      });
      await new Promise((r) => setTimeout(r, 5)); // the watch's initial get settles first
      const t0 = performance.now();
      const res = await client.apply({ yaml: routeYaml(i, 11 + (n % 80)), defaultNamespace: 'default' });
      const t1 = performance.now();
      let hit = arrivals.find((a) => a.config >= res.sequence);
      while (hit === undefined) {
        await new Promise<void>((r) => (wake = r));
        hit = arrivals.find((a) => a.config >= res.sequence);
      }
      afterReturn.push(Math.max(0, hit.at - t1));
      endToEnd.push(hit.at - t0);
      watch.stop();
    }
    const rtt = await natsRoundTrip(mesh.nats.url, CHANGES);
    return [50, 99].flatMap((p) => [
      {
        bench: 'convergence',
        metric: `Apply returned → KV subscriber p${p}`,
        value: percentile(afterReturn, p),
        baselineName: `NATS pub→sub p${p}`,
        baseline: percentile(rtt, p),
        unit: 'ms',
      },
      {
        bench: 'convergence',
        metric: `Apply called → KV subscriber p${p}`,
        value: percentile(endToEnd, p),
        baselineName: `NATS pub→sub p${p}`,
        baseline: percentile(rtt, p),
        unit: 'ms',
      },
    ]);
  } finally {
    client.close();
    await bus.close();
    await mesh.stop();
  }
};
