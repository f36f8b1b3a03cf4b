import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GENESIS_HASH, changeSetHash } from '@jetmesh/model';
import { bookinfoYaml, failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const bookinfoRefs = [
  { kind: 'ServiceEntry', namespace: 'default', name: 'reviews' },
  { kind: 'WorkloadEntry', namespace: 'default', name: 'reviews-v1' },
  { kind: 'WorkloadEntry', namespace: 'default', name: 'reviews-v2' },
  { kind: 'WorkloadEntry', namespace: 'default', name: 'reviews-v3' },
  { kind: 'DestinationRule', namespace: 'default', name: 'reviews' },
  { kind: 'VirtualService', namespace: 'default', name: 'reviews-route' },
];

describe('apply.happy', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness();
  });
  after(() => h.dispose());

  test('apply.happy: Bookinfo is one ChangeSet with every resource created', async () => {
    const res = await h.client.apply({ yaml: bookinfoYaml(), reason: 'bookinfo' });
    assert.equal(res.sequence, 1);
    assert.deepEqual(
      res.changes,
      bookinfoRefs.map((ref) => ({ ref, action: 'created', resourceVersion: 1 })),
    );
    assert.equal(await h.lastSequence(), 1);
    const [entry] = await h.changeSets();
    assert.equal(entry?.changeSet.actor, 'tester-0@test');
    assert.equal(entry?.changeSet.reason, 'bookinfo');
    assert.equal(entry?.changeSet.changes.length, 6);
  });

  test('apply.happy: Get right after Apply returns the stored resource with its resourceVersion', async () => {
    const got = await h.client.get({ ref: { kind: 'VirtualService', namespace: 'default', name: 'reviews-route' } });
    const resource = JSON.parse(got.resourceJson) as { metadata: Record<string, unknown>; spec: { hosts: string[] } };
    assert.deepEqual(resource.metadata, { name: 'reviews-route', namespace: 'default', resourceVersion: '1' });
    assert.deepEqual(resource.spec.hosts, ['reviews']);
  });

  test('apply.happy: Get accepts kubectl kind spellings and defaults the namespace', async () => {
    const got = await h.client.get({ ref: { kind: 'dr', namespace: '', name: 'reviews' } });
    assert.equal((JSON.parse(got.resourceJson) as { kind: string }).kind, 'DestinationRule');
  });

  test('apply.happy: Get of a missing resource is NOT_FOUND naming it', async () => {
    const failure = await failureOf(h.client.get({ ref: { kind: 'VirtualService', namespace: 'default', name: 'foo' } }));
    assert.deepEqual(failure, { code: status.NOT_FOUND, lines: ['VirtualService default/foo not found'] });
  });

  test('apply.happy: List by kind, per namespace and across all namespaces, sorted', async () => {
    await h.client.apply({
      yaml: 'apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: a-first, namespace: prod}\nspec: {address: 10.0.0.9}\n',
    });
    const names = (json: string[]): string[] =>
      json.map((j) => {
        const m = (JSON.parse(j) as { metadata: { namespace: string; name: string } }).metadata;
        return `${m.namespace}/${m.name}`;
      });
    const inDefault = await h.client.list({ kind: 'WorkloadEntry' });
    assert.deepEqual(names(inDefault.resourcesJson), ['default/reviews-v1', 'default/reviews-v2', 'default/reviews-v3']);
    const all = await h.client.list({ kind: 'workloadentries', allNamespaces: true });
    assert.deepEqual(names(all.resourcesJson), ['default/reviews-v1', 'default/reviews-v2', 'default/reviews-v3', 'prod/a-first']);
    assert.equal(all.sequence, 2);
    const prod = await h.client.list({ kind: 'we', namespace: 'prod' });
    assert.deepEqual(names(prod.resourcesJson), ['prod/a-first']);
  });

  test('apply.happy: re-applying Bookinfo publishes nothing and reports every resource unchanged', async () => {
    const before = await h.lastSequence();
    const res = await h.client.apply({ yaml: bookinfoYaml() });
    assert.equal(res.sequence, 0);
    assert.deepEqual(
      res.changes,
      bookinfoRefs.map((ref) => ({ ref, action: 'unchanged', resourceVersion: 1 })),
    );
    assert.equal(await h.lastSequence(), before);
  });

  test('apply.happy: changing one resource of many configures only it', async () => {
    const yaml = bookinfoYaml().replace('weight: 90}', 'weight: 80}').replace('weight: 10}', 'weight: 20}');
    const res = await h.client.apply({ yaml });
    const seq = await h.lastSequence();
    assert.equal(res.sequence, seq);
    assert.deepEqual(
      res.changes.map((c) => [c.ref?.name, c.action, c.resourceVersion]),
      [
        ['reviews', 'unchanged', 1],
        ['reviews-v1', 'unchanged', 1],
        ['reviews-v2', 'unchanged', 1],
        ['reviews-v3', 'unchanged', 1],
        ['reviews', 'unchanged', 1],
        ['reviews-route', 'configured', seq],
      ],
    );
    const last = (await h.changeSets()).at(-1);
    assert.equal(last?.changeSet.changes.length, 1);
  });

  test('apply.happy: dryRun reports what would change and publishes nothing', async () => {
    const before = await h.lastSequence();
    const yaml = 'apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: dry}\nspec: {address: 10.0.0.8}\n';
    const res = await h.client.apply({ yaml, dryRun: true });
    assert.deepEqual(res, { sequence: 0, changes: [{ ref: { kind: 'WorkloadEntry', namespace: 'default', name: 'dry' }, action: 'created', resourceVersion: 0 }], warnings: [], diagnostics: [] });
    assert.equal(await h.lastSequence(), before);
  });

  test('apply.happy: a route to an undeclared host or subset is accepted with a warning per problem', async () => {
    const yaml = [
      'apiVersion: networking.istio.io/v1beta1',
      'kind: VirtualService',
      'metadata: {name: ratings-route}',
      'spec:',
      '  hosts: [ratings]',
      '  http:',
      '  - route:',
      '    - {destination: {host: ratings}, weight: 50}',
      '    - {destination: {host: reviews, subset: v9}, weight: 50}',
      '',
    ].join('\n');
    const res = await h.client.apply({ yaml });
    assert.ok(res.sequence > 0);
    // The analyzers' findings, as istioctl analyze prints them, with the exact place of each.
    assert.deepEqual(res.warnings, [
      'Warning [IST0101] (VirtualService default/ratings-route) Referenced host not found: "ratings"',
      'Warning [IST0101] (VirtualService default/ratings-route) Referenced host+subset in destinationrule not found: "reviews+v9"',
    ]);
    assert.deepEqual(
      res.diagnostics.map((d) => [d.code, d.path]),
      [
        ['IST0101', 'spec.http[0].route[0].destination.host'],
        ['IST0101', 'spec.http[0].route[1].destination.subset'],
      ],
    );
  });

  test('apply.happy: defaultNamespace places documents that name none', async () => {
    const yaml = 'apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: staged}\nspec: {address: 10.0.0.7}\n';
    const res = await h.client.apply({ yaml, defaultNamespace: 'staging' });
    assert.deepEqual(res.changes[0]?.ref, { kind: 'WorkloadEntry', namespace: 'staging', name: 'staged' });
  });

  test('apply.happy: the chain of ChangeSets links each to the previous one', async () => {
    let expectedPrev = GENESIS_HASH;
    for (const { seq, changeSet } of await h.changeSets()) {
      assert.equal(changeSet.prev, expectedPrev, `prev of seq ${seq}`);
      expectedPrev = changeSetHash(changeSet);
    }
  });
});
