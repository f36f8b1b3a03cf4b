import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchNatsCluster, type MeshNatsUser, type NatsClusterProcess } from '@jetmesh/runtime';
import { forgetTempDir, reapOnExit, removeOnExit } from './child-reaper.js';
import { eventually } from './eventually.js';
import { makeMeshAccount, natsServerBinaryForTests, testServerHandle, type MeshAccountConfig, type NatsCredentials, type NatsServerHandle } from './nats-server.js';

export interface NatsClusterOptions {
  /** Number of nodes; default 3 (the smallest cluster that survives losing one). */
  readonly size?: number;
  /** Every node on one fresh mesh account (deploy/nats/make-accounts.mjs): each component's user a JWT. */
  readonly meshUsers?: boolean;
  /** How long each node and the meta leader election may take, in ms. Default 20 s. */
  readonly startTimeoutMs?: number;
}

/** One stream as one node holds it, from that node's /jsz: its own copy, not the leader's view. */
export interface NodeStreamState {
  readonly messages: number;
  readonly lastSeq: number;
  /** The stream leader's server_name as this node knows it; undefined while there is none. */
  readonly leader: string | undefined;
}

export interface NatsClusterNode {
  /** server_name, e.g. "n1": what JetStream reports as a leader or replica. */
  readonly name: string;
  /** nats://127.0.0.1:PORT of this node alone. */
  readonly url: string;
  readonly server: NatsServerHandle;
  /** Whether the node's process is running (not killed or stopped by the test). */
  readonly running: boolean;
  /** This node's copy of `stream` (from its /jsz); undefined when the node holds no replica of it. */
  streamState(stream: string): Promise<NodeStreamState | undefined>;
  /** The JetStream meta leader this node sees; undefined while there is none. */
  metaLeader(): Promise<string | undefined>;
}

export interface NatsClusterHandle {
  readonly nodes: readonly NatsClusterNode[];
  /** Every node's client URL, comma-separated: JETMESH_NATS_URL for a component that may use any node. */
  readonly urls: string;
  node(name: string): NatsClusterNode;
  /** Resolves the meta leader's name once every running node agrees on one that is running. */
  waitForMetaLeader(timeoutMs?: number): Promise<string>;
  /** SIGKILL one node (a crash); the others elect new leaders. */
  kill(name: string): Promise<void>;
  /** Start a stopped or killed node again on its ports and store, then wait for the meta leader. */
  restart(name: string): Promise<void>;
  /** SIGTERM every node (the whole cluster shut down); their stores stay for startAll. */
  stopAll(): Promise<void>;
  /**
   * Starts every node that is not running, all at once, on its ports and store. Resolves once each
   * process is up, without waiting for any leader: the meta and stream leaders are elected after.
   */
  startAll(): Promise<void>;
  /** Stop every node and remove their stores. */
  dispose(): Promise<void>;
  /** With `meshUsers`: `user`'s credentials (MeshNatsServerHandle.credentials). */
  credentials(user: MeshNatsUser): NatsCredentials;
  /** With `meshUsers`: JETMESH_NATS_URL (all nodes) and what `user` is started with (MeshNatsServerHandle.envFor). */
  envFor(user: MeshNatsUser): Record<string, string>;
}

const CLUSTER_NAME = 'jetmesh-test';

interface Jsz {
  readonly meta_cluster?: { readonly leader?: string };
  readonly account_details?: readonly {
    readonly stream_detail?: readonly {
      readonly name: string;
      readonly cluster?: { readonly leader?: string };
      readonly state: { readonly messages: number; readonly last_seq: number };
    }[];
  }[];
}

async function fetchJsz(monitorUrl: string, query: string): Promise<Jsz | undefined> {
  try {
    const response = await fetch(`${monitorUrl}/jsz${query}`, { signal: AbortSignal.timeout(1_000) });
    if (!response.ok) return undefined;
    return (await response.json()) as Jsz;
  } catch {
    return undefined;
  }
}

/**
 * A local JetStream cluster of `size` nats-server processes (launchNatsCluster of @jetmesh/runtime
 * in a temp dir: each node its own store, server_name n0…, cluster port and routes to the others),
 * resolved once the nodes agree on a JetStream meta leader. Nodes can be killed and restarted one at a time.
 */
