import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import { connectBus, Subjects, type Bus } from '@jetmesh/bus';
import { decodePilotProxyStatus, type PilotProxyStatus } from '@jetmesh/model';
import { adsClient, openAdsProbe, type AdsProbe, type AdsProbeOptions, type ProbeResponse } from '../src/xds/ads-probe.js';
import { createEventClock } from '../src/xds/event-clock.js';
import { answerProxyStatus } from '../src/xds/status-responder.js';
import type { ShortTypeName } from '../src/xds/type-urls.js';
import { createXdsMetrics } from '../src/xds/xds-metrics.js';
import { startXdsServer, type XdsServer } from '../src/xds/xds-server.js';
import { parseVersion } from '../src/xds/xds-version.js';
import { eventually } from '@jetmesh/testing';
import {
  bookinfo,
  publishedAt,
  ratings,
  resourcesOf,
  reviewsRoute,
  startPilotHarness,
  startPilotInstance,
  testLogger,
  type PilotHarness,
  type PilotInstance,
} from './pilot-harness.js';

const REVIEWS = 'reviews.default.svc.cluster.local';
const RATINGS = 'ratings.default.svc.cluster.local';
const cluster = (subset: string, host = REVIEWS) => `outbound|9080|${subset}|${host}`;

interface Replica {
  readonly instance: PilotInstance;
  readonly xds: XdsServer;
  readonly client: grpc.Client;
}

async function startReplica(url: string, name: string): Promise<Replica> {
  const instance = await startPilotInstance(url, name);
  const log = testLogger(`${name}-xds`);
  const xds = await startXdsServer(
    instance.pilot.snapshots,
    { host: '127.0.0.1', port: 0, replica: name },
    { log, metrics: createXdsMetrics(instance.registry), clock: createEventClock(instance.bus, log) },
  );
  return { instance, xds, client: adsClient(`127.0.0.1:${xds.port}`, true) };
}

const configOf = (r: ProbeResponse): number => parseVersion(r.version)?.config ?? -1;

/** The route configuration a response carries, as plain objects. */
const weightsIn = (probe: AdsProbe, r: ProbeResponse): number[] => {
  const [rc] = probe.decode(r) as Array<{ virtual_hosts: Array<{ routes: Array<{ route?: { weighted_clusters?: { clusters: Array<{ weight: { value: number } }> } } }> }> }>;
  return (rc?.virtual_hosts[0]?.routes ?? []).flatMap((x) => x.route?.weighted_clusters?.clusters.map((c) => c.weight.value) ?? []);
};

