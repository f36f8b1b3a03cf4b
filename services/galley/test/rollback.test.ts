import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { isLeft } from 'fp-ts/lib/Either.js';
import { emptyMeshState, type MeshResource, type MeshState } from '@jetmesh/model';
import { planRollback } from '../src/rollback.js';
import { bookinfoYaml, failureOf, reweight, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const vsRef = { kind: 'VirtualService', namespace: 'default', name: 'reviews-route' };
const drRef = { kind: 'DestinationRule', namespace: 'default', name: 'reviews' };
const ratingsRef = { kind: 'ServiceEntry', namespace: 'default', name: 'ratings' };

const ratings = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ratings}
spec: {hosts: [ratings], ports: [{number: 9080, name: http}]}
`;

describe('rollback', () => {
  let h: GalleyHarness;
  /** Every stored resource as Get shows it, minus resourceVersion: what a rollback must restore. */
  const contents = async (): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    for (const kind of ['ServiceEntry', 'WorkloadEntry', 'DestinationRule', 'VirtualService']) {
      const list = await h.client.list({ kind, allNamespaces: true });
      for (const json of list.resourcesJson) {
        const doc = JSON.parse(json) as { metadata: { name: string; namespace: string; resourceVersion?: string } };
        delete doc.metadata.resourceVersion;
        out[`${kind}/${doc.metadata.namespace}/${doc.metadata.name}`] = doc;
      }
    }
    return out;
  };
  let atOne: Record<string, unknown>;

  before(async () => {
    h = await startGalleyHarness();
    await h.client.apply({ yaml: bookinfoYaml(), reason: 'bookinfo' }); // #1
    atOne = await contents();
    await h.client.apply({ yaml: reweight(50), reason: 'canary 50/50' }); // #2
    await h.client.apply({ yaml: ratings }); // #3
    await h.client.delete({ refs: [drRef], reason: 'oops' }); // #4
  });
  after(() => h.dispose());

  test('rollback.dry-run: reports what would change and records nothing', async () => {
    const res = await h.client.rollback({ toSequence: 1, reason: 'undo', dryRun: true });
    assert.equal(res.sequence, 0);
    assert.equal(res.targetSequence, 1);
    assert.deepEqual(
      res.changes.map((c) => [c.ref?.kind, c.ref?.name, c.action]),
      [
        ['DestinationRule', 'reviews', 'created'],
        ['ServiceEntry', 'ratings', 'deleted'],
        ['VirtualService', 'reviews-route', 'configured'],
      ],
    );
    assert.equal(await h.lastSequence(), 4);
  });

  test('rollback.happy: one new ChangeSet restores the state of #1, naming its target, actor and reason', async () => {
    const res = await h.client.rollback({ toSequence: 1, reason: 'canary went wrong' });
    assert.equal(res.sequence, 5);
    assert.deepEqual(await contents(), atOne);
    const last = (await h.changeSets()).at(-1);
    assert.equal(last?.seq, 5);
    assert.equal(last?.changeSet.rollbackOf, 1);
    assert.equal(last?.changeSet.reason, 'canary went wrong');
    assert.equal(last?.changeSet.actor, 'tester-0@test');
    // History is never rewritten: the changes it undoes are still there.
    assert.equal((await h.changeSets()).length, 5);
  });

  test('rollback.nothing: rolling back to the state we are in publishes nothing', async () => {
    const res = await h.client.rollback({ toSequence: 5, reason: 'again' });
    assert.deepEqual(res, { sequence: 0, targetSequence: 5, changes: [], warnings: [] });
  });

  test('rollback.only: --only restores one resource and leaves the rest as they are', async () => {
    await h.client.apply({ yaml: ratings }); // #6: ratings back
    const res = await h.client.rollback({ toSequence: 2, only: [{ kind: 'vs', namespace: '', name: 'reviews-route' }], reason: 'back to 50/50' });
    assert.equal(res.sequence, 7);
    assert.deepEqual(res.changes, [{ ref: vsRef, action: 'configured', resourceVersion: 7 }]);
    const vs = JSON.parse((await h.client.get({ ref: vsRef })).resourceJson) as { spec: { http: Array<{ route: Array<{ weight: number }> }> } };
    assert.deepEqual(vs.spec.http.at(-1)?.route.map((r) => r.weight), [50, 50]);
    await h.client.get({ ref: ratingsRef }); // still there
  });

  test('rollback.by-time: a time before the first change restores an empty configuration', async () => {
    const res = await h.client.rollback({ toTime: '2000-01-01T00:00:00Z', reason: 'wipe', dryRun: true });
    assert.equal(res.targetSequence, 0);
    assert.ok(res.changes.length > 0 && res.changes.every((c) => c.action === 'deleted'));
  });

  test('rollback.errors: a missing reason, a point past the end and an unknown --only are refused, all at once', async () => {
    const failure = await failureOf(h.client.rollback({ toSequence: 99, reason: '' }));
    assert.equal(failure.code, status.INVALID_ARGUMENT);
    assert.deepEqual(failure.lines, ['reason: required: say why the configuration is rolled back']);
    const past = await failureOf(h.client.rollback({ toSequence: 99, reason: 'x' }));
    assert.deepEqual(past.lines, ['toSequence: #99 is past the end of the log (#7)']);
    const unknown = await failureOf(h.client.rollback({ toSequence: 1, reason: 'x', only: [{ kind: 'vs', namespace: 'default', name: 'nope' }] }));
    assert.deepEqual(unknown, { code: status.NOT_FOUND, lines: ['only: VirtualService default/nope exists neither now nor at #1'] });
  });
});

test('rollback.invalid-today: a resource stored under older rules that fails today is refused, with the reason', () => {
  // Built by hand, as an older galley could have stored it: today a weight must be >= 0.
  const stale = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews-route', namespace: 'default' },
    spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' }, weight: -5 }, { destination: { host: 'ratings' }, weight: 105 }] }] },
  } as unknown as MeshResource;
  const target: MeshState = { ...emptyMeshState, configSeq: 3, resources: new Map([['VirtualService/default/reviews-route', { resource: stale, resourceVersion: 3, createdAt: 3 }]]) };
  const plan = planRollback(emptyMeshState, { seq: 3, state: target });
  assert.ok(isLeft(plan));
  assert.equal(plan.left.length, 1);
  assert.match(plan.left[0]?.path ?? '', /^VirtualService default\/reviews-route as of #3$/);
  assert.match(plan.left[0]?.reason ?? '', /^no longer valid: spec\.http\[0\]\.route\[0\]\.weight: /);
});
