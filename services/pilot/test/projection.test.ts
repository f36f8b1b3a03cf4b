import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { connectBus, type Bus } from '@jetmesh/bus';
import type { MeshState } from '@jetmesh/model';
import { startMeshProjection, type MeshProjection } from '../src/mesh-projection.js';
import { createPilotMetrics } from '../src/pilot-metrics.js';
import { eventually } from '@jetmesh/testing';
import { bookinfo, ratings, reviewsRoute, startPilotHarness, testLogger, type PilotHarness } from './pilot-harness.js';

describe('projection', () => {
  let h: PilotHarness;
  let bus: Bus;
  let projection: MeshProjection;
  const seen: MeshState[] = [];

  before(async () => {
    h = await startPilotHarness();
    bus = await connectBus(h.nats.url, testLogger('projection-test'), { name: 'projection-test' });
  });
  after(async () => {
    await projection.stop();
    await bus.close();
    await h.dispose();
  });

  test('projection.replay-then-follow: events published before start are folded, reported once as caught up', async () => {
    await h.log.apply(bookinfo(), 'bookinfo');
    for (let i = 0; i < 48; i++) await h.log.apply(reviewsRoute(100 - i, i));
    const lastConfig = await h.log.apply(ratings(), 'ratings');
    const lastRegistry = await h.log.register('default', 'reviews-vm-1', { address: '10.0.0.7', labels: { app: 'reviews', version: 'v1' } });

    projection = await startMeshProjection(bus, testLogger('projection-test'), createPilotMetrics(new Registry()));
    projection.onChange((state) => seen.push(state));
    await projection.caughtUp;
    assert.equal(projection.isCaughtUp(), true);
    assert.equal(projection.state().configSeq, lastConfig);
    assert.equal(projection.state().registrySeq, lastRegistry);
    assert.equal(projection.state().resources.size, 8, 'six Bookinfo resources and two of ratings');
    assert.equal(projection.state().workloads.size, 1);
    await eventually(() => (seen.length > 0 ? true : undefined), 'the caught-up state');
    assert.equal(seen.length, 1, 'the replay is derived once, not per event');
    assert.equal(seen[0]?.configSeq, lastConfig);
  });

  test('projection.replay-then-follow: later events are followed', async () => {
    const seq = await h.log.apply(reviewsRoute(50, 50), '50/50');
    const state = await eventually(() => seen.find((s) => s.configSeq === seq), 'the new ChangeSet');
    const vs = [...state.resources.values()].find((r) => r.resource.kind === 'VirtualService');
    assert.equal(vs?.resourceVersion, seq);
    const registrySeq = await h.log.unregister('default', 'reviews-vm-1');
    const after = await eventually(() => seen.find((s) => s.registrySeq === registrySeq), 'the removal');
    assert.equal(after.workloads.size, 0);
  });

  test('projection.coalescing: a burst of events is folded and announced in fewer changes than events', async () => {
    const before = seen.length;
    const burst = 200;
    const seqs = await Promise.all(Array.from({ length: burst }, (_, i) => h.log.change([{ op: 'apply', resource: reviewsRoute(i % 101, 100 - (i % 101))[0]! }])));
    const last = Math.max(...seqs);
    await eventually(() => (projection.state().configSeq === last ? true : undefined), 'the end of the burst');
    await eventually(() => (seen.at(-1)?.configSeq === last ? true : undefined), 'the announcement');
    const announcements = seen.length - before;
    assert.ok(announcements < burst / 2, `${announcements} announcements for ${burst} events`);
  });
});
