import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type EchoApp, type MeshProcesses, type ProxyProcess, eventually, rawExchange, startMeshProcesses } from '@jetmesh/testing';
import { call, callMany, countBy, ProxyMesh, serviceEntry } from './proxy-harness.js';
import { connect } from '@nats-io/transport-node';
import { decodeTelemetryReportWire, type TelemetryReport } from '@jetmesh/model';
import { Subjects } from '@jetmesh/bus';

const reviewsRoute = (v1: number, v2: number): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${v1}}
    - {destination: {host: reviews, subset: v2}, weight: ${v2}}
`;

const within = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual.toFixed(3)} not within ${expected} ± ${tolerance}`);

describe('proxy mesh: Bookinfo-like apps behind sidecars (control plane, proxies and apps as processes)', () => {
  let mesh: MeshProcesses;
  let dir: string;
  let m: ProxyMesh;
  let productpage: ProxyProcess;
  let ratings: ProxyProcess;
  let reviewsV1: ProxyProcess;
  let flakyBad: EchoApp;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'proxy-e2e-'));
    mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'] });
    m = new ProxyMesh(mesh, dir);
    await m.apply(`${serviceEntry('productpage')}${serviceEntry('reviews')}${serviceEntry('ratings')}${serviceEntry('flaky')}${serviceEntry('slow')}
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
---
${reviewsRoute(90, 10)}`);
    productpage = (await m.sidecar('productpage', 'v1')).proxy;
    reviewsV1 = (await m.sidecar('reviews', 'v1')).proxy;
    await m.sidecar('reviews', 'v2');
    await m.sidecar('reviews', 'v3');
    ratings = (await m.sidecar('ratings', 'v1')).proxy;
    await m.sidecar('flaky', 'good');
    flakyBad = (await m.sidecar('flaky', 'bad')).app as EchoApp;
    flakyBad.failWith(503);
    await m.sidecar('slow', 'v1').then(({ app }) => (app as EchoApp).delay(400));
  });
  after(async () => {
    await m?.stop();
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('productpage reaches reviews through both proxies over mTLS, with each identity carried', async () => {
    const r = await m.until(productpage, 'http://reviews:9080/reviews/1', (c) => c.status === 200, 'reviews answering');
    assert.equal(r.echo?.service, 'reviews');
    assert.equal(r.echo?.path, '/reviews/1');
    assert.equal(r.echo?.headers['x-forwarded-client-cert'], 'By=spiffe://cluster.local/ns/default/sa/reviews;URI=spiffe://cluster.local/ns/default/sa/productpage');
    assert.equal(r.echo?.headers['x-jetmesh-peer'], undefined, 'the proxies strip their own headers before the app');
  });

  it('the reviews VirtualService over 2,000 requests: jason always v2, everyone else 90/10 within ±3%', async () => {
    const others = await callMany(productpage, 'http://reviews:9080/reviews/1', 2_000, 16);
    assert.deepEqual(countBy(others, (r) => String(r.status)), { '200': 2_000 });
    const byVersion = countBy(others, (r) => r.echo?.version ?? '?');
    within((byVersion.v1 ?? 0) / 2_000, 0.9, 0.03, 'v1 share');
    within((byVersion.v2 ?? 0) / 2_000, 0.1, 0.03, 'v2 share');
    assert.equal(byVersion.v3, undefined, 'v3 gets nothing');
    const jason = await callMany(productpage, 'http://reviews:9080/reviews/1', 200, 8, { headers: { 'end-user': 'jason' } });
    assert.deepEqual(countBy(jason, (r) => `${r.status} ${r.echo?.version}`), { '200 v2': 200 });
  });

  it('a weight change mid-traffic takes effect with no failed request', async () => {
    let stop = false;
    const during: Promise<number[]> = (async () => {
      const statuses: number[] = [];
      while (!stop) statuses.push(...(await callMany(productpage, 'http://reviews:9080/r', 20, 4)).map((r) => r.status));
      return statuses;
    })();
    await new Promise((r) => setTimeout(r, 300));
    await m.apply(reviewsRoute(0, 100));
    await m.until(productpage, 'http://reviews:9080/r', (c) => c.echo?.version === 'v2', 'the new weights');
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    const statuses = await during;
    assert.ok(statuses.length > 50, `only ${statuses.length} requests ran`);
    assert.deepEqual(countBy(statuses, String), { '200': statuses.length });
    const after = await callMany(productpage, 'http://reviews:9080/r', 200, 8);
    assert.deepEqual(countBy(after, (r) => r.echo?.version ?? '?'), { v2: 200 });
    await m.apply(reviewsRoute(90, 10));
  });

  it('PERMISSIVE accepts plaintext and mTLS; STRICT refuses a plaintext request to the inbound port, mesh traffic still flows', async () => {
    const plain = await fetch(`http://127.0.0.1:${reviewsV1.inboundPort}/direct`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(plain.status, 200, 'PERMISSIVE (the default) serves plaintext');
    await m.apply(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews-strict}
spec:
  selector: {matchLabels: {app: reviews}}
  mtls: {mode: STRICT}
`);
    const refused = await eventually(async () => {
      try {
        await fetch(`http://127.0.0.1:${reviewsV1.inboundPort}/direct`, { signal: AbortSignal.timeout(5_000) });
        return undefined;
      } catch (e) {
        return e as Error;
      }
    }, 'plaintext refused under STRICT');
    assert.match(String((refused as Error & { cause?: { code?: string } }).cause?.code ?? refused.message), /ECONNRESET|UND_ERR_SOCKET|other side closed|fetch failed/);
    const meshCall = await call(productpage, 'http://reviews:9080/strict');
    assert.equal(meshCall.status, 200);
  });

  it('AuthorizationPolicy: only productpage may call reviews (ratings gets 403 RBAC: access denied)', async () => {
    await m.apply(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews-callers}
spec:
  selector: {matchLabels: {app: reviews}}
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/default/sa/productpage]}}]
`);
    const denied = await m.until(ratings, 'http://reviews:9080/reviews/1', (c) => c.status === 403, 'ratings denied');
    assert.equal(denied.body.trim(), 'RBAC: access denied');
    const allowed = await call(productpage, 'http://reviews:9080/reviews/1');
    assert.equal(allowed.status, 200);
  });

  it('telemetry: both proxies report each request once a second with Istio labels on mesh.telemetry.<ns>.<workload>, and /stats shows istio_requests_total', async () => {
    const nc = await connect({ servers: mesh.nats.url });
    try {
      const reports: TelemetryReport[] = [];
      const sub = nc.subscribe(Subjects.telemetryAll, { callback: (_e, msg) => {
        const r = decodeTelemetryReportWire(msg.json());
        assert.ok(r._tag === 'Right', JSON.stringify(r));
        reports.push(r.right);
      } });
      await new Promise((r) => setTimeout(r, 1_100));
      reports.length = 0;
      const marker = `/telemetry/${Date.now()}`;
      const calls = await callMany(productpage, `http://reviews:9080${marker}`, 50, 5, { headers: { 'end-user': 'jason' } });
      assert.deepEqual(countBy(calls, (c) => String(c.status)), { '200': 50 });
      await new Promise((r) => setTimeout(r, 2_200));
      sub.unsubscribe();
      const series = reports.flatMap((r) => r.series).filter((x) => x.labels.destination_service === 'reviews.default.svc.cluster.local' && x.labels.response_code === '200');
      const bySide = (reporter: string) => series.filter((x) => x.labels.reporter === reporter);
      const source = bySide('source');
      const destination = bySide('destination');
      assert.equal(source.reduce((n, x) => n + x.requests, 0), 50);
      assert.equal(destination.reduce((n, x) => n + x.requests, 0), 50);
      assert.deepEqual(
        { ...source[0]?.labels },
        {
          reporter: 'source', source_workload: productpage.name, source_workload_namespace: 'default', source_principal: 'spiffe://cluster.local/ns/default/sa/productpage',
          source_app: 'productpage', source_version: 'v1', source_canonical_service: 'productpage', destination_workload: source[0]?.labels.destination_workload,
          destination_workload_namespace: 'default', destination_principal: 'spiffe://cluster.local/ns/default/sa/reviews', destination_app: 'reviews', destination_version: 'v2',
          destination_service: 'reviews.default.svc.cluster.local', destination_service_name: 'reviews', destination_service_namespace: 'default', destination_canonical_service: 'reviews',
          request_protocol: 'http', response_code: '200', grpc_response_status: 'unknown', response_flags: '-', connection_security_policy: 'unknown',
        },
      );
      assert.match(source[0]?.labels.destination_workload ?? '', /^reviews-v2-\d+$/);
      assert.equal(destination[0]?.labels.connection_security_policy, 'mutual_tls');
      assert.equal(destination[0]?.labels.source_workload, productpage.name);
      assert.equal(destination[0]?.labels.source_principal, 'spiffe://cluster.local/ns/default/sa/productpage');
      const stats = await (await fetch(`http://127.0.0.1:${productpage.adminPort}/stats`)).text();
      assert.match(stats, /istio_requests_total\{[^}]*reporter="source"[^}]*destination_service="reviews\.default\.svc\.cluster\.local"/);
    } finally {
      await nc.close();
    }
  });

  it('no route: an unknown host is 404 with flag NR', async () => {
    const r = await call(productpage, 'http://nowhere:9080/');
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('x-jetmesh-flags'), 'NR');
  });

  it('fault injection: 30% aborts (FI) and a fixed delay, by the numbers', async () => {
    await m.apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-faults}
spec:
  hosts: [ratings]
  http:
  - match: [{uri: {prefix: /delayed}}]
    fault: {delay: {fixedDelay: 200ms, percentage: {value: 100}}}
    route: [{destination: {host: ratings}}]
  - fault: {abort: {httpStatus: 418, percentage: {value: 30}}}
    route: [{destination: {host: ratings}}]
`);
    await m.until(productpage, 'http://ratings:9080/x', (c) => c.status === 418, 'the abort fault');
    const results = await callMany(productpage, 'http://ratings:9080/x', 1_000, 16);
    const aborted = results.filter((r) => r.status === 418);
    assert.ok(aborted.every((r) => r.headers.get('x-jetmesh-flags') === 'FI'));
    assert.equal(aborted.length + results.filter((r) => r.status === 200).length, 1_000);
    within(aborted.length / 1_000, 0.3, 0.05, 'abort share');
    const delayed = await call(productpage, 'http://ratings:9080/delayed');
    assert.equal(delayed.status, 200);
    assert.ok(delayed.ms >= 200, `delayed call took ${delayed.ms} ms`);
  });

  it('retries: with one of two endpoints failing 503, retryOn 5xx makes every request succeed; without retries about half fail', async () => {
    await m.apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: flaky}
spec:
  hosts: [flaky]
  http:
  - route: [{destination: {host: flaky}}]
    retries: {attempts: 0}
`);
    await m.until(productpage, 'http://flaky:9080/', (c) => c.status === 503, 'the failing endpoint answering');
    const without = await callMany(productpage, 'http://flaky:9080/', 400, 8);
    within(without.filter((r) => r.status === 503).length / 400, 0.5, 0.1, 'failure share without retries');
    await m.apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: flaky}
