import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { connectBus, provisionMesh, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { historyLines, replayToPoints } from '../src/index.js';

describe('replay over an empty log (a private nats-server)', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus(nats.url, createLogger('replay-test', 'silent'));
    await provisionMesh(bus, 'galley');
  });
  after(async () => {
    await bus?.close();
    await nats?.dispose();
  });

  it('replay.past-end: a sequence the log has not reached is a value naming the last one, not a throw', async () => {
    const replayed = await replayToPoints(bus, [{ kind: 'sequence', seq: 3 }]);
    assert.ok(isLeft(replayed));
    assert.equal(replayed.left.code, 'PAST_END_OF_LOG');
    assert.equal(replayed.left.reason, 'change #3 is past the end of the log (#0)');
  });

  it('replay.empty: the end of an empty log is the empty mesh, before any change', async () => {
    const replayed = await replayToPoints(bus, [undefined, { kind: 'sequence', seq: 0 }]);
    assert.ok(isRight(replayed));
    for (const point of replayed.right) {
      assert.equal(point.state.configSeq, 0);
      assert.equal(point.lastChange, undefined);
    }
    const lines = [];
    for await (const line of historyLines(bus, {})) lines.push(line);
    assert.deepEqual(lines, []);
  });
});
