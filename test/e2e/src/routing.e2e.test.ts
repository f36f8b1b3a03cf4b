import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VersionedSnapshot } from '@jetmesh/model';
import { type MeshProcesses, eventually, repoRoot, startMeshProcesses } from '@jetmesh/testing';

const example = readFileSync(join(repoRoot, 'examples', 'bookinfo-reviews.yaml'), 'utf8');
const HOST = 'reviews.default.svc.cluster.local';

const weightedRoute = (v1: number, v2: number) => `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews-route}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${v1}}
    - {destination: {host: reviews, subset: v2}, weight: ${v2}}
`;

type RoutesJson = VersionedSnapshot & { revision: number };

describe('routing walkthrough (galley, pilot and the CLI as processes)', () => {
  let mesh: MeshProcesses;
  before(async () => {
    mesh = await startMeshProcesses();
  });
  after(async () => {
    await mesh?.stop();
  });

  /** `jetmesh routes reviews -o json`, once it reflects at least config sequence `seq`. */
  const routesAt = (seq: number): Promise<RoutesJson> =>
    eventually(async () => {
      const r = await mesh.cli(['routes', 'reviews', '-o', 'json']);
      if (r.code !== 0) return undefined;
      const snap = JSON.parse(r.stdout) as RoutesJson;
      return snap.version.config >= seq ? snap : undefined;
    }, `routes for ${HOST} at config #${seq}`);

  const endpointPorts = (d: { endpoints: readonly { port: number }[] }) => d.endpoints.map((e) => e.port);
  let applySeq = 0;

  it('apply.example: the whole example is one change, every resource created', async () => {
    const r = await mesh.cli(['apply', '-f', '-', '--reason', 'bookinfo reviews'], example);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^virtualservice\.networking\.istio\.io\/reviews-route created$/m);
    assert.match(r.stdout, /^workloadentry\.networking\.istio\.io\/reviews-v3 created$/m);
    const seq = /recorded as change #(\d+)/.exec(r.stdout);
    assert.ok(seq, r.stdout);
    applySeq = Number(seq[1]);
  });

  it('routes.jason-to-v2: the header rule sends end-user jason to the v2 endpoint', async () => {
    const snap = await routesAt(applySeq);
    assert.equal(snap.snapshot.host, HOST);
    const [jason, rest] = snap.snapshot.routes;
    assert.deepEqual(jason?.match, [{ headers: { 'end-user': { exact: 'jason' } } }]);
    assert.equal(jason?.destinations.length, 1);
    assert.equal(jason?.destinations[0]?.subset, 'v2');
    assert.deepEqual(endpointPorts(jason!.destinations[0]!), [19082]);
    assert.deepEqual(rest?.match, []);
    assert.deepEqual(
      rest?.destinations.map((d) => [d.cluster, d.weight, endpointPorts(d)]),
      [
        [`outbound|9080|v1|${HOST}`, 90, [19081]],
        [`outbound|9080|v2|${HOST}`, 10, [19082]],
      ],
    );
  });

  it('routes.table: the human view lists rules in order with weights and endpoints', async () => {
    const r = await mesh.cli(['routes', 'reviews']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /headers\[end-user\]=jason\s+outbound\|9080\|v2\|reviews\.default\.svc\.cluster\.local\s+100\s+127\.0\.0\.1:19082/);
    assert.match(r.stdout, /outbound\|9080\|v1\|\S+\s+90\s+127\.0\.0\.1:19081/);
  });

  it('get: lists and shows stored resources with their version', async () => {
    const list = await mesh.cli(['get', 'vs']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+HOSTS\s+VERSION$/m);
    assert.match(list.stdout, new RegExp(`^reviews-route\\s+\\["reviews"\\]\\s+${applySeq}$`, 'm'));
    const one = await mesh.cli(['get', 'virtualservice', 'reviews-route', '-o', 'json']);
    assert.equal(one.code, 0, one.stderr);
    const doc = JSON.parse(one.stdout) as { metadata: { resourceVersion: string }; spec: { hosts: string[] } };
    assert.equal(doc.metadata.resourceVersion, String(applySeq));
    assert.deepEqual(doc.spec.hosts, ['reviews']);
    const all = await mesh.cli(['get', 'workloadentries', '-A', '-o', 'yaml']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal((all.stdout.match(/kind: WorkloadEntry/g) ?? []).length, 3);
    const missing = await mesh.cli(['get', 'vs', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /VirtualService default\/nope/);
  });

  it('routes.reweight: 50/50 raises the snapshot version and shows 50/50', async () => {
    const before = await routesAt(applySeq);
    const r = await mesh.cli(['apply', '-f', '-'], weightedRoute(50, 50));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reviews-route configured/);
    const seq = Number(/recorded as change #(\d+)/.exec(r.stdout)?.[1]);
    const snap = await routesAt(seq);
    assert.ok(snap.version.config > before.version.config);
    assert.deepEqual(snap.snapshot.routes[1]?.destinations.map((d) => d.weight), [50, 50]);
  });

  it('routes.fallback: deleting the VirtualService routes to all three endpoints', async () => {
    const r = await mesh.cli(['delete', 'virtualservice', 'reviews-route', '--reason', 'back to default routing']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reviews-route deleted/);
    const seq = Number(/recorded as change #(\d+)/.exec(r.stdout)?.[1]);
    const snap = await routesAt(seq);
    assert.equal(snap.snapshot.routes.length, 1);
    assert.deepEqual(snap.snapshot.routes[0]?.destinations.map((d) => [d.weight, endpointPorts(d)]), [[100, [19081, 19082, 19083]]]);
  });

  it('pilot.restart: a restarted pilot leaves the snapshot and its version identical', async () => {
    const before = await mesh.cli(['routes', 'reviews', '-o', 'json']);
    assert.equal(before.code, 0, before.stderr);
    await mesh.restart('pilot');
    const after = await mesh.cli(['routes', 'reviews', '-o', 'json']);
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual(JSON.parse(after.stdout), JSON.parse(before.stdout));
  });
});
