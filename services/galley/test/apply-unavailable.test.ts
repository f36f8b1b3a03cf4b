import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { bookinfoYaml, failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

describe('apply.unavailable', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness();
    await h.client.apply({ yaml: bookinfoYaml() });
  });
  after(() => h.dispose());

  test('apply.unavailable: with NATS gone, writes and reads are UNAVAILABLE in one line; after it returns they work again', async () => {
    await h.nats.kill();
    const yaml = bookinfoYaml().replace('weight: 90}', 'weight: 70}').replace('weight: 10}', 'weight: 30}');
    for (const call of [h.client.apply({ yaml }), h.client.get({ ref: { kind: 'vs', namespace: '', name: 'reviews-route' } })]) {
      const failure = await failureOf(call);
      assert.equal(failure.code, status.UNAVAILABLE);
      assert.equal(failure.lines.length, 1);
      assert.match(failure.lines[0] ?? '', /^configuration store unavailable: /);
      assert.doesNotMatch(failure.lines[0] ?? '', /\bat .*\.js:\d+/);
    }
    await h.nats.restart();
    // The client reconnects on its own; the first calls after the restart may still find it reconnecting.
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const res = await h.client.apply({ yaml });
        assert.deepEqual(res.changes.filter((c) => c.action === 'configured').map((c) => c.ref?.name), ['reviews-route']);
        assert.equal(res.sequence, 2);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  });
});
