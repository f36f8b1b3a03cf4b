import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectBus, Subjects, type Bus } from '@jetmesh/bus';
import { decodeTopShare, encodeCompactTelemetryReport, mergeTopShares, topRows, type TelemetryReport, type TopShare } from '@jetmesh/model';
import { buildTelemetryReport, eventually, startNatsServer, type NatsServerHandle, type TestRequest } from '@jetmesh/testing';
import { labelOf, log, requestsTotal, startReplica, type TelemetryReplica } from './telemetry-harness.js';

const dest = (code: string, service = 'reviews'): TestRequest['labels'] => ({
  reporter: 'destination',
  source_workload: 'productpage-v1',
  destination_workload: `${service}-v1`,
  destination_service: `${service}.default.svc.cluster.local`,
  destination_service_name: service,
  destination_service_namespace: 'default',
  response_code: code,
});

/** `n` requests answered `code` by `service`, each taking `ms`. */
const requests = (n: number, code: string, ms: number, service = 'reviews'): TestRequest[] => Array.from({ length: n }, () => ({ labels: dest(code, service), durationMs: ms, requestBytes: 0, responseBytes: 100 }));

/** Format 2, as proxies send; `format1` (one JSON object, named labels) is what proxies before it sent. */
const publish = async (bus: Bus, reports: readonly TelemetryReport[], encode: (r: TelemetryReport) => string = encodeCompactTelemetryReport): Promise<void> => {
  for (const r of reports) bus.nc.publish(Subjects.telemetry(r.workload.namespace, r.workload.name), encode(r));
  await bus.nc.flush();
};

const sumRequests = (text: string, where: (labels: string) => boolean = () => true): number => [...requestsTotal(text)].filter(([l]) => where(l)).reduce((n, [, v]) => n + v, 0);

