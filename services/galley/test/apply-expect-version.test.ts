import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const entry = (address: string, version?: string): string =>
  `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: vm-1${version === undefined ? '' : `, resourceVersion: "${version}"`}}\nspec: {address: ${address}}\n`;

describe('apply.expect-version', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness();
    await h.client.apply({ yaml: entry('10.0.0.1') });
    await h.client.apply({ yaml: entry('10.0.0.2') });
  });
  after(() => h.dispose());

  test('apply.expect-version: a stale version is ABORTED naming the current one, and nothing is published', async () => {
    const before = await h.lastSequence();
    const failure = await failureOf(h.client.apply({ yaml: entry('10.0.0.3'), expectVersion: '1' }));
    assert.deepEqual(failure, {
      code: status.ABORTED,
      lines: ['document 1 (WorkloadEntry default/vm-1): metadata.resourceVersion: is "1" but WorkloadEntry default/vm-1 is at resourceVersion 2; get it again and reapply your change'],
    });
    assert.equal(await h.lastSequence(), before);
  });

  test('apply.expect-version: the current version is accepted', async () => {
    const res = await h.client.apply({ yaml: entry('10.0.0.3'), expectVersion: '2' });
    assert.deepEqual(res.changes.map((c) => [c.action, c.resourceVersion]), [['configured', 3]]);
  });

  test('apply.expect-version: a version that disagrees with the document\'s own is refused', async () => {
    const failure = await failureOf(h.client.apply({ yaml: entry('10.0.0.4', '3'), expectVersion: '2' }));
    assert.deepEqual(failure, {
      code: status.INVALID_ARGUMENT,
      lines: ['document 1 (WorkloadEntry default/vm-1): metadata.resourceVersion: is "3" but expectVersion is "2": say one version'],
    });
  });

  test('apply.expect-version: one version cannot name several documents', async () => {
    const two = `${entry('10.0.0.5')}---\n${entry('10.0.0.6').replace('vm-1', 'vm-2')}`;
    const failure = await failureOf(h.client.apply({ yaml: two, expectVersion: '3' }));
    assert.deepEqual(failure, { code: status.INVALID_ARGUMENT, lines: ['expectVersion: names the version of one resource, but the request holds 2 documents'] });
  });

  test('apply.expect-version: a version that is no number', async () => {
    const failure = await failureOf(h.client.apply({ yaml: entry('10.0.0.5'), expectVersion: 'latest' }));
    assert.deepEqual(failure, { code: status.INVALID_ARGUMENT, lines: ['expectVersion: "latest" is not a resourceVersion (a change number, e.g. 42)'] });
  });
});
