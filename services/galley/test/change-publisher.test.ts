import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLeft, right } from 'fp-ts/lib/Either.js';
import { Registry } from 'prom-client';
import { connectBus, provisionMesh, streamLastSequence, Streams, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { decodeResource, emptyMeshState } from '@jetmesh/model';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { createChangePublisher } from '../src/change-publisher.js';
import { ConfigStateLagError, type ConfigState } from '../src/config-state.js';
import { createGalleyMetrics } from '../src/galley-metrics.js';

/*
 * A change JetStream stored must never be reported as failed, even when galley's own fold of the
 * log cannot confirm it in time (seen when a NATS cluster node fails over): a client that saw a
 * failure would believe the change was not made.
 */

const log = createLogger('change-publisher-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');

/** Galley's projection, stuck: every wait for a sequence times out as a lagging fold does. */
const laggingState = (): ConfigState => ({
  forks: () => [],
  current: () => emptyMeshState,
  position: () => 0,
  isCaughtUp: () => true,
  caughtUp: Promise.resolve(),
  waitFor: (seq) => Promise.reject(new ConfigStateLagError(seq, 0)),
  latest: () => Promise.reject(new ConfigStateLagError(1, 0)),
  recordedRequest: () => undefined,
  stop: () => Promise.resolve(),
});

const serviceEntry = (name: string) => {
  const doc = decodeResource({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: 'default' },
    spec: { hosts: [`${name}.example.com`], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS' },
  });
  if (isLeft(doc)) throw new Error(JSON.stringify(doc.left));
  return doc.right.resource;
};

describe('change-publisher', () => {
  let nats: NatsServerHandle;
  let bus: Bus;

  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus(nats.url, log, { name: 'change-publisher-test' });
    await provisionMesh(bus);
  });

  after(async () => {
    await bus.close();
    await nats.dispose();
  });

  test('lagging fold: a stored change is answered with its sequence, not as a failure', async () => {
    const publisher = createChangePublisher(bus, laggingState(), log, { attempts: 3, metrics: createGalleyMetrics(new Registry()) });
    const result = await publisher.publish({
      actor: 'test',
      plan: () => right({ changes: [{ op: 'apply', resource: serviceEntry('api') }], outcomes: [], warnings: [] }),
    });
    assert.ok(!isLeft(result), JSON.stringify(result));
    assert.equal(result.right.sequence, 1);
    assert.equal(await streamLastSequence(bus, Streams.config), 1);
  });

  test('deadline: a write queued past the caller deadline is refused unsent, the one ahead of it stored', async () => {
    const before = await streamLastSequence(bus, Streams.config);
    let position = before;
    const slowState: ConfigState = { ...laggingState(), position: () => position, waitFor: (seq) => new Promise((resolve) => setTimeout(() => ((position = seq), resolve()), 50)) };
    const publisher = createChangePublisher(bus, slowState, log, { attempts: 3, metrics: createGalleyMetrics(new Registry()) });
    const change = (name: string) => () => right({ changes: [{ op: 'apply' as const, resource: serviceEntry(name) }], outcomes: [], warnings: [] });
    // Planning the first write takes 400 ms, and writes take turns to plan: the second waits past its deadline.
    const slowPlan = () => {
      const until = Date.now() + 400;
      while (Date.now() < until);
      return change('first')();
    };
    const first = publisher.publish({ actor: 'slow', plan: slowPlan });
    const late = publisher.publish({ actor: 'impatient', deadline: Date.now() + 100, plan: change('late') });
    const [stored, refused] = await Promise.all([first, late]);
    assert.ok(!isLeft(stored), JSON.stringify(stored));
    assert.ok(isLeft(refused), JSON.stringify(refused));
    assert.deepEqual(refused.left.map((p) => p.code), ['DEADLINE_EXCEEDED']);
    assert.equal(await streamLastSequence(bus, Streams.config), before + 1, 'only the first write is in the log');
  });
});
