import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { connectBus, Streams } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { createConfigClient, type ConfigClient } from '@jetmesh/rpc';
import { eventually, type MeshProcesses, type NatsClusterHandle, startMeshProcesses, startNatsCluster } from '@jetmesh/testing';
import { benchQuick } from './bench-mode.js';
import type { BenchRow } from './bench-table.js';
import { canaryRouteYaml, canaryServiceYaml } from './canary-mesh.js';
import { percentile } from './stats.js';
import { HOSTS_PER_STREAM, runPhase, SERVICES, STREAMS, subscriptionOf, type Phase } from './xds-scale.js';

/*
 * ha: the mesh replicated. 2 pilot replicas on a 3-node NATS cluster (every stream at 3
 * replicas) beside the same 2 pilots on one nats-server, in the same run: change → every watcher
 * converged (xds-scale's streams and measurement, the watchers spread over both pilots); then,
 * on the cluster, the time from SIGKILLing the MESH_CONFIG leader's node to the next write
 * galley acknowledges, beside a write's latency with every node up.
 */

const quick = benchQuick();
const KILLS = quick ? 2 : 5;
const APPLY_BATCH = 100;
/** A writer's pause between changes: a steady trickle, as users and controllers write. */
const WRITE_PACE_MS = 50;

const retryable = new Set([grpc.status.UNAVAILABLE, grpc.status.ABORTED, grpc.status.DEADLINE_EXCEEDED]);

const watchers = () =>
  Array.from({ length: STREAMS }, (_, s) => {
    const hosts = Array.from({ length: HOSTS_PER_STREAM }, (_, k) => (s * HOSTS_PER_STREAM + k) % SERVICES);
    return { node: `ha-${s}`, subscribe: subscriptionOf(hosts), hosts: new Set(hosts) };
  });

const startMesh = (cluster?: NatsClusterHandle): Promise<MeshProcesses> =>
  startMeshProcesses({
    services: ['galley', 'pilot'],
    replicas: { pilot: 2 },
    ...(cluster === undefined ? {} : { cluster, natsUsers: true, serviceEnv: { JETMESH_STREAM_REPLICAS: '3' } }),
    readyTimeoutMs: 60_000,
  });

/** The canary mesh of SERVICES services, then xds-scale's phase with STREAMS watchers over both pilots. */
const convergence = async (mesh: MeshProcesses, config: ConfigClient): Promise<Phase> => {
  for (let start = 0; start < SERVICES; start += APPLY_BATCH) {
    const yaml = Array.from({ length: Math.min(APPLY_BATCH, SERVICES - start) }, (_, k) => canaryServiceYaml(start + k, 10, 'grpc')).join('---\n');
    await config.apply({ yaml, defaultNamespace: 'default' });
  }
  await sleep(1000);
  return runPhase(mesh.pilotXdsAddresses, config, mesh.pid('pilot', 0) as number, mesh.adminPort('pilot', 0), watchers(), 1);
};

interface Failover {
  /** ms from each SIGKILL of the MESH_CONFIG leader's node to the next acknowledged write. */
  readonly killToAck: number[];
  /**
   * ms from each SIGKILL to a surviving node naming a new MESH_CONFIG leader (its /jsz): the
   * server's election alone; killToAck minus this is what the clients add.
   */
  readonly killToLeader: number[];
  /** ms per acknowledged write while every node is up. */
  readonly writeMs: number[];
}

/** One writer changing a route every WRITE_PACE_MS (retrying each change under its request id) while the leader is killed KILLS times. */
const failover = async (cluster: NatsClusterHandle, config: ConfigClient): Promise<Failover> => {
  const bus = await connectBus(cluster.urls, createLogger('bench', 'silent'), { name: 'bench-admin', ...cluster.credentials('admin') });
  /** Each acknowledged write: when its first attempt was sent, when galley answered. */
  const acks: { sentAt: number; at: number }[] = [];
  const writeMs: number[] = [];
  let stop = false;
  let killed = false;
  const writing = (async () => {
    for (let n = 0; !stop; n++) {
      const requestId = `ha.${n}`;
      const startedAt = Date.now();
      for (;;) {
        try {
          await config.apply({ yaml: canaryRouteYaml(n % SERVICES, 1 + (n % 98)), defaultNamespace: 'default', requestId, reason: `ha write ${n}` });
          break;
        } catch (err) {
          if (!retryable.has((err as { code?: number }).code ?? -1)) throw err;
          await sleep(20);
        }
      }
      acks.push({ sentAt: startedAt, at: Date.now() });
      if (!killed) writeMs.push(Date.now() - startedAt);
      await sleep(WRITE_PACE_MS);
    }
  })();
  const killToAck: number[] = [];
  const killToLeader: number[] = [];
  try {
    await sleep(3000);
    for (let k = 0; k < KILLS; k++) {
      const leader = (await bus.jsm.streams.info(Streams.config)).cluster?.leader ?? '';
      // A new consumer needs the JetStream meta leader too: when that dies with the stream leader, both are elected.
      const metaLeader = await cluster.waitForMetaLeader();
      killed = true;
      const killedAt = Date.now();
      await cluster.kill(leader);
      const [elected, metaElected] = await Promise.all([newLeaderElected(cluster, leader), metaLeader === leader ? newMetaLeaderElected(cluster, leader) : undefined]);
      // The first write sent after the kill: one already committed before it may still be answered just after.
      const next = await eventually(() => acks.find((a) => a.sentAt >= killedAt)?.at, 'a write sent after the kill acknowledged', 60_000);
      killToAck.push(next - killedAt);
      killToLeader.push(elected.at - killedAt);
      const meta = metaElected === undefined ? `meta leader ${metaLeader} stayed` : `${metaElected.leader} leads the meta group after ${metaElected.at - killedAt} ms`;
      console.error(`  ha: killed ${leader}; ${elected.leader} leads MESH_CONFIG after ${elected.at - killedAt} ms (${meta}); next write acknowledged after ${next - killedAt} ms`);
      await cluster.restart(leader);
      await eventually(
        async () => {
          const replicas = (await bus.jsm.streams.info(Streams.config).catch(() => undefined))?.cluster?.replicas ?? [];
          return replicas.length === 2 && replicas.every((r) => r.current) ? true : undefined;
        },
        'MESH_CONFIG followers current again',
        60_000,
      );
      killed = false;
      await sleep(2000);
    }
  } finally {
    stop = true;
    await writing.catch(() => undefined);
    await bus.close();
  }
  return { killToAck, killToLeader, writeMs };
};

