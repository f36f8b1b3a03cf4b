import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter } from 'prom-client';
import { createLogger } from '@jetmesh/log';
import { createMetricsRegistry, serveAdmin } from '../src/index.js';

const log = createLogger('admin-test', 'silent');

test('admin.endpoints: healthz, readyz flipping from 503 to 200, metrics, 404', async (t) => {
  let caughtUp = false;
  const registry = createMetricsRegistry('galley');
  new Counter({ name: 'jetmesh_applies_total', help: 'applies', registers: [registry] }).inc(3);
  const admin = await serveAdmin(
    { port: 0, registry, ready: () => (caughtUp ? { ready: true } : { ready: false, reason: 'replaying MESH_CONFIG' }) },
    log,
  );
  t.after(() => admin.close());
  const base = `http://127.0.0.1:${admin.port}`;

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.equal((await health.text()).trim(), 'ok');

  const notReady = await fetch(`${base}/readyz`);
  assert.equal(notReady.status, 503);
  assert.match(await notReady.text(), /replaying MESH_CONFIG/);

  caughtUp = true;
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal((await ready.text()).trim(), 'ready');

  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
  const body = await metrics.text();
  assert.match(body, /jetmesh_applies_total\{service="galley"\} 3/);
  assert.match(body, /process_cpu_user_seconds_total\{service="galley"\}/);

  assert.equal((await fetch(`${base}/nope`)).status, 404);
});

test('admin.close: close() resolves even with a keep-alive client connected', async () => {
  const admin = await serveAdmin({ port: 0, registry: createMetricsRegistry('pilot'), ready: () => ({ ready: true }) }, log);
  await fetch(`http://127.0.0.1:${admin.port}/healthz`, { keepalive: true }).then((r) => r.text());
  await admin.close();
  await assert.rejects(fetch(`http://127.0.0.1:${admin.port}/healthz`));
});
