import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { bookinfoYaml, failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

describe('delete', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness();
    await h.client.apply({ yaml: bookinfoYaml() });
  });
  after(() => h.dispose());

  test('delete.happy: by refs, as one ChangeSet, then Get is NOT_FOUND', async () => {
    const res = await h.client.delete({
      refs: [
        { kind: 'we', namespace: '', name: 'reviews-v3' },
        { kind: 'WorkloadEntry', namespace: 'default', name: 'reviews-v2' },
      ],
      reason: 'retire v2 and v3',
    });
    assert.equal(res.sequence, 2);
    assert.deepEqual(res.changes.map((c) => [c.ref?.name, c.action, c.resourceVersion]), [
      ['reviews-v3', 'deleted', 2],
      ['reviews-v2', 'deleted', 2],
    ]);
    const failure = await failureOf(h.client.get({ ref: { kind: 'WorkloadEntry', namespace: 'default', name: 'reviews-v3' } }));
    assert.equal(failure.code, status.NOT_FOUND);
  });

  test('delete.happy: by YAML documents, reading only kind and metadata', async () => {
    const res = await h.client.delete({ yaml: 'apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {name: reviews}\n' });
    assert.deepEqual(res.changes.map((c) => [c.ref?.kind, c.action]), [['DestinationRule', 'deleted']]);
  });

  test('delete.errors: a missing resource is NOT_FOUND and nothing is deleted', async () => {
    const before = await h.lastSequence();
    const failure = await failureOf(
      h.client.delete({
        refs: [
          { kind: 'WorkloadEntry', namespace: 'default', name: 'reviews-v1' },
          { kind: 'VirtualService', namespace: 'default', name: 'foo' },
        ],
      }),
    );
    assert.deepEqual(failure, { code: status.NOT_FOUND, lines: ['refs[1]: VirtualService default/foo not found'] });
    assert.equal(await h.lastSequence(), before);
    await h.client.get({ ref: { kind: 'WorkloadEntry', namespace: 'default', name: 'reviews-v1' } });
  });

  test('delete.errors: an unknown kind and an empty request are INVALID_ARGUMENT', async () => {
    assert.deepEqual(await failureOf(h.client.delete({ refs: [{ kind: 'VirtualRouter', namespace: '', name: 'gw' }] })), {
      code: status.INVALID_ARGUMENT,
      lines: ['refs[0]: kind: unknown kind "VirtualRouter": expected one of VirtualService, DestinationRule, ServiceEntry, WorkloadEntry, WorkloadGroup, Gateway, Sidecar, PeerAuthentication, AuthorizationPolicy, RequestAuthentication'],
    });
    assert.deepEqual(await failureOf(h.client.delete({})), { code: status.INVALID_ARGUMENT, lines: ['nothing to delete: give YAML documents or refs'] });
  });

  test('delete.happy: dryRun publishes nothing', async () => {
    const before = await h.lastSequence();
    const res = await h.client.delete({ refs: [{ kind: 'se', namespace: '', name: 'reviews' }], dryRun: true });
    assert.deepEqual(res.changes.map((c) => [c.action, c.resourceVersion]), [['deleted', 0]]);
    assert.equal(await h.lastSequence(), before);
  });
});
