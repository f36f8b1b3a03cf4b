import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ForwardingReply,
  type MeshProcesses,
  type OtlpReceiver,
  type OtlpSpan,
  type ProxyProcess,
  type TelemetryProcess,
  type TraceForwardingApp,
  eventually,
  startMeshProcesses,
  startOtlpReceiver,
  startTelemetryProcess,
  startTraceForwardingApp,
} from '@jetmesh/testing';
import { ProxyMesh, serviceEntry } from './proxy-harness.js';

const SERVER = 2;
const CLIENT = 3;

/** A plaintext request straight to a sidecar's inbound port (PERMISSIVE), as an ingress in front of productpage would send it. */
function callInbound(proxy: ProxyProcess, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxy.inboundPort, path, headers: { host: 'productpage:9080', ...headers }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('tracing: productpage → reviews → ratings through three sidecars arrives at an OTLP receiver as one linked trace (control plane, proxies, telemetry and apps as processes; deploy/nats users)', () => {
  let mesh: MeshProcesses;
  let dir: string;
  let m: ProxyMesh;
  let receiver: OtlpReceiver;
  let telemetry: TelemetryProcess;
  let productpage: ProxyProcess;
  const apps: TraceForwardingApp[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tracing-e2e-'));
    receiver = await startOtlpReceiver();
    mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'], natsUsers: true });
    telemetry = await startTelemetryProcess(mesh, { env: { JETMESH_TELEMETRY_OTLP_URL: receiver.url } });
    m = new ProxyMesh(mesh, dir);
    await m.apply(`${serviceEntry('productpage')}${serviceEntry('reviews')}${serviceEntry('ratings')}`);
    // Sampling 0: only the request that asks to be sampled makes spans, so every span the receiver gets is the test's trace.
    const env = { JETMESH_PROXY_TRACE_SAMPLING: '0' };
    await m.sidecar('ratings', 'v1', { env });
    const reviewsApp = await startTraceForwardingApp('reviews', 'v2', 'http://ratings:9080/ratings/0');
    apps.push(reviewsApp);
    reviewsApp.sendThrough((await m.sidecar('reviews', 'v2', { env, app: reviewsApp })).proxy.outboundPort);
    const productpageApp = await startTraceForwardingApp('productpage', 'v1', 'http://reviews:9080/reviews/0');
    apps.push(productpageApp);
    productpage = (await m.sidecar('productpage', 'v1', { env, app: productpageApp })).proxy;
    productpageApp.sendThrough(productpage.outboundPort);
    // The whole chain answers (each app returns its next hop's status) before the traced request goes.
    await eventually(async () => ((await callInbound(productpage, '/productpage', {}).catch(() => undefined))?.status === 200 ? true : undefined), 'productpage → reviews → ratings answering', 20_000);
  });
  after(async () => {
    await m?.stop();
    for (const a of apps) await a.close();
    await telemetry?.stop();
    await mesh?.stop();
    await receiver?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('one trace id; a server and a client span per hop from productpage, reviews and ratings; each parent a span of the trace, linked in call order', async () => {
    const traceId = randomBytes(16).toString('hex');
    const edgeSpan = randomBytes(8).toString('hex');
    const r = await callInbound(productpage, '/productpage', { traceparent: `00-${traceId}-${edgeSpan}-01` });
    assert.equal(r.status, 200, r.body);
    const reply = JSON.parse(r.body) as ForwardingReply;
    const reviewsReply = reply.next.body as ForwardingReply;
    assert.equal(reviewsReply.service, 'reviews');
    assert.match(reviewsReply.traceHeaders.traceparent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'reviews received the trace productpage forwarded');

    // productpage: server + client; reviews: server + client; ratings: server.
    await eventually(async () => (receiver.spans().length >= 5 ? true : undefined), 'five spans at the receiver', 20_000).catch((e: Error) => {
      throw new Error(`${e.message}: got ${JSON.stringify(receiver.spans().map((s) => [s.service, s.kind, s.name]))}\n${telemetry.child.output().slice(-2000)}`);
    });
    const spans = receiver.spans();
    assert.deepEqual([...new Set(spans.map((s) => s.traceId))], [traceId], 'one trace id');
    assert.deepEqual(spans.map((s) => `${s.service} ${s.kind === SERVER ? 'server' : s.kind === CLIENT ? 'client' : s.kind}`).sort(), [
      'productpage.default client',
      'productpage.default server',
      'ratings.default server',
      'reviews.default client',
      'reviews.default server',
    ]);
    const ids = new Set(spans.map((s) => s.spanId));
    assert.equal(ids.size, 5, 'every span has its own id');
    const span = (service: string, kind: number): OtlpSpan => {
      const found = spans.find((s) => s.service === service && s.kind === kind);
      assert.ok(found !== undefined, `${service} ${kind}`);
      return found;
    };
    const ppServer = span('productpage.default', SERVER);
    const ppClient = span('productpage.default', CLIENT);
    const rvServer = span('reviews.default', SERVER);
    const rvClient = span('reviews.default', CLIENT);
    const raServer = span('ratings.default', SERVER);
    assert.equal(ppServer.parentSpanId, edgeSpan, 'the first span is a child of the caller that started the trace');
    for (const child of [ppClient, rvServer, rvClient, raServer]) assert.ok(ids.has(child.parentSpanId ?? ''), `${child.name}'s parent is a span of the trace`);
    assert.deepEqual(
      [ppClient.parentSpanId, rvServer.parentSpanId, rvClient.parentSpanId, raServer.parentSpanId],
      [ppServer.spanId, ppClient.spanId, rvServer.spanId, rvClient.spanId],
      'productpage server → productpage client → reviews server → reviews client → ratings server',
    );
    assert.equal(ppClient.name, 'reviews.default.svc.cluster.local:9080/*');
    assert.equal(rvClient.name, 'ratings.default.svc.cluster.local:9080/*');
  });
});
