import { join, relative } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { NatsPortInUseError, freePort, launchNatsCluster, launchNatsServer, type NatsServerProcess } from '@jetmesh/runtime';
import { SINGLE_SERVER_STORE } from './nats-users.js';
import type { StatusRow } from './status-table.js';

export const NATS_NOT_FOUND =
  'nats-server not found: install it (apt-get install nats-server) or set JETMESH_NATS_URL to a running JetStream server';

const START_TIMEOUT_MS = 15_000;
const PORT_ATTEMPTS = 3;
const CLUSTER_NAME = 'jetmesh-local';

/** `up`'s own NATS: one server, or a cluster on loopback; never the machine's shared 4222. */
export interface LocalNats {
  /** Every node's client URL, comma-separated (JETMESH_NATS_URL). */
  readonly urls: string;
  readonly nodes: readonly NatsServerProcess[];
  /** Calls `listener` as each node ends (how: "signal SIGKILL"), with the number still running. */
  onExit(listener: (node: NatsServerProcess, how: string, running: number) => void): void;
  /** One row per node for the status table. */
  rows(cwd: string): StatusRow[];
  stop(graceMs: number): Promise<void>;
  /** SIGKILL every node at once (synchronous sends: safe in an exit handler). */
  kill(): void;
}

export interface LocalNatsOptions {
  readonly binary: string;
  /** .jetmesh/nats for one server; a cluster's nodes get .jetmesh/nats-cluster/nI. */
  readonly contextDir: string;
  /** 0: one server; otherwise the number of cluster nodes. */
  readonly clusterSize: number;
  /** The mesh account's accounts.conf (LocalNatsUsers): every node runs in operator mode on it. */
  readonly accountsConf: string;
}

function localNats(nodes: readonly NatsServerProcess[]): LocalNats {
  return {
    urls: nodes.map((n) => n.url).join(','),
    nodes,
    onExit: (listener) => {
      for (const node of nodes) void node.exited.then((how) => listener(node, how, nodes.filter((n) => n.running).length));
    },
    rows: (cwd) =>
      nodes.map((n) => ({
        service: n.serverName === undefined ? 'nats' : `nats ${n.serverName}`,
        listensOn: `${n.url}  (store ${relative(cwd, n.storeDir)})`,
        admin: n.monitorUrl ?? '-',
      })),
    stop: async (graceMs) => {
      await Promise.all(nodes.map((n) => n.stop(graceMs)));
    },
    kill: () => {
      for (const n of nodes) void n.kill();
    },
  };
}

/** Starts nats-server(s) with JetStream on the mesh account (deploy/nats/'s users as JWTs); Left explains why they did not come up. */
export async function startLocalNats(opts: LocalNatsOptions): Promise<E.Either<string, LocalNats>> {
  // Own process groups: a terminal's Ctrl-C reaches only `up`, which stops the services before the servers.
  const common = { binary: opts.binary, include: opts.accountsConf, detached: true, startTimeoutMs: START_TIMEOUT_MS, outputLines: 30 };
  try {
    if (opts.clusterSize > 0) {
      const cluster = await launchNatsCluster({ ...common, size: opts.clusterSize, clusterName: CLUSTER_NAME, dir: join(opts.contextDir, 'nats-cluster') });
      return E.right(localNats(cluster.nodes));
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const dir = join(opts.contextDir, SINGLE_SERVER_STORE);
        const server = await launchNatsServer({ ...common, port: await freePort(), monitorPort: await freePort(), storeDir: dir, configDir: opts.contextDir });
        return E.right(localNats([server]));
      } catch (err) {
        if (!(err instanceof NatsPortInUseError) || attempt >= PORT_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    return E.left(err instanceof Error ? err.message : String(err));
  }
}