spec:
  hosts: [flaky]
  http:
  - route: [{destination: {host: flaky}}]
    retries: {attempts: 3, retryOn: 5xx, perTryTimeout: 2s}
`);
    await new Promise((r) => setTimeout(r, 500));
    const withRetries = await callMany(productpage, 'http://flaky:9080/', 400, 8);
    assert.deepEqual(countBy(withRetries, (r) => `${r.status} ${r.echo?.version}`), { '200 good': 400 });
  });

  it('timeout: a route timeout of 100 ms answers 504 UT for a 400 ms upstream', async () => {
    await m.apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: slow}
spec:
  hosts: [slow]
  http:
  - route: [{destination: {host: slow}}]
    timeout: 100ms
`);
    const r = await m.until(productpage, 'http://slow:9080/', (c) => c.status === 504, 'the timeout');
    assert.equal(r.headers.get('x-jetmesh-flags'), 'UT');
    assert.ok(r.ms < 390, `answered after ${r.ms} ms`);
  });

  it('outlier detection ejects the failing endpoint: after a few 503s every request reaches the healthy one', async () => {
    await m.apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: flaky}
spec:
  hosts: [flaky]
  http:
  - route: [{destination: {host: flaky}}]
    retries: {attempts: 0}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: flaky}
spec:
  host: flaky
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 50}
`);
    await m.until(productpage, 'http://flaky:9080/', (c) => c.status === 503, 'the failing endpoint answering');
    const warmup = await callMany(productpage, 'http://flaky:9080/', 40, 1);
    const failures = warmup.filter((r) => r.status === 503).length;
    assert.ok(failures >= 1 && failures <= 3, `${failures} failures before the ejection (threshold 3)`);
    const afterEjection = await callMany(productpage, 'http://flaky:9080/', 300, 8);
    assert.deepEqual(countBy(afterEjection, (r) => `${r.status} ${r.echo?.version}`), { '200 good': 300 });
  });

  it('circuit breaker: 1 connection and 1 pending request; 20 concurrent calls to a slow upstream overflow with 503 UO', async () => {
    await m.apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: slow}
spec:
  hosts: [slow]
  http:
  - route: [{destination: {host: slow}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: slow}
spec:
  host: slow
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 1}, http: {http1MaxPendingRequests: 1}}
`);
    await m.until(productpage, 'http://slow:9080/', (c) => c.status === 200, 'slow without the timeout');
    const burst = await Promise.all(Array.from({ length: 20 }, () => call(productpage, 'http://slow:9080/')));
    const overflow = burst.filter((r) => r.status === 503);
    assert.ok(overflow.every((r) => r.headers.get('x-jetmesh-flags') === 'UO'), JSON.stringify(countBy(burst, (r) => `${r.status} ${r.headers.get('x-jetmesh-flags')}`)));
    assert.equal(burst.filter((r) => r.status === 200).length, 2, 'one in flight and one pending succeed');
    assert.equal(overflow.length, 18);
  });

  it('hostile traffic on the outbound and inbound ports: clean 4xx, no crash, other connections unaffected', async () => {
    for (const port of [productpage.outboundPort, ratings.inboundPort]) {
      assert.match(await rawExchange(port, `GET / HTTP/1.1\r\nHost: reviews:9080\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`), /^HTTP\/1\.1 431/);
      assert.match(await rawExchange(port, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/);
      assert.match(await rawExchange(port, 'POST / HTTP/1.1\r\nHost: reviews:9080\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400/);
    }
    const ok = await call(productpage, 'http://reviews:9080/after-hostile');
    assert.equal(ok.status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${productpage.adminPort}/healthz`)).status, 200);
  });
});
