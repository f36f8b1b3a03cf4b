import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VersionedSnapshot } from '@jetmesh/model';
import { type MeshProcesses, type NatsClusterHandle, eventually, repoRoot, startMeshProcesses, startNatsCluster } from '@jetmesh/testing';

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
// The services' own bound (JETMESH_NATS_READY_TIMEOUT) is below the harness's, so a service
// that gives up says why in its output instead of the harness timing out first.
const SERVICE_READY_TIMEOUT = '60s';
const HARNESS_READY_TIMEOUT_MS = 90_000;

const recorded = (stdout: string): number => Number(/recorded as change #(\d+)/.exec(stdout)?.[1] ?? assert.fail(stdout));
const waitedLines = (output: string): number => output.split('\n').filter((line) => line.includes('not available yet')).length;

describe('a restart of the whole mesh from a three-node cluster\'s store (JETMESH_STREAM_REPLICAS=3)', () => {
  let cluster: NatsClusterHandle;
  let mesh: MeshProcesses;

  before(async () => {
    cluster = await startNatsCluster({ meshUsers: true });
    mesh = await startMeshProcesses({
      cluster,
      natsUsers: true,
      services: ['citadel', 'galley', 'pilot'],
      serviceEnv: { JETMESH_STREAM_REPLICAS: '3', JETMESH_NATS_READY_TIMEOUT: SERVICE_READY_TIMEOUT },
      readyTimeoutMs: HARNESS_READY_TIMEOUT_MS,
    });
  });
  after(async () => {
    await mesh?.stop();
    await cluster?.dispose();
  });

  it('restart.whole-mesh: services started with the nodes, while the cluster elects its leaders, are each ready on the first start; the log verifies and takes the next apply', async (t) => {
    const first = await mesh.cli(['apply', '-f', '-'], example);
    assert.equal(first.code, 0, first.stderr);
    const firstSeq = recorded(first.stdout);

    await mesh.stopServices();
    await cluster.stopAll();
    const restartedAt = Date.now();
    await cluster.startAll();
    // At once: no waiting for a meta or stream leader. startServices rejects if any service exits.
    await mesh.startServices();
    t.diagnostic(`every service ready ${Date.now() - restartedAt} ms after the nodes were started again`);
    for (const service of ['galley', 'pilot', 'citadel'] as const) {
      t.diagnostic(`${service}: ${waitedLines(mesh.output(service))} "not available yet" warnings while the cluster elected`);
      assert.doesNotMatch(mesh.output(service), /could not start/, service);
    }

    const verify = await mesh.cli(['audit', 'verify']);
    assert.equal(verify.code, 0, `${verify.stdout}${verify.stderr}`);
    assert.match(verify.stdout, new RegExp(`^chain intact \\(${firstSeq} changes\\); head #${firstSeq} [0-9a-f]{64}$`, 'm'));

    const next = await mesh.cli(['apply', '-f', '-'], evenSplit);
    assert.equal(next.code, 0, `${next.stderr}\ngalley:\n${mesh.output('galley').slice(-3000)}`);
    assert.equal(recorded(next.stdout), firstSeq + 1);
    const after = await mesh.cli(['audit', 'verify']);
    assert.equal(after.code, 0, `${after.stdout}${after.stderr}`);
    assert.match(after.stdout, new RegExp(`^chain intact \\(${firstSeq + 1} changes\\)`, 'm'));
    // Pilot follows the log again: the new split reaches its snapshot.
    const weights = await eventually(
      async () => {
        const r = await mesh.cli(['routes', 'reviews', '-o', 'json']);
        if (r.code !== 0) return undefined;
        const snap = JSON.parse(r.stdout) as VersionedSnapshot;
        return snap.version.config > firstSeq ? snap.snapshot.routes.at(-1)?.destinations.map((d) => d.weight) : undefined;
      },
      `pilot's routes for reviews past config #${firstSeq}`,
      20_000,
    );
    assert.deepEqual(weights, [50, 50]);
  });
});
