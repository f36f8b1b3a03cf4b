import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLeft } from 'fp-ts/lib/Either.js';
import { connectBus, provisionMesh, publishEvent, Subjects, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { changeSetHash, ChangeSetCodec, decodeResource, emptyMeshState, GENESIS_HASH, reduce, type ChangeSet, type MeshState } from '@jetmesh/model';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { startConfigState } from '../src/config-state.js';

/*
 * Galley's own fold of MESH_CONFIG catches up in chunks (not one map copy per event) and then
 * follows live. Whatever the chunking, the state must be the one the reducer gives event by
 * event, and the position must count undecodable messages too (the next write expects it).
 */

const log = createLogger('config-state-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');

const serviceEntry = (i: number, port: number) => {
  const r = decodeResource({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: `svc-${i}`, namespace: 'default' },
    spec: { hosts: [`svc-${i}.example.com`], ports: [{ number: port, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' },
  });
  if (isLeft(r)) throw new Error(JSON.stringify(r.left));
  return r.right.resource;
};

describe('config-state', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  // Past two catch-up chunks, with an undecodable message in the middle of the second.
  const EVENTS = 9_000;
  const INVALID_AT = 5_000;
  let expected: MeshState = emptyMeshState;
  let prev = GENESIS_HASH;

  const publishChange = async (n: number): Promise<number> => {
    const change: ChangeSet = {
      id: `cs-${n}`,
      type: 'ChangeSet',
      at: new Date(1_700_000_000_000 + n * 1000).toISOString(),
      actor: 'test',
      prev,
      changes: n % 7 === 0 ? [{ op: 'delete', ref: { kind: 'ServiceEntry', namespace: 'default', name: `svc-${(n - 1) % 300}` } }] : [{ op: 'apply', resource: serviceEntry(n % 300, 1000 + n) }],
    };
    const stored = await publishEvent(bus, ChangeSetCodec, Subjects.config, change, { msgId: change.id });
    if (stored._tag === 'Left') throw new Error(JSON.stringify(stored.left));
    expected = reduce(expected, { stream: 'config', seq: stored.right.seq, event: change });
    prev = changeSetHash(change);
    return stored.right.seq;
  };

  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus(nats.url, log, { name: 'config-state-test' });
    await provisionMesh(bus);
    for (let n = 1; n <= EVENTS; n++) {
      if (n === INVALID_AT) await bus.js.publish(Subjects.config, 'not a change set');
      await publishChange(n);
    }
  });

  after(async () => {
    await bus.close();
    await nats.dispose();
  });

  test('catch-up: a long log folded in chunks equals the reducer event by event; the position counts every message', async () => {
    const state = await startConfigState(bus, log);
    try {
      await state.caughtUp;
      assert.equal(state.isCaughtUp(), true);
      assert.equal(state.position(), EVENTS + 1);
      assert.deepStrictEqual(state.current(), expected);
      assert.equal(state.current().lastChangeSetHash, prev);

      // Live: each new change is folded at once and its sequence can be waited for.
      const seq = await publishChange(EVENTS + 1);
      await state.waitFor(seq);
      assert.equal(state.position(), seq);
      assert.deepStrictEqual(state.current(), expected);
    } finally {
      await state.stop();
    }
  });
});
