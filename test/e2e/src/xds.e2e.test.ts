import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '@jetmesh/testing';
import type { PilotProxyStatus, XdsTypeStatus } from '@jetmesh/model';
import { startXdsMesh, type CallRecord, type XdsMesh } from './fixtures/xds-mesh.js';

/*
 * Real processes end to end: NATS, galley, two pilot replicas, gRPC backends as WorkloadEntries
 * and a @grpc/grpc-js-xds client process that dials xds:/// targets. Everything a user sees:
 * which backend answered, the status code, `jetmesh proxy-status`.
 */

const REVIEWS = 'xds:///reviews.default.svc.cluster.local:9080';
const REVIEWS_SHORT = 'xds:///reviews:9080';
const FLAKY = 'xds:///flaky:9080';
const NODE = 'reviews-client';
const UNAVAILABLE = 'error:14';
const DEADLINE_EXCEEDED = 'error:4';

const services = (ports: ReadonlyMap<string, number>) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews}
spec:
  hosts: [reviews]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  workloadSelector: {labels: {app: reviews}}
${['v1', 'v2', 'v3']
  .map(
    (v) => `---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-${v}}
spec: {address: 127.0.0.1, ports: {grpc: ${ports.get(v)}}, labels: {app: reviews, version: ${v}}}`,
  )
  .join('\n')}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: flaky}
spec:
  hosts: [flaky]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  workloadSelector: {labels: {app: flaky}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: flaky}
spec: {address: 127.0.0.1, ports: {grpc: ${ports.get('flaky')}}, labels: {app: flaky}}
`;

const destinationRule = (lb = 'ROUND_ROBIN') => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: ${lb}}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
`;

