import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contentHash } from '@jetmesh/model';
import {
  addresses,
  bookinfo,
  publishedAt,
  ratings,
  RATINGS,
  refOf,
  REVIEWS,
  reviewsRoute,
  snapshotAt,
  startPilotHarness,
  startPilotInstance,
  type PilotHarness,
  type PilotInstance,
} from './pilot-harness.js';

describe('snapshot', () => {
  let h: PilotHarness;
  let pilot: PilotInstance;
  let configSeq = 0;
  let registrySeq = 0;

  before(async () => {
    h = await startPilotHarness();
    pilot = await startPilotInstance(h.nats.url);
  });
  after(async () => {
    await pilot.stop();
    await h.dispose();
  });

  test('snapshot.written: after the Bookinfo ChangeSet, jason goes to v2 and everyone else 90/10 to v1/v2', async () => {
    const bookinfoSeq = await h.log.apply(bookinfo(), 'bookinfo');
    await publishedAt(pilot, bookinfoSeq);
    configSeq = await h.log.apply(ratings(), 'ratings');
    await publishedAt(pilot, configSeq);
    const { value } = await snapshotAt(h, REVIEWS, bookinfoSeq);
    assert.deepEqual(value.version, { config: bookinfoSeq, registry: 0 }, 'the ratings ChangeSet did not touch reviews');
    assert.equal(value.contentHash, contentHash(value.snapshot));
    const [jason, rest] = value.snapshot.routes;
    assert.deepEqual(jason?.match, [{ headers: { 'end-user': { exact: 'jason' } } }]);
    assert.deepEqual(jason?.destinations.map((d) => [d.subset, d.weight, addresses(d.endpoints)]), [['v2', 100, ['127.0.0.1:19082']]]);
    assert.deepEqual(rest?.match, []);
    assert.deepEqual(
      rest?.destinations.map((d) => [d.cluster, d.weight, addresses(d.endpoints)]),
      [
        [`outbound|9080|v1|${REVIEWS}`, 90, ['127.0.0.1:19081']],
        [`outbound|9080|v2|${REVIEWS}`, 10, ['127.0.0.1:19082']],
      ],
    );
    assert.ok(await h.snapshot(RATINGS), 'ratings is published too');
  });

  test('snapshot.update: 50/50 raises the version of reviews and leaves ratings untouched', async () => {
    const before = await snapshotAt(h, REVIEWS, 1);
    const ratingsBefore = await h.snapshot(RATINGS);
    configSeq = await h.log.apply(reviewsRoute(50, 50), '50/50');
    const after = await snapshotAt(h, REVIEWS, configSeq);
    assert.ok(after.revision > before.revision);
    assert.deepEqual(after.value.version, { config: configSeq, registry: 0 });
    assert.deepEqual(after.value.snapshot.routes[1]?.destinations.map((d) => [d.subset, d.weight]), [['v1', 50], ['v2', 50]]);
    await publishedAt(pilot, configSeq);
    assert.deepEqual(await h.snapshot(RATINGS), ratingsBefore, 'same value and same KV revision');
  });

  test('snapshot.delete-vs: without its VirtualService, reviews is one route over all three endpoints', async () => {
    const vs = bookinfo().find((r) => r.kind === 'VirtualService');
    assert.ok(vs);
    configSeq = await h.log.delete([refOf(vs)]);
    const { value } = await snapshotAt(h, REVIEWS, configSeq);
    assert.equal(value.snapshot.routes.length, 1);
    const [route] = value.snapshot.routes;
    assert.deepEqual(route?.match, []);
    assert.deepEqual(
      route?.destinations.map((d) => [d.cluster, d.weight, addresses(d.endpoints)]),
      [[`outbound|9080||${REVIEWS}`, 100, ['127.0.0.1:19081', '127.0.0.1:19082', '127.0.0.1:19083']]],
    );
  });

  test('snapshot.registry: a registered workload becomes an endpoint, and goes when removed', async () => {
    registrySeq = await h.log.register('default', 'reviews-vm-1', {
      address: '10.0.0.7',
      ports: { http: 9080 },
      labels: { app: 'reviews', version: 'v3' },
    });
    const added = await snapshotAt(h, REVIEWS, configSeq, registrySeq);
    assert.deepEqual(added.value.version, { config: configSeq, registry: registrySeq });
    assert.deepEqual(addresses(added.value.snapshot.routes[0]?.destinations[0]?.endpoints ?? []), [
      '10.0.0.7:9080',
      '127.0.0.1:19081',
      '127.0.0.1:19082',
      '127.0.0.1:19083',
    ]);
    registrySeq = await h.log.unregister('default', 'reviews-vm-1');
    const removed = await snapshotAt(h, REVIEWS, configSeq, registrySeq);
    assert.deepEqual(addresses(removed.value.snapshot.endpoints), ['127.0.0.1:19081', '127.0.0.1:19082', '127.0.0.1:19083']);
  });

  test('snapshot.remove-host: deleting the ServiceEntry of ratings removes its key', async () => {
    const se = ratings().find((r) => r.kind === 'ServiceEntry');
    assert.ok(se);
    configSeq = await h.log.delete([refOf(se)]);
    await publishedAt(pilot, configSeq, registrySeq);
    assert.equal(await h.snapshot(RATINGS), undefined);
    assert.ok(await h.snapshot(REVIEWS));
  });

  test('snapshot.restart: a new pilot leaves every key, value and KV revision as it was', async () => {
    configSeq = await h.log.apply(ratings(), 'ratings again');
    await publishedAt(pilot, configSeq, registrySeq);
    const before = await h.bucket();
    assert.deepEqual([...before.keys()].filter((k) => k.startsWith('host.')), ['host.ratings.default.svc.cluster.local', 'host.reviews.default.svc.cluster.local']);
    const workloadKeys = [...before.keys()].filter((k) => k.startsWith('workload.'));
    assert.ok(workloadKeys.length > 0);
    await pilot.stop();
    pilot = await startPilotInstance(h.nats.url, 'pilot-restarted');
    await pilot.pilot.publisher.firstPublish;
    assert.deepEqual(await h.bucket(), before);
    const written = await pilot.registry.getSingleMetric('pilot_snapshots_total')?.get();
    const byOutcome = Object.fromEntries((written?.values ?? []).map((v) => [v.labels.outcome, v.value]));
    assert.deepEqual(byOutcome, { unchanged: 2 + workloadKeys.length });
  });
});
