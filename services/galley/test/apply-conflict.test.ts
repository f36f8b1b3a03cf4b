import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const reviews = (version: string | undefined, weightV1: number): string =>
  [
    'apiVersion: networking.istio.io/v1beta1',
    'kind: VirtualService',
    `metadata: {name: reviews${version === undefined ? '' : `, resourceVersion: "${version}"`}}`,
    'spec:',
    '  hosts: [reviews]',
    '  http:',
    '  - route:',
    `    - {destination: {host: reviews, subset: v1}, weight: ${weightV1}}`,
    `    - {destination: {host: reviews, subset: v2}, weight: ${100 - weightV1}}`,
    '',
  ].join('\n');

describe('apply.conflict', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness();
    await h.client.apply({ yaml: reviews(undefined, 90) });
    await h.client.apply({ yaml: reviews(undefined, 80) });
  });
  after(() => h.dispose());

  test('apply.conflict: a stale metadata.resourceVersion is ABORTED naming the current version', async () => {
    const before = await h.lastSequence();
    const failure = await failureOf(h.client.apply({ yaml: reviews('1', 50) }));
    assert.deepEqual(failure, {
      code: status.ABORTED,
      lines: [
        'document 1 (VirtualService default/reviews): metadata.resourceVersion: is "1" but VirtualService default/reviews is at resourceVersion 2; get it again and reapply your change',
      ],
    });
    assert.equal(await h.lastSequence(), before);
  });

  test('apply.conflict: the current metadata.resourceVersion is accepted', async () => {
    const res = await h.client.apply({ yaml: reviews('2', 50) });
    assert.equal(res.sequence, 3);
    assert.deepEqual(res.changes.map((c) => c.action), ['configured']);
  });

  test('apply.conflict: what Get returns can be edited and applied back', async () => {
    const got = JSON.parse((await h.client.get({ ref: { kind: 'VirtualService', namespace: 'default', name: 'reviews' } })).resourceJson) as {
      spec: { http: Array<{ route: Array<{ weight: number }> }> };
    };
    const route = got.spec.http[0]?.route;
    assert.ok(route !== undefined && route.length === 2);
    route[0]!.weight = 30;
    route[1]!.weight = 70;
    const res = await h.client.apply({ yaml: JSON.stringify(got) });
    assert.deepEqual(res.changes.map((c) => [c.action, c.resourceVersion]), [['configured', 4]]);
    // The same document again is now stale: someone (we) changed it since.
    const failure = await failureOf(h.client.apply({ yaml: JSON.stringify(got) }));
    assert.equal(failure.code, status.ABORTED);
    assert.match(failure.lines[0] ?? '', /is at resourceVersion 4/);
  });

  test('apply.conflict: a resourceVersion on a resource that does not exist is ABORTED', async () => {
    const failure = await failureOf(h.client.apply({ yaml: reviews('7', 50).replace('name: reviews', 'name: ghost') }));
    assert.equal(failure.code, status.ABORTED);
    assert.deepEqual(failure.lines, [
      'document 1 (VirtualService default/ghost): metadata.resourceVersion: is "7" but VirtualService default/ghost does not exist; remove resourceVersion to create it',
    ]);
  });
});
