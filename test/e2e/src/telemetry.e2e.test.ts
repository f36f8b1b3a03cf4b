import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ISTIO_DURATION_BUCKETS_MS, histogramQuantile, type TopRow } from '@jetmesh/model';
import { type EchoApp, type MeshProcesses, type ProxyProcess, type TelemetryProcess, cliEntry, eventually, launchProcess, repoRoot, startMeshProcesses, startTelemetryProcess } from '@jetmesh/testing';
import { callMany, countBy, ProxyMesh, serviceEntry } from './proxy-harness.js';

const REVIEWS = 'reviews.default.svc.cluster.local';
const OK = 40;
const FAILED = 10;

/** One sample line of a /metrics text: its labels and value. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

const samples = (text: string): Sample[] =>
  text.split('\n').flatMap((line) => {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (m === null) return [];
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    return [{ name: m[1] ?? '', labels, value: Number(m[3]) }];
  });

/** What Prometheus' `sum(...)` over every replica's target gives for the samples `where` picks. */
const sumOver = (texts: readonly string[], name: string, where: Record<string, string>): number =>
  texts
    .flatMap(samples)
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);

describe('telemetry: requests through two proxies become Istio metrics on two telemetry replicas, and jetmesh top', () => {
  let mesh: MeshProcesses;
  let dir: string;
  let m: ProxyMesh;
  let productpage: ProxyProcess;
  const replicas: TelemetryProcess[] = [];
  let texts: () => Promise<string[]>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'telemetry-e2e-'));
    // deploy/nats/ users: telemetry consumes and answers as its own user, the CLI asks as admin.
    mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'], natsUsers: true });
    m = new ProxyMesh(mesh, dir);
    await m.apply(`${serviceEntry('productpage')}${serviceEntry('reviews')}
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x-fail: {exact: '1'}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
`);
    productpage = (await m.sidecar('productpage', 'v1')).proxy;
    await m.sidecar('reviews', 'v1');
    ((await m.sidecar('reviews', 'v2')).app as EchoApp).failWith(500);
    await m.until(productpage, 'http://reviews:9080/', (c) => c.status === 200, 'reviews v1 routed');
    await m.until(productpage, 'http://reviews:9080/', (c) => c.status === 500, 'reviews v2 routed', { headers: { 'x-fail': '1' } });
    // The warm-up's windows go out within a second, to no one (core NATS): telemetry starts after them, so it sees only the driven traffic.
    await sleep(2_500);
    replicas.push(await startTelemetryProcess(mesh, { replica: 'telemetry-a' }), await startTelemetryProcess(mesh, { replica: 'telemetry-b' }));
    texts = () => Promise.all(replicas.map(async (r) => (await fetch(`${r.metricsUrl}/metrics`)).text()));
  });
  after(async () => {
    for (const r of replicas) await r.stop();
    await m?.stop();
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('istio_requests_total summed over both replicas is exactly the requests driven, per code and reporter, with Istio labels; nothing is counted twice', async () => {
    const ok = await callMany(productpage, 'http://reviews:9080/reviews/1', OK, 4);
    const failed = await callMany(productpage, 'http://reviews:9080/reviews/1', FAILED, 2, { headers: { 'x-fail': '1' } });
    assert.deepEqual(countBy([...ok, ...failed], (c) => String(c.status)), { '200': OK, '500': FAILED });
    const count = async (reporter: string, code: string) => sumOver(await texts(), 'istio_requests_total', { reporter, destination_service: REVIEWS, response_code: code });
    const all = async () => [await count('source', '200'), await count('source', '500'), await count('destination', '200'), await count('destination', '500')];
    await eventually(async () => ((await all()).join() === [OK, FAILED, OK, FAILED].join() ? true : undefined), 'both reporters of every request at telemetry', 10_000).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${(await all()).join(', ')}`);
    });
    await sleep(1_500);
    assert.deepEqual(await all(), [OK, FAILED, OK, FAILED], 'still exactly that a report interval later');

    const [source] = (await texts()).flatMap(samples).filter((s) => s.name === 'istio_requests_total' && s.labels.reporter === 'source' && s.labels.response_code === '200');
    assert.deepEqual(
      { ...source?.labels },
      {
        reporter: 'source', source_workload: productpage.name, source_workload_namespace: 'default', source_principal: 'spiffe://cluster.local/ns/default/sa/productpage',
        source_app: 'productpage', source_version: 'v1', source_canonical_service: 'productpage', destination_workload: source?.labels.destination_workload,
        destination_workload_namespace: 'default', destination_principal: 'spiffe://cluster.local/ns/default/sa/reviews', destination_app: 'reviews', destination_version: 'v1',
        destination_service: REVIEWS, destination_service_name: 'reviews', destination_service_namespace: 'default', destination_canonical_service: 'reviews',
        request_protocol: 'http', response_code: '200', grpc_response_status: 'unknown', response_flags: '-', connection_security_policy: 'unknown',
      },
    );
    const destination500 = sumOver(await texts(), 'istio_requests_total', { reporter: 'destination', response_code: '500', destination_version: 'v2', connection_security_policy: 'mutual_tls', source_workload: productpage.name });
    assert.equal(destination500, FAILED);
    // Every request is in the duration histogram once: +Inf bucket and _count equal the requests.
    for (const reporter of ['source', 'destination']) {
      assert.equal(sumOver(await texts(), 'istio_request_duration_milliseconds_count', { reporter, destination_service: REVIEWS }), OK + FAILED);
      assert.equal(sumOver(await texts(), 'istio_request_duration_milliseconds_bucket', { reporter, destination_service: REVIEWS, le: '+Inf' }), OK + FAILED);
      assert.equal(sumOver(await texts(), 'istio_response_bytes_count', { reporter, destination_service: REVIEWS }), OK + FAILED);
    }
    for (const r of replicas) {
      const own = await (await fetch(`${r.adminUrl}/metrics`)).text();
      assert.match(own, /jetmesh_telemetry_rejected_total\{reason="invalid",service="telemetry"\} 0/, `${r.replica} rejected nothing`);
    }
  });

  it('jetmesh top: the driven traffic by the numbers (requests, RPS over the minute, 80% success), quantiles as histogram_quantile over the summed buckets; a table, and --watch redraws it', async () => {
    const top = await mesh.cli(['top', '-n', 'default', '-o', 'json']);
    assert.equal(top.code, 0, top.stderr);
    const answer = JSON.parse(top.stdout) as { windowSeconds: number; replicas: string[]; rows: TopRow[] };
    assert.deepEqual(answer.replicas, ['telemetry-a', 'telemetry-b']);
    assert.equal(answer.rows.length, 1, JSON.stringify(answer.rows));
    const row = answer.rows[0]!;
    assert.deepEqual(
      { service: row.service, reporter: row.reporter, requests: row.requests, rps: row.rps, successRate: row.successRate },
      { service: REVIEWS, reporter: 'destination', requests: OK + FAILED, rps: (OK + FAILED) / 60, successRate: OK / (OK + FAILED) },
    );
    // What histogram_quantile(0.95, sum by (le) (istio_request_duration_milliseconds_bucket{reporter="destination",destination_service=REVIEWS})) gives.
    const all = await texts();
    const cumulative = [...ISTIO_DURATION_BUCKETS_MS.map(String), '+Inf'].map((le) => sumOver(all, 'istio_request_duration_milliseconds_bucket', { reporter: 'destination', destination_service: REVIEWS, le }));
    const perBucket = cumulative.map((c, i) => c - (cumulative[i - 1] ?? 0));
    for (const [q, got] of [[0.5, row.p50Ms], [0.95, row.p95Ms], [0.99, row.p99Ms]] as const) assert.equal(got, histogramQuantile(q, ISTIO_DURATION_BUCKETS_MS, perBucket), `p${q * 100}`);
    assert.ok(row.p50Ms > 0 && row.p50Ms <= row.p95Ms && row.p95Ms <= row.p99Ms);

    const table = await mesh.cli(['top']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAMESPACE\s+SERVICE\s+RPS\s+SUCCESS\s+P50\s+P95\s+P99\s+REQUESTS$/);
    assert.match(lines[1] ?? '', new RegExp(`^default\\s+${REVIEWS.replaceAll('.', '\\.')}\\s+0\\.83\\s+80\\.00%\\s+\\S+ms\\s+\\S+ms\\s+\\S+ms\\s+50$`));
    assert.match(table.stderr, /last 60s, 2 telemetry replicas: telemetry-a, telemetry-b/);

    const watch = launchProcess(process.execPath, [cliEntry, 'top', '--watch', '--interval', '200'], { name: 'jetmesh top --watch', env: mesh.env, cwd: repoRoot });
    try {
      await eventually(async () => ((watch.output().match(/^NAMESPACE/gm)?.length ?? 0) >= 2 ? true : undefined), 'two rounds of --watch', 10_000);
    } finally {
      assert.equal(await watch.stop('SIGINT'), 0, watch.output());
    }
  });
});