/** Every version behind one cluster, with a traffic policy. */
const wholeService = (trafficPolicy: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: ${trafficPolicy}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
`;

/** Jason to v2, everyone else split; `extra` adds fields to the catch-all rule. */
const reviewsRoute = (weights: Record<string, number>, extra = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
${Object.entries(weights)
  .map(([subset, weight]) => `    - {destination: {host: reviews, subset: ${subset}}, weight: ${weight}}`)
  .join('\n')}
${extra}`;

const flakyRoute = (retries: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: flaky}
spec:
  hosts: [flaky]
  http:
  - route: [{destination: {host: flaky}}]
${retries}`;

const share = (outcomes: Record<string, number>, outcome: string): number => {
  const total = Object.values(outcomes).reduce((s, n) => s + n, 0);
  return (outcomes[outcome] ?? 0) / total;
};

const countOf = (records: readonly CallRecord[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of records) out[r.outcome] = (out[r.outcome] ?? 0) + 1;
  return out;
};

const streamOf = (replies: readonly PilotProxyStatus[], node: string) =>
  replies.flatMap((r) => r.streams.filter((s) => s.node === node).map((s) => ({ replica: r.replica, stream: s })));

const typeOf = (row: { stream: { types: readonly XdsTypeStatus[] } } | undefined, type: string) => row?.stream.types.find((t) => t.type === type);

const versionNumbers = (v: string | undefined): [number, number] => {
  const [c, r] = (v ?? '0.0').split('.').map(Number);
  return [c ?? 0, r ?? 0];
};

describe('xDS: grpc-js-xds clients route as the applied VirtualService and DestinationRule say', () => {
  let x: XdsMesh;

  before(async () => {
    x = await startXdsMesh({
      pilots: 2,
      backends: [{ version: 'v1' }, { version: 'v2' }, { version: 'v3' }, { version: 'flaky', failEvery: 2 }],
      clientNode: NODE,
    });
    await x.apply(`${services(x.backendPorts)}---\n${destinationRule()}---\n${reviewsRoute({ v1: 90, v2: 10 })}`);
  });
  after(async () => {
    await x?.stop();
  });

  /** Calls until the outcome counts satisfy `ok` (pilot may still be pushing the last change). */
  const settled = (params: Parameters<XdsMesh['calls']>[0], ok: (o: Record<string, number>) => boolean, what: string) =>
    eventually(async () => {
      const r = await x.calls(params);
      return ok(r.outcomes) ? r : undefined;
    }, what, 15_000);

  it('xds.split: 2,000 calls without the header land 90/10 on v1/v2 (±3%)', async () => {
    await settled({ target: REVIEWS, n: 20 }, (o) => (o.v1 ?? 0) > 0, 'first routed calls');
    const { outcomes } = await x.calls({ target: REVIEWS, n: 2000, concurrency: 20 });
    assert.equal((outcomes.v1 ?? 0) + (outcomes.v2 ?? 0), 2000, JSON.stringify(outcomes));
    const v2 = share(outcomes, 'v2');
    assert.ok(v2 >= 0.07 && v2 <= 0.13, `v2 got ${(v2 * 100).toFixed(1)}%: ${JSON.stringify(outcomes)}`);
  });

  it('xds.header-match: every call with end-user: jason goes to v2, dialled by short name', async () => {
    const { outcomes } = await x.calls({ target: REVIEWS_SHORT, n: 500, concurrency: 20, header: 'end-user:jason' });
    assert.deepEqual(outcomes, { v2: 500 });
  });

  it('xds.live-change: applying 50/50 while the client runs changes its split; a new route is used within moments of apply returning', async (t) => {
    await x.startRun({ target: REVIEWS });
    await sleep(500);
    const fifty = await x.apply(reviewsRoute({ v1: 50, v2: 50 }));
    await sleep(1500);
    const allV3 = await x.apply(reviewsRoute({ v3: 100 }));
    await sleep(500);
    const allV1 = await x.applyRpc(reviewsRoute({ v1: 100 }));
    await sleep(500);
    const records = await x.stopRun();
    const before = records.filter((r) => r.end < fifty.calledAt);
    // Calls that started a second after apply returned certainly ran on the new table.
    const after50 = records.filter((r) => r.start > fifty.returnedAt + 1000 && r.end < allV3.calledAt);
    assert.ok(before.length > 50 && after50.length > 50, `too few calls: ${before.length} before, ${after50.length} after`);
    const v2Before = share(countOf(before), 'v2');
    const v2After = share(countOf(after50), 'v2');
    assert.ok(v2Before < 0.2, `before the change v2 had ${(v2Before * 100).toFixed(1)}%`);
    assert.ok(v2After > 0.35 && v2After < 0.65, `after 50/50 v2 had ${(v2After * 100).toFixed(1)}%`);
    assert.ok(records.every((r) => !r.outcome.startsWith('error')), `calls failed during the changes: ${JSON.stringify(countOf(records))}`);
    const firstV3 = records.find((r) => r.outcome === 'v3');
    const firstV1 = records.find((r) => r.outcome === 'v1' && r.start > allV1.calledAt);
    assert.ok(firstV3 !== undefined && firstV1 !== undefined, 'a new route was never used');
    // The CLI's own start and exit take longer than the push: the client can be on the new route before it returns.
    t.diagnostic(`jetmesh apply returned → first call answered on the new route: ${(firstV3.end - allV3.returnedAt).toFixed(1)} ms (jetmesh apply started → that call: ${(firstV3.end - allV3.calledAt).toFixed(1)} ms)`);
    t.diagnostic(`Apply RPC returned → first call answered on the new route: ${(firstV1.end - allV1.returnedAt).toFixed(1)} ms (Apply RPC called → that call: ${(firstV1.end - allV1.calledAt).toFixed(1)} ms)`);
    assert.ok(firstV3.end - allV3.returnedAt < 1000, `the new route took ${(firstV3.end - allV3.returnedAt).toFixed(0)} ms after apply returned`);
    assert.ok(firstV1.end - allV1.returnedAt < 1000, `the new route took ${(firstV1.end - allV1.returnedAt).toFixed(0)} ms after the Apply RPC returned`);
  });

  it('xds.fault-abort: an abort at 50% fails about half the calls with the configured status', async () => {
    await x.apply(reviewsRoute({ v1: 100 }, '    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 50}}}\n'));
    const { outcomes } = await settled({ target: REVIEWS, n: 100, concurrency: 20 }, (o) => (o[UNAVAILABLE] ?? 0) > 10, 'aborts to start');
    assert.deepEqual(Object.keys(outcomes).sort(), [UNAVAILABLE, 'v1'].sort());
    const big = await x.calls({ target: REVIEWS, n: 1000, concurrency: 20 });
    const failed = share(big.outcomes, UNAVAILABLE);
    assert.ok(failed > 0.42 && failed < 0.58, `${(failed * 100).toFixed(1)}% failed: ${JSON.stringify(big.outcomes)}`);
  });

  it('xds.fault-delay: a fixed delay holds every call that long', async () => {
    await x.apply(reviewsRoute({ v1: 100 }, '    fault: {delay: {fixedDelay: 300ms, percentage: {value: 100}}}\n'));
    const { durationsMs } = await settled({ target: REVIEWS, n: 5, concurrency: 5 }, () => true, 'delayed calls').then(async () =>
      eventually(async () => {
        const r = await x.calls({ target: REVIEWS, n: 5, concurrency: 5 });
        return r.durationsMs.every((d) => d >= 300) ? r : undefined;
      }, 'every call delayed', 15_000),
    );
    assert.ok(durationsMs.every((d) => d >= 300 && d < 2000), durationsMs.join());
  });

  it('xds.timeout: the route timeout ends a slow call with DEADLINE_EXCEEDED', async () => {
    await x.apply(reviewsRoute({ v1: 100 }, '    timeout: 200ms\n'));
    const r = await settled({ target: REVIEWS, n: 3, sleepMs: 1500 }, (o) => (o[DEADLINE_EXCEEDED] ?? 0) === 3, 'route timeout');
    assert.ok(r.durationsMs.every((d) => d >= 190 && d < 1000), `durations ${r.durationsMs.join()}`);
    const fast = await x.calls({ target: REVIEWS, n: 20 });
    assert.deepEqual(fast.outcomes, { v1: 20 });
  });

  it('xds.retry: a retry policy turns a flaky backend\'s failures into successes', async () => {
    await x.apply(flakyRoute(''));
    const without = await settled({ target: FLAKY, n: 100, concurrency: 1 }, (o) => (o.flaky ?? 0) > 0, 'flaky routed');
    assert.ok(share(without.outcomes, UNAVAILABLE) > 0.4, JSON.stringify(without.outcomes));
    await x.apply(flakyRoute('    retries: {attempts: 3, retryOn: unavailable}\n'));
    const withRetries = await settled({ target: FLAKY, n: 100, concurrency: 1 }, (o) => o.flaky === 100, 'retries to take effect');
    assert.deepEqual(withRetries.outcomes, { flaky: 100 });
  });

  it('xds.consistent-hash: a ring hash on a header keeps each user on one backend', async () => {
    await x.apply(wholeService('{loadBalancer: {consistentHash: {httpHeaderName: x-user}}}'));
    await settled({ target: REVIEWS, n: 60, concurrency: 10 }, (o) => Object.keys(o).length >= 2, 'calls spread over the versions');
    for (const user of ['alice', 'bob', 'carol', 'dave']) {
      const { outcomes } = await x.calls({ target: REVIEWS, n: 40, concurrency: 10, header: `x-user:${user}` });
      assert.equal(Object.keys(outcomes).length, 1, `${user} was spread: ${JSON.stringify(outcomes)}`);
      assert.match(Object.keys(outcomes)[0] ?? '', /^v[123]$/);
    }
  });

  it('xds.circuit-breaker: http2MaxRequests caps concurrent calls; the rest fail fast', async () => {
    await x.apply(wholeService('{connectionPool: {http: {http2MaxRequests: 2}}}'));
    const { outcomes } = await settled({ target: REVIEWS, n: 60, concurrency: 20 }, (o) => (o[UNAVAILABLE] ?? 0) > 0, 'calls over the limit refused');
    const served = 60 - (outcomes[UNAVAILABLE] ?? 0);
    assert.ok(served >= 2 && served < 60, JSON.stringify(outcomes));
  });

  it('xds.nack: a cluster the client cannot use is NACKed, proxy-status shows it, and routing goes on', async () => {
    await x.apply(`${destinationRule()}---\n${reviewsRoute({ v1: 50, v2: 50 })}`);
    await settled({ target: REVIEWS, n: 100, concurrency: 20 }, (o) => (o.v2 ?? 0) > 20 && (o.v1 ?? 0) > 20, '50/50 split');
    const bad = await x.apply(destinationRule('RANDOM'));
    try {
      const nacked = await eventually(async () => {
        const cds = typeOf(streamOf(await x.proxyStatus(), NODE)[0], 'CDS');
        return cds?.status === 'NACKED' ? cds : undefined;
      }, 'CDS NACKED in proxy-status', 15_000);
      assert.match(nacked.error ?? '', /unsupported lb_policy: RANDOM/);
      assert.equal(versionNumbers(nacked.rejected)[0], bad.seq);
      const table = await x.mesh.cli(['proxy-status']);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, new RegExp(`^${NODE}\\s+pilot-[ab]\\s+sotw\\s+SYNCED \\S+\\s+SYNCED \\S+\\s+NACKED \\S+ \\(latest ${bad.seq}\\.0\\)\\s+SYNCED`, 'm'));
      assert.match(table.stdout, new RegExp(`${NODE} CDS rejected ${bad.seq}\\.0: .*unsupported lb_policy: RANDOM`));
      const { outcomes } = await x.calls({ target: REVIEWS, n: 200, concurrency: 20 });
      assert.ok((outcomes.v1 ?? 0) > 40 && (outcomes.v2 ?? 0) > 40 && (outcomes.v1 ?? 0) + (outcomes.v2 ?? 0) === 200, JSON.stringify(outcomes));
      const replica = streamOf(await x.proxyStatus(), NODE)[0]?.replica;
      const metrics = await (await fetch(`http://127.0.0.1:${x.pilots.find((p) => p.name === replica)?.adminPort}/metrics`)).text();
      const metric = (name: string, labels: string) => new RegExp(`^${name}\\{${labels.split(',').map((l) => `(?=[^}]*${l})`).join('')}[^}]*\\} ([0-9.e+-]+)$`, 'm');
      assert.match(metrics, metric('pilot_xds_rejects_total', 'type="CDS"'));
      assert.equal(metric('jetmesh_xds_connected_proxies', 'protocol="sotw"').exec(metrics)?.[1], '1');
      assert.notEqual(metric('jetmesh_convergence_seconds_count', 'type="RDS"').exec(metrics)?.[1] ?? '0', '0');
      assert.notEqual(metric('jetmesh_xds_pushes_total', 'type="RDS",reason="change"').exec(metrics)?.[1] ?? '0', '0');
    } finally {
      // Later tests need a cluster the client accepts, whatever happened above.
      await x.apply(destinationRule());
    }
    await eventually(async () => {
      const cds = typeOf(streamOf(await x.proxyStatus(), NODE)[0], 'CDS');
      return cds?.status === 'SYNCED' && versionNumbers(cds.acked)[0] > bad.seq ? true : undefined;
    }, 'CDS SYNCED again', 15_000);
  });

  it('xds.failover: killing the pilot the client uses moves it to the other replica, routing on with versions that never go back', async () => {
    const before = streamOf(await x.proxyStatus(), NODE);
    assert.equal(before.length, 1, JSON.stringify(before));
    const from = before[0];
    // The client's xDS channel picks one of the two pilots; the other is the one it must move to.
    const serving = x.pilots.find((p) => p.name === from?.replica);
    const other = x.pilots.find((p) => p !== serving);
    assert.ok(serving !== undefined && other !== undefined, `client on ${from?.replica}`);
    await x.startRun({ target: REVIEWS });
    await sleep(300);
    await serving.child.stop('SIGKILL');
    const moved = await eventually(async () => {
      const rows = streamOf(await x.proxyStatus(), NODE);
      const row = rows.find((r) => r.replica === other.name);
      return row !== undefined && row.stream.types.every((t) => t.status === 'SYNCED') ? row : undefined;
    }, `client synced on ${other.name}`, 20_000);
    for (const type of ['LDS', 'RDS', 'CDS', 'EDS']) {
      const [c0, r0] = versionNumbers(typeOf(from, type)?.acked);
      const [c1, r1] = versionNumbers(typeOf(moved, type)?.acked);
      assert.ok(c1 >= c0 && r1 >= r0, `${type} went from ${c0}.${r0} to ${c1}.${r1}`);
    }
    const change = await x.apply(reviewsRoute({ v3: 100 }));
    await sleep(1000);
    const records = await x.stopRun();
    assert.ok(records.every((r) => !r.outcome.startsWith('error')), `calls failed across the failover: ${JSON.stringify(countOf(records))}`);
    const after = records.filter((r) => r.start > change.returnedAt + 500);
    assert.ok(after.length > 0 && after.every((r) => r.outcome === 'v3'), `after the change on ${other.name}: ${JSON.stringify(countOf(after))}`);
  });
});
