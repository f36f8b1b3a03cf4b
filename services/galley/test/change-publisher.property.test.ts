import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLeft, right } from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { connectBus, provisionMesh, readStream, Streams, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { canonicalJson, ChangeSetCodec, changeSetHash, configLogEvent, decodeResource, emptyMeshState, GENESIS_HASH, replay, type Change, type ChangeSet, type MeshState } from '@jetmesh/model';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { createChangePublisher } from '../src/change-publisher.js';
import type { ChangePlan } from '../src/change-plan.js';
import { startConfigState, type ConfigState } from '../src/config-state.js';
import { createGalleyMetrics } from '../src/galley-metrics.js';

/*
 * The pipelined publisher (the next write planned on the state the one in flight leads to) stores
 * exactly what one-at-a-time writes would: every stored ChangeSet is what its request plans on
 * the log right before it, the hash chain is intact, and each answer names where its change is.
 */

const log = createLogger('change-publisher-property', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');

const serviceEntry = (name: string, port: number) => {
  const doc = decodeResource({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: 'default' },
    spec: { hosts: [`${name}.example.com`], ports: [{ number: port, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS' },
  });
  if (isLeft(doc)) throw new Error(JSON.stringify(doc.left));
  return doc.right.resource;
};

/** A write whose content depends on the state it is planned on (how many resources exist), or that may change nothing. */
interface Write {
  readonly name: string;
  readonly counted: boolean;
  readonly port: number;
}

const changesOf = (w: Write, state: MeshState): Change[] => {
  const resource = serviceEntry(w.name, w.counted ? 1000 + state.resources.size : w.port);
  const stored = state.resources.get(`ServiceEntry/default/${w.name}`);
  return stored !== undefined && canonicalJson(stored.resource.spec) === canonicalJson(resource.spec) ? [] : [{ op: 'apply', resource }];
};

const planOf = (w: Write) => (state: MeshState) => right<never, ChangePlan>({ changes: changesOf(w, state), outcomes: [], warnings: [] });

const write: fc.Arbitrary<Write> = fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd'), counted: fc.boolean(), port: fc.constantFrom(443, 8443) });

describe('change-publisher.property', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  let state: ConfigState;

  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus(nats.url, log, { name: 'change-publisher-property' });
    await provisionMesh(bus);
    state = await startConfigState(bus, log);
    await state.caughtUp;
  });

  after(async () => {
    await state.stop();
    await bus.close();
    await nats.dispose();
  });

  test('change-publisher.property: writes sent together through one publisher store what one-at-a-time writes on the same log would', async () => {
    const publisher = createChangePublisher(bus, state, log, { attempts: 3, metrics: createGalleyMetrics(new Registry()) });
    const requestOf = new Map<string, Write>();
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 8 }), async (writes) => {
        const results = await Promise.all(
          writes.map((w, i) => {
            const actor = `w-${requestOf.size}-${i}`;
            requestOf.set(actor, w);
            return publisher.publish({ actor, plan: planOf(w) });
          }),
        );
        const stored = new Map<number, ChangeSet>();
        for await (const e of readStream(bus, { stream: Streams.config, codec: ChangeSetCodec, fromSequence: 1 })) stored.set(e.seq, e.value);
        // Every answer with a sequence names a ChangeSet of that request at that sequence; read-your-writes holds.
        results.forEach((r, i) => {
          assert.ok(!isLeft(r), JSON.stringify(r));
          if (r.right.sequence === 0) return;
          assert.ok(state.position() >= r.right.sequence, 'answered before its own fold reached it');
          assert.equal(stored.get(r.right.sequence)?.actor.endsWith(`-${i}`), true);
        });
        // Refolding the log from the start: each ChangeSet is its request's plan on the state right before it, chained to it.
        let before = emptyMeshState;
        let prev = GENESIS_HASH;
        for (const [seq, cs] of [...stored].sort((a, b) => a[0] - b[0])) {
          assert.equal(cs.prev, prev, `prev of #${seq}`);
          const w = requestOf.get(cs.actor);
          assert.ok(w !== undefined);
          assert.deepEqual(cs.changes, changesOf(w, before), `#${seq} (${cs.actor}) is its plan on the log before it`);
          before = replay(before, [configLogEvent(seq, cs)]);
          prev = changeSetHash(cs);
        }
        assert.equal(canonicalJson([...before.resources]), canonicalJson([...state.current().resources]));
      }),
      { numRuns: 25 },
    );
  });
});
