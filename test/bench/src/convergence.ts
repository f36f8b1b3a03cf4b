import { performance } from 'node:perf_hooks';
import { connectBus, openSnapshotStore, snapshotKeyForHost } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import type { VersionedSnapshot } from '@jetmesh/model';
import { createConfigClient } from '@jetmesh/rpc';
import { startMeshProcesses } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';
import { canaryRouteYaml, canaryServiceYaml } from './canary-mesh.js';
import { percentile } from './stats.js';
import { natsRoundTrip } from './nats-round-trip.js';
import { benchQuick } from './bench-mode.js';

const quick = benchQuick();
const SERVICES = quick ? 50 : 100;
const CHANGES = quick ? 50 : 200;

/** Apply returns → the new snapshot reaches a subscriber of its KV key, over CHANGES changes on a SERVICES-service mesh. */
export const convergenceBench = async (): Promise<BenchRow[]> => {
  const mesh = await startMeshProcesses();
  const client = createConfigClient(mesh.env.JETMESH_GALLEY_ADDRESS as string, { actor: 'bench' });
  const bus = await connectBus(mesh.nats.url, createLogger('bench', 'silent'));
  try {
    const all = Array.from({ length: SERVICES }, (_, i) => canaryServiceYaml(i, 10, 'http')).join('---\n');
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
      const res = await client.apply({ yaml: canaryRouteYaml(i, 11 + (n % 80)), defaultNamespace: 'default' });
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
