import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { Streams } from '@jetmesh/bus';
import { failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const vs = (name: string, subset: string): string =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ${name}}\nspec:\n  hosts: [${name}]\n  http:\n  - route:\n    - destination: {host: ${name}, subset: ${subset}}\n`;

/** The stored ChangeSet at `seq`, as JSON. */
const storedAt = async (h: GalleyHarness, seq: number): Promise<Record<string, unknown>> => {
  const msg = await h.bus.jsm.streams.getMessage(Streams.config, { seq });
  return JSON.parse(new TextDecoder().decode(msg?.data)) as Record<string, unknown>;
};

describe('apply.request-id (two galleys on one log)', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness({ replicas: 2 });
  });
  after(() => h.dispose());

  test('apply.request-id: a retry with the same request id answers the recorded change and records nothing new', async () => {
    const first = await h.client.apply({ yaml: vs('reviews', 'v1'), requestId: 'retry-1' });
    assert.ok(first.sequence > 0);
    assert.equal((await storedAt(h, first.sequence)).requestId, 'retry-1');
    // The answer was "lost"; meanwhile someone else changed the resource; the client retries the same request.
    const other = await h.client.apply({ yaml: vs('reviews', 'v3') });
    const retry = await h.client.apply({ yaml: vs('reviews', 'v1'), requestId: 'retry-1' });
    assert.equal(retry.sequence, first.sequence);
    assert.deepEqual(retry.warnings, [`request retry-1 was already recorded as change #${first.sequence} (this is a retry): nothing new was recorded`]);
    assert.equal(await h.lastSequence(), other.sequence, 'nothing was published for the retry');
  });

  test('apply.request-id: the same request sent to both galleys at once is recorded once', async () => {
    const before = await h.lastSequence();
    const answers = await Promise.all(h.clients.map((c) => c.apply({ yaml: vs('ratings', 'v2'), requestId: 'both-galleys' })));
    assert.equal(answers[0]?.sequence, answers[1]?.sequence);
    assert.equal(await h.lastSequence(), before + 1);
  });

  test('apply.request-id: a retry sent to the same galley while the original is in flight answers the original', async () => {
    // The retry plans on the state the original leads to (pipelined writes) before the fold holds
    // it: it finds nothing to change, and must still answer the original, not "nothing recorded".
    const before = await h.lastSequence();
    const answers = await Promise.all([1, 2, 3].map(() => h.client.apply({ yaml: vs('productpage', 'v1'), requestId: 'in-flight' })));
    assert.deepEqual(
      answers.map((a) => a.sequence),
      [before + 1, before + 1, before + 1],
    );
    assert.equal(await h.lastSequence(), before + 1);
  });

  test('apply.request-id: a delete retried with its request id deletes once', async () => {
    await h.client.apply({ yaml: vs('details', 'v1') });
    const first = await h.client.delete({ yaml: vs('details', 'v1'), requestId: 'delete-1' });
    const retry = await h.clients[1]!.delete({ yaml: vs('details', 'v1'), requestId: 'delete-1' });
    assert.equal(retry.sequence, first.sequence);
    assert.equal(await h.lastSequence(), first.sequence);
  });

  test('apply.request-id: an id that cannot be a message id is INVALID_ARGUMENT, nothing recorded', async () => {
    const before = await h.lastSequence();
    const failure = await failureOf(h.client.apply({ yaml: vs('reviews', 'v2'), requestId: 'has spaces' }));
    assert.deepEqual(failure, { code: status.INVALID_ARGUMENT, lines: ['requestId: must be 1-128 of A-Z a-z 0-9 . _ : - (e.g. a UUID), the same on every retry of the request'] });
    assert.equal(await h.lastSequence(), before);
  });
});