describe('xDS server (ADS over a real pilot and NATS)', () => {
  let h: PilotHarness;
  let a: Replica;
  let b: Replica;
  let bus: Bus;
  let seq = 0;
  const probes: AdsProbe[] = [];
  const probe = (replica: Replica, opts: AdsProbeOptions): AdsProbe => {
    const p = openAdsProbe(replica.client, opts);
    probes.push(p);
    return p;
  };
  const status = (replica: Replica, node: string) => replica.xds.status().streams.find((s) => s.node === node);
  const typeStatus = (replica: Replica, node: string, type: ShortTypeName) => status(replica, node)?.types.find((t) => t.type === type);

  before(async () => {
    h = await startPilotHarness();
    a = await startReplica(h.nats.url, 'pilot-a');
    b = await startReplica(h.nats.url, 'pilot-b');
    seq = await h.log.apply([...bookinfo(), ...ratings()]);
    await publishedAt(a.instance, seq);
    await publishedAt(b.instance, seq);
    bus = await connectBus(h.nats.url, testLogger('xds-test-bus'));
  });
  after(async () => {
    for (const p of probes) p.close();
    for (const r of [a, b]) {
      r.client.close();
      await r.xds.close();
      await r.instance.stop();
    }
    await bus.close();
    await h.dispose();
  });

  test('xds.subscribe: a client gets exactly the resources it names, the listener under the short name it dialled', async () => {
    const p = probe(a, {
      node: 'subscriber',
      subscribe: { LDS: ['reviews:9080'], RDS: [`${REVIEWS}:9080`], CDS: [cluster('v1'), cluster('v2')], EDS: [cluster('v2')] },
    });
    const lds = await p.next((r) => r.type === 'LDS');
    assert.deepEqual(p.namesOf(lds), ['reviews:9080']);
    const [listener] = p.decode(lds) as Array<{ api_listener: { api_listener: { rds: { route_config_name: string } } } }>;
    assert.equal(listener?.api_listener.api_listener.rds.route_config_name, `${REVIEWS}:9080`);
    assert.deepEqual(p.namesOf(await p.next((r) => r.type === 'RDS')), [`${REVIEWS}:9080`]);
    assert.deepEqual(p.namesOf(await p.next((r) => r.type === 'CDS')).sort(), [cluster('v1'), cluster('v2')]);
    const eds = await p.next((r) => r.type === 'EDS');
    assert.deepEqual(p.namesOf(eds), [cluster('v2')]);
    assert.match(JSON.stringify(p.decode(eds)), /"port_value":19082/);
    assert.equal(lds.version, `${seq}.0`);
  });

  test('xds.namespace: a short name expands in the client\'s own namespace, from its node metadata', async () => {
    const fromProd = probe(a, { node: 'prod-client', namespace: 'prod', subscribe: { LDS: ['reviews:9080', 'reviews.default:9080'] } });
    const lds = await fromProd.next((r) => r.type === 'LDS');
    // reviews in prod does not exist; reviews.default does.
    assert.deepEqual(fromProd.namesOf(lds), ['reviews.default:9080']);
    assert.equal(status(a, 'prod-client')?.namespace, 'prod');
  });

  test('xds.only-watchers: a change to one host pushes to the streams watching it, and to no other', async () => {
    const reviewsWatcher = probe(a, { node: 'reviews-watcher', subscribe: { RDS: [`${REVIEWS}:9080`] } });
    const ratingsWatcher = probe(a, { node: 'ratings-watcher', subscribe: { RDS: [`${RATINGS}:9080`] } });
    await reviewsWatcher.next((r) => r.type === 'RDS');
    await ratingsWatcher.next((r) => r.type === 'RDS');
    const change = await h.log.apply(reviewsRoute(50, 50));
    const pushed = await reviewsWatcher.next((r) => r.type === 'RDS' && configOf(r) >= change);
    assert.deepEqual(weightsIn(reviewsWatcher, pushed), [50, 50]);
    await sleep(200);
    assert.equal(ratingsWatcher.responses.length, 1, 'the ratings stream heard of a reviews change');
    await eventually(() => (typeStatus(a, 'reviews-watcher', 'RDS')?.status === 'SYNCED' ? true : undefined), 'reviews watcher synced');
    assert.equal(typeStatus(a, 'reviews-watcher', 'RDS')?.acked, `${change}.0`);
  });

  test('xds.full-state: a listener or cluster response always carries every subscribed resource', async () => {
    const p = probe(a, { node: 'cluster-watcher', subscribe: { CDS: [cluster('v1'), cluster('v3')] } });
    await p.next((r) => r.type === 'CDS');
    const change = await h.log.apply(
      resourcesOf(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {connectionPool: {http: {http2MaxRequests: 5}}}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}]
`),
    );
    // Only v1 is routed (v3 is not in the route table yet), so v3 does not exist: it is left out, v1 is sent.
    const pushed = await p.next((r) => r.type === 'CDS' && configOf(r) >= change);
    assert.deepEqual(p.namesOf(pushed), [cluster('v1')]);
    assert.match(JSON.stringify(p.decode(pushed)), /"max_requests":\{"value":5\}/);
  });

  test('xds.nack: a rejected response is recorded with the client error, not resent, and cleared by the next good one', async () => {
    const p = probe(a, {
      node: 'picky-client',
      subscribe: { CDS: [cluster('v1'), cluster('v2')] },
      reject: (r) => (r.type === 'CDS' && JSON.stringify(p.decode(r)).includes('"RANDOM"') ? 'unsupported lb_policy: RANDOM' : undefined),
    });
    await p.next((r) => r.type === 'CDS');
    const bad = await h.log.apply(
      resourcesOf(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}]
`),
    );
    await p.next((r) => r.type === 'CDS' && configOf(r) >= bad);
    const nacked = await eventually(() => {
      const t = typeStatus(a, 'picky-client', 'CDS');
      return t?.status === 'NACKED' ? t : undefined;
    }, 'CDS NACKED');
    assert.equal(nacked.error, 'unsupported lb_policy: RANDOM');
    assert.equal(nacked.rejected, `${bad}.0`);
    assert.notEqual(nacked.acked, `${bad}.0`);
    assert.match(await a.instance.registry.metrics(), /pilot_xds_rejects_total\{type="CDS"\} [1-9]/);
    await sleep(200);
    assert.equal(p.responses.filter((r) => r.type === 'CDS' && configOf(r) >= bad).length, 1, 'pilot resent a rejected response');
    const good = await h.log.apply(
      resourcesOf(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}]
`),
    );
    await p.next((r) => r.type === 'CDS' && configOf(r) >= good);
    const synced = await eventually(() => {
      const t = typeStatus(a, 'picky-client', 'CDS');
      return t?.status === 'SYNCED' ? t : undefined;
    }, 'CDS SYNCED');
    assert.equal(synced.acked, `${good}.0`);
  });

  test('xds.delta: an incremental client gets what changed and is told what was removed', async () => {
    const p = probe(a, { node: 'delta-client', protocol: 'delta', subscribe: { LDS: ['ratings:9080'], RDS: [`${REVIEWS}:9080`, `${RATINGS}:9080`] } });
    const first = await p.next((r) => r.type === 'RDS');
    assert.deepEqual(p.namesOf(first).sort(), [`${RATINGS}:9080`, `${REVIEWS}:9080`]);
    assert.deepEqual(p.namesOf(await p.next((r) => r.type === 'LDS')), ['ratings:9080']);
    const change = await h.log.apply(reviewsRoute(70, 30));
    const pushed = await p.next((r) => r.type === 'RDS' && configOf(r) >= change);
    assert.deepEqual(p.namesOf(pushed), [`${REVIEWS}:9080`]);
    assert.deepEqual(weightsIn(p, pushed), [70, 30]);
    const removal = await h.log.delete([{ kind: 'ServiceEntry', namespace: 'default', name: 'ratings' }]);
    const removed = await p.next((r) => r.type === 'LDS' && configOf(r) >= removal);
    assert.deepEqual(removed.removed, ['ratings:9080']);
    assert.deepEqual((await p.next((r) => r.type === 'RDS' && configOf(r) >= removal)).removed, [`${RATINGS}:9080`]);
    await eventually(() => (status(a, 'delta-client')?.types.every((t) => t.status === 'SYNCED' || t.status === 'NOT_SENT') ? true : undefined), 'delta client synced');
    await publishedAt(a.instance, await h.log.apply(ratings()));
  });

  test('xds.replicas: every replica labels the same resources with the same log-position version', async () => {
    const subscribe = { LDS: ['reviews:9080'], RDS: [`${REVIEWS}:9080`] };
    const onA = probe(a, { node: 'twin', subscribe });
    const onB = probe(b, { node: 'twin', subscribe });
    const [ra, rb] = await Promise.all([onA.next((r) => r.type === 'RDS'), onB.next((r) => r.type === 'RDS')]);
    assert.equal(ra.version, rb.version);
    assert.deepEqual(ra.resources, rb.resources);
  });

  test('xds.resume: a client reporting a version a replica has not reached waits for it, and never sees an older one', async () => {
    const position = await h.log.apply(reviewsRoute(60, 40));
    await publishedAt(a.instance, position);
    const ahead = `${position + 1}.0`;
    const p = probe(a, { node: 'from-the-future', subscribe: { RDS: [`${REVIEWS}:9080`] }, resume: { RDS: ahead } });
    await sleep(300);
    assert.equal(p.responses.length, 0, 'answered with a version older than the client holds');
    const next = await h.log.apply(reviewsRoute(65, 35));
    const r = await p.next((x) => x.type === 'RDS');
    assert.equal(next, position + 1);
    assert.equal(r.version, ahead);
    assert.deepEqual(weightsIn(p, r), [65, 35]);
  });

  test('xds.wildcard: a listener or cluster request naming nothing subscribes to every one', async () => {
    const p = probe(a, { node: 'envoy-like', subscribe: { LDS: [], CDS: [] } });
    const lds = await p.next((r) => r.type === 'LDS');
    assert.deepEqual(p.namesOf(lds).sort(), [`${RATINGS}:9080`, `${REVIEWS}:9080`]);
    const cds = await p.next((r) => r.type === 'CDS');
    assert.ok(p.namesOf(cds).includes(cluster('v1')), p.namesOf(cds).join());
  });

  test('xds.proxy-status: every replica answers the status request with its own streams', async () => {
    const stop = [answerProxyStatus(a.instance.bus, a.xds.status, testLogger('status-a')), answerProxyStatus(b.instance.bus, b.xds.status, testLogger('status-b'))];
    try {
      // The subscriptions must reach the server before anyone asks.
      await Promise.all([a.instance.bus.nc.flush(), b.instance.bus.nc.flush()]);
      probe(b, { node: 'status-client', subscribe: { LDS: ['reviews:9080'] } });
      await eventually(() => (typeStatus(b, 'status-client', 'LDS')?.status === 'SYNCED' ? true : undefined), 'status-client synced on b');
      const replies: PilotProxyStatus[] = [];
      for await (const msg of await bus.nc.requestMany(Subjects.pilotStatus, '', { strategy: 'timer', maxWait: 300 })) {
        const decoded = decodePilotProxyStatus(msg.json());
        assert.equal(decoded._tag, 'Right', JSON.stringify(decoded));
        if (decoded._tag === 'Right') replies.push(decoded.right);
      }
      assert.deepEqual(replies.map((r) => r.replica).sort(), ['pilot-a', 'pilot-b']);
      const row = replies.find((r) => r.replica === 'pilot-b')?.streams.find((s) => s.node === 'status-client');
      assert.deepEqual(row?.types.map((t) => `${t.type}:${t.status}`), ['LDS:SYNCED', 'RDS:NOT_SENT', 'CDS:NOT_SENT', 'EDS:NOT_SENT']);
    } finally {
      for (const s of stop) s.stop();
    }
  });

  test('xds.keep-while-subscribed: a cluster routes stop using stays in full-state answers until the client lets go of it', async () => {
    await publishedAt(a.instance, await h.log.apply(reviewsRoute(50, 50)));
    const p = probe(a, { node: 'slow-to-let-go', subscribe: { CDS: [cluster('v1'), cluster('v2')] } });
    await p.next((r) => r.type === 'CDS');
    const whole = await h.log.apply(
      resourcesOf(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-route}
spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}
`),
    );
    await publishedAt(a.instance, whole);
    // The client has not seen the new route table yet: it adds the new cluster, still holding the old two.
    p.subscribe('CDS', [cluster('v1'), cluster('v2'), `outbound|9080||${REVIEWS}`]);
    const answer = await p.next((r) => r.type === 'CDS' && p.namesOf(r).includes(`outbound|9080||${REVIEWS}`));
    assert.deepEqual(p.namesOf(answer).sort(), [cluster('v1'), cluster('v2'), `outbound|9080||${REVIEWS}`].sort());
    p.subscribe('CDS', [`outbound|9080||${REVIEWS}`]);
    const after = await p.next((r) => r.type === 'CDS' && p.namesOf(r).length === 1);
    assert.deepEqual(p.namesOf(after), [`outbound|9080||${REVIEWS}`]);
    await eventually(() => (typeStatus(a, 'slow-to-let-go', 'CDS')?.status === 'SYNCED' ? true : undefined), 'synced');
  });

  test('xds.metrics: pushes by type and reason, connected proxies and convergence from publish to ACK', async () => {
    const p = probe(a, { node: 'metered', subscribe: { RDS: [`${REVIEWS}:9080`] } });
    await p.next((r) => r.type === 'RDS');
    const change = await h.log.apply(reviewsRoute(80, 20));
    await p.next((r) => r.type === 'RDS' && configOf(r) >= change);
    const text = await eventually(async () => {
      const t = await a.instance.registry.metrics();
      return /jetmesh_convergence_seconds_count\{type="RDS"\} [1-9]/.test(t) ? t : undefined;
    }, 'convergence observed');
    assert.match(text, /jetmesh_xds_pushes_total\{type="RDS",reason="change"\} [1-9]/);
    assert.match(text, /jetmesh_xds_pushes_total\{type="LDS",reason="subscribe"\} [1-9]/);
    assert.match(text, /jetmesh_xds_connected_proxies\{protocol="sotw"\} [1-9]/);
    assert.match(text, /pilot_xds_resources\{type="LDS"\} 2/);
  });
});
