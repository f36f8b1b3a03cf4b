import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const entry = (i: number, note = ''): string =>
  `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: vm-${i}${note === '' ? '' : `, annotations: {note: "${note}"}`}}\nspec: {address: 10.0.0.1}\n`;

describe('apply.limits', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness({ maxChangeSetDocuments: 3, maxChangeSetBytes: 16 * 1024 });
  });
  after(() => h.dispose());

  test('apply.limits: more documents than a change may hold are refused naming the limit', async () => {
    const failure = await failureOf(h.client.apply({ yaml: [1, 2, 3, 4].map((i) => entry(i)).join('---\n') }));
    assert.deepEqual(failure, { code: status.INVALID_ARGUMENT, lines: ['yaml: the request holds 4 documents; the limit is 3 per change: apply it in smaller parts'] });
    assert.equal(await h.lastSequence(), 0);
  });

  test('apply.limits: a delete naming more resources than the limit is refused too', async () => {
    const refs = [1, 2, 3, 4].map((i) => ({ kind: 'WorkloadEntry', namespace: 'default', name: `vm-${i}` }));
    const failure = await failureOf(h.client.delete({ refs }));
    assert.equal(failure.code, status.INVALID_ARGUMENT);
    assert.match(failure.lines[0] ?? '', /holds 4 documents; the limit is 3 per change/);
  });

  test('apply.limits: a change over the configured byte limit is refused with its size, on a dry run too', async () => {
    const yaml = [1, 2].map((i) => entry(i, 'n'.repeat(10 * 1024))).join('---\n');
    for (const dryRun of [true, false]) {
      const failure = await failureOf(h.client.apply({ yaml, dryRun }));
      assert.equal(failure.code, status.INVALID_ARGUMENT);
      assert.match(failure.lines.join('\n'), /^the change is \d+ bytes encoded; the limit is 16384 bytes: apply it in smaller parts$/);
    }
    assert.equal(await h.lastSequence(), 0);
  });

  test('apply.limits: within the limits the change is one event', async () => {
    const res = await h.client.apply({ yaml: [1, 2, 3].map((i) => entry(i)).join('---\n') });
    assert.equal(res.sequence, 1);
    assert.equal((await h.changeSets())[0]?.changeSet.changes.length, 3);
  });
});
