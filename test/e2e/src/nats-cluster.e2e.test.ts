import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Bus, Buckets, bucketStream, connectBus, Streams } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import type { VersionedSnapshot } from '@jetmesh/model';
import {
  type MeshProcesses,
  type NatsClusterHandle,
  eventually,
  freePort,
  launchProcess,
  repoRoot,
  startMeshProcesses,
  startNatsCluster,
} from '@jetmesh/testing';

const example = readFileSync(join(repoRoot, 'examples', 'bookinfo-reviews.yaml'), 'utf8');
const evenSplit = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews-route}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 50}
    - {destination: {host: reviews, subset: v2}, weight: 50}
`;
// What the admin user may inspect; mesh_checkpoints is pilot's (and mesh_ca citadel's, not started here).
const adminVisible = [Streams.config, Streams.registry, Streams.audit, ...[Buckets.snapshots, Buckets.trust].map(bucketStream)];

type RoutesJson = VersionedSnapshot & { revision: number };

describe('a three-node NATS cluster under the mesh (JETMESH_STREAM_REPLICAS=3)', () => {
  let cluster: NatsClusterHandle;
  let mesh: MeshProcesses | undefined;
  let bus: Bus;
  let pilotBus: Bus;

  before(async () => {
    cluster = await startNatsCluster({ meshUsers: true });
    bus = await connectBus(cluster.urls, createLogger('e2e', 'silent'), { name: 'e2e-admin', ...cluster.credentials('admin') });
    pilotBus = await connectBus(cluster.urls, createLogger('e2e', 'silent'), { name: 'e2e-pilot', ...cluster.credentials('pilot') });
  });
  after(async () => {
    await bus?.close();
    await pilotBus?.close();
    await mesh?.stop();
    await cluster?.dispose();
  });

  it('start.too-many-replicas: 5 replicas on 3 nodes stops galley at start, naming the variable and the server answer', async () => {
    const galley = launchProcess(process.execPath, [join(repoRoot, 'services', 'galley', 'dist', 'src', 'main.js')], {
      name: 'galley',
      cwd: repoRoot,
      env: {
        ...cluster.envFor('galley'),
        JETMESH_STREAM_REPLICAS: '5',
        JETMESH_GALLEY_PORT: String(await freePort()),
        JETMESH_ADMIN_PORT: String(await freePort()),
        JETMESH_GALLEY_AUTH: 'disabled',
      },
    });
    assert.equal(await galley.exited, 1, galley.output());
    assert.match(galley.output(), /cannot place stream MESH_CONFIG on 5 replicas \(JETMESH_STREAM_REPLICAS=5\): nats-server says \\"no suitable peers for placement\\"/);
    await assert.rejects(bus.jsm.streams.info(Streams.config), /stream not found/);
  });

  it('start.replicated: galley and pilot put every stream and bucket on all three nodes', async () => {
    mesh = await startMeshProcesses({ cluster, natsUsers: true, serviceEnv: { JETMESH_STREAM_REPLICAS: '3' } });
    const streams = [...adminVisible.map((name) => ({ name, as: bus })), { name: bucketStream(Buckets.checkpoints), as: pilotBus }];
    for (const { name, as } of streams) {
      const info = await as.jsm.streams.info(name);
      assert.equal(info.config.num_replicas, 3, name);
      // The leader plus two followers.
      assert.equal(info.cluster?.replicas?.length, 2, name);
    }
  });

  it('failover: with the MESH_CONFIG leader killed, the next apply is recorded and routed; the node catches up on restart', async (t) => {
    const m = mesh ?? assert.fail('the mesh did not start');
    const routesAt = (seq: number): Promise<RoutesJson> => {
      let last = '';
      return eventually(async () => {
        const r = await m.cli(['routes', 'reviews', '-o', 'json']);
        last = `exit ${r.code}: ${r.stdout.slice(0, 300)} ${r.stderr}`;
        if (r.code !== 0) return undefined;
        const snap = JSON.parse(r.stdout) as RoutesJson;
        return snap.version.config >= seq ? snap : undefined;
      }, `routes for reviews at config #${seq}`, 20_000).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; last answer: ${last}\npilot:\n${m.output('pilot').slice(-6000)}`);
      });
    };
    const recorded = (stdout: string): number => Number(/recorded as change #(\d+)/.exec(stdout)?.[1] ?? assert.fail(stdout));

    const first = await m.cli(['apply', '-f', '-'], example);
    assert.equal(first.code, 0, first.stderr);
    const firstSeq = recorded(first.stdout);
    assert.deepEqual((await routesAt(firstSeq)).snapshot.routes.at(-1)?.destinations.map((d) => d.weight), [90, 10]);

    const leader = (await bus.jsm.streams.info(Streams.config)).cluster?.leader ?? assert.fail('MESH_CONFIG has no leader');
    await cluster.kill(leader);

    const killedAt = Date.now();
    const second = await m.cli(['apply', '-f', '-'], evenSplit);
    t.diagnostic(`apply after the leader was killed took ${Date.now() - killedAt} ms (leader election included)`);
    assert.equal(second.code, 0, `${second.stderr}\ngalley:\n${m.output('galley').slice(-3000)}`);
    const secondSeq = recorded(second.stdout);
    assert.equal(secondSeq, firstSeq + 1);
    const newLeader = (await bus.jsm.streams.info(Streams.config)).cluster?.leader;
    assert.ok(newLeader !== undefined && newLeader !== leader, `a new leader was elected (was ${leader}, now ${newLeader})`);
    // Pilot folded both changes into the snapshot in KV (both weights pairs went through the log).
    assert.deepEqual((await routesAt(secondSeq)).snapshot.routes.at(-1)?.destinations.map((d) => d.weight), [50, 50]);
    t.diagnostic(`routes reflected the second change ${Date.now() - killedAt} ms after the kill`);

    const restartedAt = Date.now();
    await cluster.restart(leader);
    await eventually(
      async () => {
        const replicas = (await bus.jsm.streams.info(Streams.config)).cluster?.replicas ?? [];
        return replicas.length === 2 && replicas.every((r) => r.current) ? true : undefined;
      },
      'MESH_CONFIG: both followers current again',
      20_000,
    );
    const lastSeqs = await eventually(
      async () => {
        const states = await Promise.all(cluster.nodes.map((n) => n.streamState(Streams.config)));
        const seqs = states.map((s) => s?.lastSeq);
        return seqs.every((seq) => seq === secondSeq) ? seqs : undefined;
      },
      `every node's copy of MESH_CONFIG at sequence ${secondSeq}`,
      20_000,
    );
    assert.deepEqual(lastSeqs, [secondSeq, secondSeq, secondSeq]);
    t.diagnostic(`restarted node current after ${Date.now() - restartedAt} ms`);
  });
});