describe('telemetry over nats-server', () => {
  let nats: NatsServerHandle;
  let proxy: Bus;
  before(async () => {
    nats = await startNatsServer();
    proxy = await connectBus(nats.url, log, { name: 'a proxy' });
  });
  after(async () => {
    await proxy?.close();
    await nats?.dispose();
  });

  it('one replica: /metrics shows exactly the published requests and labels (format 2, and format 1 from proxies not yet upgraded); a redelivered report, malformed ones and an unknown format leave them unchanged and raise the rejected counter', async () => {
    const replica = await startReplica(nats.url, 'solo');
    try {
      const now = Date.now();
      const first = buildTelemetryReport({ id: 'solo-1', startMs: now - 1000, endMs: now, requests: [...requests(7, '200', 3), ...requests(2, '503', 40)], overflowRequests: 5 });
      const second = buildTelemetryReport({ id: 'solo-2', startMs: now, endMs: now + 1000, requests: requests(4, '200', 3) });
      await publish(proxy, [first]);
      await publish(proxy, [second], (r) => JSON.stringify(r));
      await eventually(async () => ((await replica.own('jetmesh_telemetry_reports_total')) === 2 ? true : undefined), 'both reports folded');
      const text = await replica.istioMetrics();
      const byCode = (code: string) => sumRequests(text, (l) => labelOf(l, 'response_code') === code);
      assert.deepEqual([byCode('200'), byCode('503')], [11, 2]);
      const ok = [...requestsTotal(text)].find(([l]) => labelOf(l, 'response_code') === '200')?.[0] ?? '';
      assert.equal(labelOf(ok, 'destination_service'), 'reviews.default.svc.cluster.local');
      assert.equal(labelOf(ok, 'source_principal'), 'unknown');
      assert.match(text, /istio_request_duration_milliseconds_bucket\{[^}]*response_code="503"[^}]*le="25"\} 0\n/);
      assert.match(text, /istio_request_duration_milliseconds_bucket\{[^}]*response_code="503"[^}]*le="50"\} 2\n/);
      assert.equal(await replica.own('jetmesh_telemetry_overflow_requests_total', { stage: 'proxy' }), 5);

      // The proxy resends what it could not confirm; a broken one sends junk.
      const wrongCounts = { ...second, id: 'solo-3', series: [{ ...second.series[0]!, requests: 9 }] };
      proxy.nc.publish(Subjects.telemetry('default', 'productpage-v1'), JSON.stringify(first));
      proxy.nc.publish(Subjects.telemetry('default', 'productpage-v1'), encodeCompactTelemetryReport(second));
      proxy.nc.publish(Subjects.telemetry('default', 'productpage-v1'), 'not json at all');
      proxy.nc.publish(Subjects.telemetry('default', 'productpage-v1'), JSON.stringify({ ...JSON.parse(encodeCompactTelemetryReport({ ...second, id: 'solo-5' })), format: 3 }));
      proxy.nc.publish(Subjects.telemetry('default', 'productpage-v1'), JSON.stringify({ ...second, id: 'solo-4', window: { start: 'yesterday', end: second.window.end } }));
      proxy.nc.publish(Subjects.telemetry('default', 'productpage-v1'), JSON.stringify(wrongCounts));
      await proxy.nc.flush();
      const rejected = async () => Object.fromEntries(await Promise.all(['duplicate', 'not_json', 'invalid', 'unsupported_format', 'inconsistent'].map(async (reason) => [reason, await replica.own('jetmesh_telemetry_rejected_total', { reason })])));
      await eventually(async () => ((await replica.own('jetmesh_telemetry_rejected_total', { reason: 'inconsistent' })) === 1 ? true : undefined), 'the rejections counted');
      assert.deepEqual(await rejected(), { duplicate: 2, not_json: 1, invalid: 1, unsupported_format: 1, inconsistent: 1 });
      assert.equal(await replica.istioMetrics(), text, 'Istio metrics unchanged, to the byte');
      assert.equal(await replica.own('jetmesh_telemetry_reports_total'), 2);
    } finally {
      await replica.stop();
    }
  });

  it('two replicas in one queue group: each folds a share, and their /metrics add up to exactly the total; top over NATS merges both answers', async () => {
    const replicas: TelemetryReplica[] = [await startReplica(nats.url, 'replica-a'), await startReplica(nats.url, 'replica-b')];
    try {
      const now = Date.now();
      // 200 reports from 20 workloads: 3 x 200 and 1 x 503 each, on reviews; 1 x 200 on ratings.
      const reports = Array.from({ length: 200 }, (_, i) =>
        buildTelemetryReport({ id: `pair-${i}`, workload: { namespace: 'default', name: `productpage-${i % 20}` }, startMs: now - 1000, endMs: now, requests: [...requests(3, '200', 4), ...requests(1, '503', 20), ...requests(1, '200', 2, 'ratings')] }),
      );
      await publish(proxy, reports);
      const folded = async () => (await Promise.all(replicas.map((r) => r.own('jetmesh_telemetry_reports_total')))).reduce((a, b) => a + b, 0);
      await eventually(async () => ((await folded()) === 200 ? true : undefined), 'all 200 reports folded');
      const shares = await Promise.all(replicas.map((r) => r.own('jetmesh_telemetry_reports_total')));
      assert.ok(shares.every((n) => n > 0), `each replica got a share: ${shares.join(' + ')}`);
      const texts = await Promise.all(replicas.map((r) => r.istioMetrics()));
      // What Prometheus' sum by (destination_service, response_code) (istio_requests_total) gives over both targets.
      const total = (service: string, code: string) => texts.reduce((n, t) => n + sumRequests(t, (l) => labelOf(l, 'destination_service') === `${service}.default.svc.cluster.local` && labelOf(l, 'response_code') === code), 0);
      assert.deepEqual([total('reviews', '200'), total('reviews', '503'), total('ratings', '200')], [600, 200, 200]);

      const answers: TopShare[] = [];
      for await (const msg of await proxy.nc.requestMany(Subjects.telemetryTop, JSON.stringify({ namespace: 'default' }), { strategy: 'timer', maxWait: 300 })) {
        const share = decodeTopShare(msg.json());
        assert.ok(share._tag === 'Right', JSON.stringify(share));
        answers.push(share.right);
      }
      assert.deepEqual(answers.map((a) => a.replica).sort(), ['replica-a', 'replica-b']);
      const rows = topRows(mergeTopShares(answers), 60);
      assert.deepEqual(
        rows.map((r) => [r.service, r.requests, r.rps, r.successRate]),
        [
          ['ratings.default.svc.cluster.local', 200, 200 / 60, 1],
          ['reviews.default.svc.cluster.local', 800, 800 / 60, 0.75],
        ],
      );
      // 600 of 800 in (1, 5] and 200 in (10, 25]: the median interpolates inside (1, 5].
      assert.equal(rows[1]?.p50Ms, 1 + 4 * (400 / 600));
      const http = (await (await fetch(`${replicas[0]!.metricsUrl}/api/v1/top?namespace=default`)).json()) as TopShare & { rows: unknown[] };
      assert.equal(http.replica, 'replica-a');
      assert.equal(http.rows.length, 2, "one replica's own share over HTTP");
      const none = (await (await fetch(`${replicas[0]!.metricsUrl}/api/v1/top?namespace=shop`)).json()) as TopShare;
      assert.deepEqual(none.services, []);
    } finally {
      for (const r of replicas) await r.stop();
    }
  });
});