export async function startNatsCluster(opts: NatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const size = opts.size ?? 3;
  const binary = natsServerBinaryForTests();
  const dir = await mkdtemp(join(tmpdir(), 'jetmesh-nats-cluster-'));
  removeOnExit(dir);
  let cluster: NatsClusterProcess;
  let users: MeshAccountConfig | undefined;
  try {
    users = opts.meshUsers === true ? await makeMeshAccount(join(dir, 'account')) : undefined;
    cluster = await launchNatsCluster({
      binary,
      size,
      clusterName: CLUSTER_NAME,
      dir,
      onSpawn: reapOnExit,
      ...(opts.startTimeoutMs === undefined ? {} : { startTimeoutMs: opts.startTimeoutMs }),
      ...(users === undefined ? {} : { include: users.accountsConf }),
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    forgetTempDir(dir);
    throw err;
  }
  const meshAccount = users;
  const started = cluster.nodes.map((server) => ({ name: server.serverName ?? '', monitorUrl: server.monitorUrl ?? '', server: testServerHandle(server, join(dir, server.serverName ?? '')) }));
  const running = new Set(started.map((s) => s.name));
  const nodes: NatsClusterNode[] = started.map(({ name, monitorUrl, server }) => ({
    name,
    url: server.url,
    server,
    get running() {
      return running.has(name);
    },
    metaLeader: async () => (await fetchJsz(monitorUrl, ''))?.meta_cluster?.leader || undefined,
    streamState: async (stream) => {
      const jsz = await fetchJsz(monitorUrl, '?accounts=true&streams=true');
      const found = jsz?.account_details?.flatMap((account) => account.stream_detail ?? []).find((s) => s.name === stream);
      if (found === undefined) return undefined;
      return { messages: found.state.messages, lastSeq: found.state.last_seq, leader: found.cluster?.leader || undefined };
    },
  }));
  const urls = nodes.map((n) => n.url).join(',');
  const node = (name: string): NatsClusterNode => {
    const found = nodes.find((n) => n.name === name);
    if (found === undefined) throw new Error(`no cluster node named "${name}" (nodes: ${nodes.map((n) => n.name).join(', ')})`);
    return found;
  };
  const timeout = opts.startTimeoutMs ?? 20_000;
  const waitForMetaLeader = (timeoutMs = timeout): Promise<string> =>
    eventually(
      async () => {
        const seen = await Promise.all(nodes.filter((n) => n.running).map((n) => n.metaLeader()));
        const first = seen[0];
        // Right after a kill the others still name the dead node until they notice.
        return first !== undefined && running.has(first) && seen.every((leader) => leader === first) ? first : undefined;
      },
      `a JetStream meta leader all running nodes agree on (nodes: ${nodes.map((n) => n.name).join(', ')})`,
      timeoutMs,
    );
  const withoutUsers = (): never => {
    throw new Error('this cluster runs without users: start it with { meshUsers: true }');
  };

  const handle: NatsClusterHandle = {
    nodes,
    urls,
    node,
    waitForMetaLeader,
    kill: async (name) => {
      const target = node(name);
      running.delete(name);
      await target.server.kill();
    },
    restart: async (name) => {
      const target = node(name);
      await target.server.restart();
      running.add(name);
      await waitForMetaLeader();
    },
    stopAll: async () => {
      running.clear();
      await Promise.all(nodes.map((n) => n.server.stop()));
    },
    startAll: async () => {
      const stopped = nodes.filter((n) => !running.has(n.name));
      await Promise.all(stopped.map((n) => n.server.restart()));
      for (const n of stopped) running.add(n.name);
    },
    dispose: async () => {
      running.clear();
      await Promise.all(nodes.map((n) => n.server.dispose()));
      await rm(dir, { recursive: true, force: true });
      forgetTempDir(dir);
    },
    credentials: (user) => (meshAccount === undefined ? withoutUsers() : meshAccount.credentials(user)),
    envFor: (user) => (meshAccount === undefined ? withoutUsers() : meshAccount.envFor(urls, user)),
  };
  try {
    await waitForMetaLeader();
  } catch (err) {
    const output = nodes.map((n) => `--- ${n.name}:\n${n.server.output()}`).join('\n');
    await handle.dispose();
    throw new Error(`${(err as Error).message}; nats-server output:\n${output}`, { cause: err });
  }
  return handle;
}
