import { join } from 'node:path';
import { freePort } from './local-ports.js';
import { launchNatsServer, NatsPortInUseError, type NatsServerLaunch, type NatsServerProcess } from './nats-server-process.js';

export interface NatsClusterLaunch extends Pick<NatsServerLaunch, 'binary' | 'include' | 'env' | 'startTimeoutMs' | 'detached' | 'onSpawn' | 'maxPayload'> {
  /** Number of nodes: 3 is the smallest cluster that survives losing one. */
  readonly size: number;
  readonly clusterName: string;
  /** Node `nI` keeps its config in `dir/nI` and its store in `dir/nI/store`. */
  readonly dir: string;
}

export interface NatsClusterProcess {
  /** server_name n0, n1, …: each on its own client, route and monitoring port. */
  readonly nodes: readonly NatsServerProcess[];
  /** Every node's client URL, comma-separated: JETMESH_NATS_URL for a component that may use any node. */
  readonly urls: string;
  /** SIGTERM every node at once (then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

const START_ATTEMPTS = 3;

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Each node's launch: ports chosen before any node starts, since each node's routes name the others'. */
export function clusterNodeLaunches(launch: NatsClusterLaunch, ports: readonly number[]): NatsServerLaunch[] {
  const at = (i: number): number => ports[i] ?? 0;
  const routePort = (i: number): number => at(3 * i + 1);
  return Array.from({ length: launch.size }, (_, i) => {
    const name = `n${i}`;
    const routes = Array.from({ length: launch.size }, (__, j) => j)
      .filter((j) => j !== i)
      .map((j) => `nats://127.0.0.1:${routePort(j)}`);
    const { size: _size, clusterName, dir, ...common } = launch;
    return {
      ...common,
      port: at(3 * i),
      monitorPort: at(3 * i + 2),
      serverName: name,
      configDir: join(dir, name),
      storeDir: join(dir, name, 'store'),
      cluster: { clusterName, port: routePort(i), routes },
    };
  });
}

async function launchAll(launches: readonly NatsServerLaunch[]): Promise<NatsServerProcess[]> {
  const started = await Promise.allSettled(launches.map((l) => launchNatsServer(l)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const up = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failed === undefined) return up;
  await Promise.all(up.map((server) => server.stop()));
  throw failed.reason;
}

/**
 * A JetStream cluster of `size` nats-servers on loopback, all started at once (a node waits for
 * its routes, not for a meta leader), each with its own store. Resolves once every process is
 * ready; the meta leader is elected after (components wait for it: JETMESH_NATS_READY_TIMEOUT).
 */
export async function launchNatsCluster(launch: NatsClusterLaunch): Promise<NatsClusterProcess> {
  if (!Number.isInteger(launch.size) || launch.size < 1) throw new Error(`a NATS cluster needs at least 1 node, got ${launch.size}`);
  for (let attempt = 1; ; attempt++) {
    const launches = clusterNodeLaunches(launch, await distinctFreePorts(launch.size * 3));
    try {
      const nodes = await launchAll(launches);
      return {
        nodes,
        urls: nodes.map((n) => n.url).join(','),
        stop: async (graceMs) => {
          await Promise.all(nodes.map((n) => n.stop(graceMs)));
        },
      };
    } catch (err) {
      // The ports were free when chosen; another process may have taken one since.
      if (!(err instanceof NatsPortInUseError) || attempt >= START_ATTEMPTS) throw err;
    }
  }
}
