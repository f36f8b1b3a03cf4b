import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { emptyMeshState, reduce, type ChangeSet, type DecodedDocument, type Invalid, type MeshState } from '@jetmesh/model';
import { planApply, planDelete, type ApplyItem, type ChangePlan } from '../src/change-plan.js';

const right = <A>(e: Either<Invalid[], A>): A => {
  if (isLeft(e)) throw new Error(`expected Right, got ${JSON.stringify(e.left)}`);
  return e.right;
};

const problems = <A>(e: Either<Invalid[], A>): Array<[string, string, string]> => {
  if (isRight(e)) throw new Error('expected Left');
  return e.left.map((p) => [p.code, p.path, p.reason]);
};

const workload = (name: string, address: string, namespace = 'default', expectedVersion?: string): ApplyItem => ({
  label: `document (${name})`,
  document: {
    resource: { apiVersion: 'networking.istio.io/v1', kind: 'WorkloadEntry', metadata: { name, namespace }, spec: { address } },
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
  } as DecodedDocument,
});

/** Folds a plan into the state as if it had been published at the next sequence. */
const commit = (state: MeshState, plan: ChangePlan): MeshState => {
  if (plan.changes.length === 0) return state;
  const event: ChangeSet = { id: 'x', type: 'ChangeSet', at: '2026-01-01T00:00:00Z', actor: 't', prev: state.lastChangeSetHash, changes: plan.changes };
  return reduce(state, { stream: 'config', seq: state.configSeq + 1, event });
};

describe('change-plan', () => {
  test('change-plan: new resources are created, changed ones configured, equal ones unchanged', () => {
    const s1 = commit(emptyMeshState, right(planApply(emptyMeshState, [workload('a', '10.0.0.1'), workload('b', '10.0.0.2')])));
    const plan = right(planApply(s1, [workload('a', '10.0.0.1'), workload('b', '10.0.0.9'), workload('c', '10.0.0.3')]));
    assert.deepEqual(
      plan.outcomes.map((o) => [o.ref.name, o.action, o.storedVersion]),
      [
        ['a', 'unchanged', 1],
        ['b', 'configured', 1],
        ['c', 'created', 0],
      ],
    );
    assert.deepEqual(plan.changes.map((c) => (c.op === 'apply' ? c.resource.metadata.name : '')), ['b', 'c']);
  });

  test('change-plan: applying the same documents twice plans all unchanged the second time', () => {
    const item = fc
      .tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.constantFrom('default', 'prod'), fc.ipV4())
      .map(([name, ns, ip]) => workload(name, ip, ns));
    const distinct = fc.uniqueArray(item, { selector: (i) => `${i.document.resource.metadata.namespace}/${i.document.resource.metadata.name}`, minLength: 1 });
    fc.assert(
      fc.property(distinct, distinct, (earlier, items) => {
        const before = commit(emptyMeshState, right(planApply(emptyMeshState, earlier)));
        const first = right(planApply(before, items));
        const second = right(planApply(commit(before, first), items));
        assert.equal(second.changes.length, 0);
        assert.ok(second.outcomes.every((o) => o.action === 'unchanged'));
        assert.equal(second.outcomes.length, items.length);
      }),
    );
  });

  test('change-plan: the same resource twice in one request is an error', () => {
    assert.deepEqual(problems(planApply(emptyMeshState, [workload('a', '10.0.0.1'), workload('a', '10.0.0.2')])), [
      ['INVALID', 'document (a)', 'WorkloadEntry default/a is also in document (a); name each resource once per request'],
    ]);
  });

  test('change-plan: a stale resourceVersion is a CONFLICT naming the current version', () => {
    const s1 = commit(emptyMeshState, right(planApply(emptyMeshState, [workload('a', '10.0.0.1')])));
    const s2 = commit(s1, right(planApply(s1, [workload('a', '10.0.0.2')])));
    assert.deepEqual(problems(planApply(s2, [workload('a', '10.0.0.3', 'default', '1')])), [
      ['CONFLICT', 'document (a): metadata.resourceVersion', 'is "1" but WorkloadEntry default/a is at resourceVersion 2; get it again and reapply your change'],
    ]);
    assert.equal(right(planApply(s2, [workload('a', '10.0.0.3', 'default', '2')])).outcomes[0]?.action, 'configured');
  });

  test('change-plan: deleting a missing resource is NOT_FOUND; an existing one is deleted', () => {
    const s1 = commit(emptyMeshState, right(planApply(emptyMeshState, [workload('a', '10.0.0.1')])));
    const ref = (name: string) => ({ kind: 'WorkloadEntry' as const, namespace: 'default', name });
    assert.deepEqual(problems(planDelete(s1, [{ label: 'refs[0]', ref: ref('a') }, { label: 'refs[1]', ref: ref('zz') }])), [
      ['NOT_FOUND', 'refs[1]', 'WorkloadEntry default/zz not found'],
    ]);
    const plan = right(planDelete(s1, [{ label: 'refs[0]', ref: ref('a') }]));
    assert.deepEqual(plan.changes, [{ op: 'delete', ref: ref('a') }]);
    assert.equal(commit(s1, plan).resources.size, 0);
  });

  test('change-plan: planning is pure: the state is not modified', () => {
    const s1 = commit(emptyMeshState, right(planApply(emptyMeshState, [workload('a', '10.0.0.1')])));
    const snapshot = JSON.stringify([...s1.resources]);
    planApply(s1, [workload('a', '10.0.0.2'), workload('b', '10.0.0.3')]);
    planDelete(s1, [{ label: 'r', ref: { kind: 'WorkloadEntry', namespace: 'default', name: 'a' } }]);
    assert.equal(JSON.stringify([...s1.resources]), snapshot);
  });
});