/** When a surviving node first names a JetStream meta leader other than `killed`. */
const newMetaLeaderElected = (cluster: NatsClusterHandle, killed: string): Promise<{ leader: string; at: number }> =>
  eventually(
    async () => {
      const seen = await Promise.all(cluster.nodes.filter((n) => n.running).map((n) => n.metaLeader()));
      const leader = seen.find((l) => l !== undefined && l !== killed);
      return leader === undefined ? undefined : { leader, at: Date.now() };
    },
    `a JetStream meta leader other than ${killed}`,
    60_000,
  );

/** When a surviving node first names a MESH_CONFIG leader other than `killed`, polled every 20 ms. */
const newLeaderElected = (cluster: NatsClusterHandle, killed: string): Promise<{ leader: string; at: number }> =>
  eventually(
    async () => {
      const seen = await Promise.all(cluster.nodes.filter((n) => n.running).map((n) => n.streamState(Streams.config)));
      const leader = seen.map((s) => s?.leader).find((l) => l !== undefined && l !== killed);
      return leader === undefined ? undefined : { leader, at: Date.now() };
    },
    `a MESH_CONFIG leader other than ${killed}`,
    60_000,
  );

export const haBench = async (): Promise<BenchRow[]> => {
  // One nats-server first: the baseline of the convergence figures.
  const single = await startMesh();
  let singlePhase: Phase;
  try {
    const config = createConfigClient(single.galleyAddresses[0] as string, { actor: 'bench' });
    try {
      singlePhase = await convergence(single, config);
    } finally {
      config.close();
    }
  } finally {
    await single.stop();
  }

  const cluster = await startNatsCluster({ meshUsers: true });
  let clusterPhase: Phase;
  let fail: Failover;
  try {
    const mesh = await startMesh(cluster);
    const config = createConfigClient(mesh.galleyAddresses[0] as string, { actor: 'bench', deadlineMs: 30_000 });
    try {
      clusterPhase = await convergence(mesh, config);
      fail = await failover(cluster, config);
    } finally {
      config.close();
      await mesh.stop();
    }
  } finally {
    await cluster.dispose();
  }

  const name = `2 pilots, ${STREAMS} watchers × ${HOSTS_PER_STREAM} of ${SERVICES} services`;
  return [
    ...[50, 99].map((p) => ({
      bench: 'ha',
      metric: `${name}, 3 nodes R3: every watcher converged p${p}`,
      value: percentile(clusterPhase.allWatchers, p),
      baselineName: `same, one nats-server p${p}`,
      baseline: percentile(singlePhase.allWatchers, p),
      unit: 'ms',
    })),
    {
      bench: 'ha',
      metric: `${name}, 3 nodes R3: one watcher p50`,
      value: percentile(clusterPhase.eachWatcher, 50),
      baselineName: 'same, one nats-server',
      baseline: percentile(singlePhase.eachWatcher, 50),
      unit: 'ms',
    },
    ...failoverRows(fail),
  ];
};

const failoverRows = (fail: Failover): BenchRow[] =>
  [50, 100].flatMap((p) => {
    const of = `${p === 100 ? 'max' : `p${p}`} of ${fail.killToAck.length}`;
    return [
      {
        bench: 'ha',
        metric: `MESH_CONFIG leader SIGKILL → next acknowledged write, ${of}`,
        value: percentile(fail.killToAck, p),
        baselineName: 'one write, every node up, p50',
        baseline: percentile(fail.writeMs, 50),
        unit: 'ms',
      },
      {
        bench: 'ha',
        metric: `MESH_CONFIG leader SIGKILL → next acknowledged write, ${of}`,
        value: percentile(fail.killToAck, p),
        baselineName: `SIGKILL → new leader named (nats-server's election), ${of}`,
        baseline: percentile(fail.killToLeader, p),
        unit: 'ms',
      },
    ];
  });

/** The failover part of ha alone (`npm run bench -- ha-failover`): a quicker loop when tuning it. */
export const haFailoverBench = async (): Promise<BenchRow[]> => {
  const cluster = await startNatsCluster({ meshUsers: true });
  try {
    const mesh = await startMesh(cluster);
    const config = createConfigClient(mesh.galleyAddresses[0] as string, { actor: 'bench', deadlineMs: 30_000 });
    try {
      return failoverRows(await failover(cluster, config));
    } finally {
      config.close();
      await mesh.stop();
    }
  } finally {
    await cluster.dispose();
  }
};
