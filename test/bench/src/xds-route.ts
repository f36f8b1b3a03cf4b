import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { createConfigClient } from '@jetmesh/rpc';
import { startMeshProcesses } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';
import { canaryServiceYaml } from './canary-mesh.js';
import { launchBenchPilot } from './pilot-bench-process.js';
import { routeProbeService } from './route-probe-service.js';
import { percentile } from './stats.js';
import { natsRoundTrip } from './nats-round-trip.js';
import { benchQuick } from './bench-mode.js';

/*
 * xds-route: `Apply` returned → the first call of a real @grpc/grpc-js-xds client answered on the
 * new route. The client (its own process) calls `probe` back to back; each change moves all its
 * traffic to the other of two backends (v1 ⇄ v2), so the first answer from the other one is the
 * first call on the new route. The mesh has SERVICES other services (gRPC canaries) beside it.
 * Baseline: NATS publish → subscribe on the same server, the floor of any push.
 */

const quick = benchQuick();
const SERVICES = quick ? 100 : 1000;
const CHANGES = quick ? 20 : 100;
const APPLY_BATCH = 100;
const PORT = 9080;
const TARGET = `xds:///probe.default.svc.cluster.local:${PORT}`;

const probeMeshYaml = (ports: ReadonlyMap<string, number>): string => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: probe}
spec:
  hosts: [probe]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${PORT}, name: grpc, protocol: GRPC}]
  workloadSelector: {labels: {app: probe}}
${[...ports]
  .map(
    ([v, port]) => `---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: probe-${v}}
spec: {address: 127.0.0.1, ports: {grpc: ${port}}, labels: {app: probe, version: ${v}}}`,
  )
  .join('\n')}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: probe}
spec: {host: probe, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
`;

/** All traffic to `subset`; `n` varies the route's timeout so every apply is a change even when the subset repeats. */
const probeRouteYaml = (subset: string, n: number): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: probe}
spec:
  hosts: [probe]
  http:
  - route: [{destination: {host: probe, subset: ${subset}}}]
    timeout: ${10 + n}s
`;

const startBackend = async (version: string): Promise<{ port: number; server: grpc.Server }> => {
  const server = new grpc.Server();
  server.addService(routeProbeService, { Get: (_call: unknown, cb: grpc.sendUnaryData<{ version: string }>) => cb(null, { version }) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, server };
};

interface Observation {
  readonly outcome: string;
  readonly start: number;
  readonly end: number;
}

export const xdsRouteBench = async (): Promise<BenchRow[]> => {
  const mesh = await startMeshProcesses({ services: ['galley'] });
  const backends = new Map([
    ['v1', await startBackend('v1')],
    ['v2', await startBackend('v2')],
  ]);
  const config = createConfigClient(mesh.env.JETMESH_GALLEY_ADDRESS as string, { actor: 'bench' });
  const pilot = await launchBenchPilot(mesh.nats.url, 'XDS_ROUTE_PILOT_NODE_ARGS');
  const bootstrap = {
    xds_servers: [{ server_uri: `127.0.0.1:${pilot.xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: 'route-probe', locality: {}, metadata: { NAMESPACE: 'default' } },
  };
  const client = fork(fileURLToPath(new URL('./xds-route-client.js', import.meta.url)), [], {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap), TARGET },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const seen: Observation[] = [];
  let wake: () => void = () => {};
  client.on('message', (m: Observation) => {
    seen.push(m);
    wake();
  });
  const now = (): number => performance.timeOrigin + performance.now();
  /** The first observation after index `from` answered by `outcome`. */
  const firstOf = async (outcome: string, from: number, timeoutMs: number): Promise<Observation> => {
    const deadline = now() + timeoutMs;
    for (;;) {
      const hit = seen.slice(from).find((o) => o.outcome === outcome);
      if (hit !== undefined) return hit;
      if (now() > deadline) throw new Error(`xds-route: no call answered by ${outcome} within ${timeoutMs} ms; seen ${JSON.stringify(seen.slice(-5))}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
  };
  try {
    for (let start = 0; start < SERVICES; start += APPLY_BATCH) {
      const yaml = Array.from({ length: Math.min(APPLY_BATCH, SERVICES - start) }, (_, k) => canaryServiceYaml(start + k, 10, 'grpc')).join('---\n');
      await config.apply({ yaml, defaultNamespace: 'default' });
    }
    await config.apply({ yaml: `${probeMeshYaml(new Map([...backends].map(([v, b]) => [v, b.port])))}---\n${probeRouteYaml('v1', 0)}`, defaultNamespace: 'default' });
    await firstOf('v1', 0, 30_000);
    const lags: number[] = [];
    for (let n = 1; n <= CHANGES; n++) {
      const subset = n % 2 === 1 ? 'v2' : 'v1';
      const from = seen.length;
      await config.apply({ yaml: probeRouteYaml(subset, n), defaultNamespace: 'default' });
      const returned = now();
      const first = await firstOf(subset, from, 10_000);
      lags.push(Math.max(0, first.end - returned));
      // Let the client settle on the new route before the next change.
      await new Promise((r) => setTimeout(r, 20));
    }
    const rtt = await natsRoundTrip(mesh.nats.url, 200);
    return [50, 99].map((p) => ({
      bench: 'xds-route',
      metric: `Apply returned → first grpc-js-xds call on the new route p${p} (${SERVICES} services)`,
      value: percentile(lags, p),
      baselineName: `NATS pub→sub p${p}`,
      baseline: percentile(rtt, p),
      unit: 'ms',
    }));
  } finally {
    client.disconnect();
    client.kill();
    config.close();
    await pilot.child.stop();
    for (const b of backends.values()) b.server.forceShutdown();
    await mesh.stop();
  }
};
