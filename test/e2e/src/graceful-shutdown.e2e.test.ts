import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connectBus, readStream, Streams, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { RegistryEventCodec, type HistoryEntry } from '@jetmesh/model';
import { adsClient, openAdsProbe } from '@jetmesh/pilot';
import { PROXY_STOP_TIMEOUT_MS } from '@jetmesh/proxy';
import { createConfigClient } from '@jetmesh/rpc';
import { SHUTDOWN_STEP_TIMEOUT_MS } from '@jetmesh/runtime';
import { type EchoApp, type MeshProcesses, type ProxyProcess, startMeshProcesses } from '@jetmesh/testing';
import { call, ProxyMesh, serviceEntry } from './proxy-harness.js';

/*
 * Issue 12's graceful-shutdown audit, as a user sees it: SIGTERM to each process while it has work
 * in flight. Every one exits 0 within its bound; what it had accepted is finished, not cut.
 */

const NAMESPACE = 'default';
/** The slow app's answer time: long enough that SIGTERM lands while requests are inside the proxy. */
const SLOW_MS = 1_500;
const IN_FLIGHT = 8;

const timed = async <A>(f: () => Promise<A>): Promise<{ value: A; ms: number }> => {
  const started = performance.now();
  const value = await f();
  return { value, ms: performance.now() - started };
};

const configMap = (name: string, i: number): string => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: ${NAMESPACE}}
spec:
  hosts: [${name}.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: ${1000 + i}, name: http, protocol: HTTP}]
`;

describe('graceful shutdown: SIGTERM with work in flight (control plane, proxies and apps as processes)', () => {
  let mesh: MeshProcesses;
  let dir: string;
  let m: ProxyMesh;
  let bus: Bus;
  let client: ProxyProcess;

  before(async () => {
    // Each service's last line, `stopped` with its exit code, is an info line.
    process.env.JETMESH_TEST_LOG_LEVEL = 'info';
    dir = mkdtempSync(join(tmpdir(), 'graceful-shutdown-'));
    mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'] });
    bus = await connectBus(mesh.nats.url, createLogger('test', 'warn'), { name: 'graceful-shutdown test' });
    m = new ProxyMesh(mesh, dir);
    await m.apply(serviceEntry('slow'));
    client = (await m.sidecar('productpage', 'v1')).proxy;
  });
  after(async () => {
    await m?.stop();
    await bus?.close();
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('proxy: requests in flight through the stopping proxy finish 200, it deregisters, and exits 0 within its bound', async () => {
    const { proxy, app } = await m.sidecar('slow', 'v1');
    (app as EchoApp).delay(SLOW_MS);
    await m.until(client, 'http://slow:9080/warm', (r) => r.status === 200, 'slow answering');

    const calls = Array.from({ length: IN_FLIGHT }, (_, i) => call(client, `http://slow:9080/in-flight/${i}`));
    // The requests are with the app, behind the server proxy, when it is told to stop.
    await new Promise((r) => setTimeout(r, SLOW_MS / 3));
    const stopped = await timed(() => proxy.stop('SIGTERM'));
    const answers = await Promise.all(calls);

    assert.deepEqual(answers.map((r) => r.status), Array<number>(IN_FLIGHT).fill(200), 'every request in flight was answered by the app');
    assert.equal(stopped.value, 0, `exit code (output: ${proxy.child.output().slice(-2000)})`);
    assert.ok(stopped.ms < PROXY_STOP_TIMEOUT_MS, `stopped in ${stopped.ms.toFixed(0)} ms, bound ${PROXY_STOP_TIMEOUT_MS} ms`);
    // It left the registry itself (a removal at once, not galley's sweep after the grace period).
    const events: string[] = [];
    for await (const e of readStream(bus, { stream: Streams.registry, fromSequence: 1, codec: RegistryEventCodec })) {
      if (e.value.name === proxy.name) events.push(e.value.type);
    }
    assert.equal(events.at(-1), 'WorkloadRemoved', `registry events of ${proxy.name}: ${events.join(', ')}`);
  });

  it('galley: applies in flight at SIGTERM are answered and recorded, or refused as UNAVAILABLE; none is cut; exit 0 within the step bound', async () => {
    const address = mesh.galleyAddresses[0] as string;
    const config = createConfigClient(address, { actor: 'graceful-shutdown', deadlineMs: 10_000 });
    const applies = Array.from({ length: 20 }, (_, i) =>
      config.apply({ yaml: configMap(`drain-${i}`, i), reason: `drain ${i}`, requestId: `drain-${i}` }).then(
        (r) => ({ i, ok: true as const, sequence: r.sequence }),
        (err: grpc.ServiceError) => ({ i, ok: false as const, code: err.code, message: err.message }),
      ),
    );
    const stopped = await timed(() => mesh.stopService('galley'));
    const outcomes = await Promise.all(applies);
    config.close();
    assert.ok(stopped.ms < SHUTDOWN_STEP_TIMEOUT_MS * 2, `galley stopped in ${stopped.ms.toFixed(0)} ms`);
    assert.match(mesh.output('galley'), /"exitCode":0,"msg":"stopped"/);
    for (const o of outcomes) if (!o.ok) assert.equal(o.code, grpc.status.UNAVAILABLE, `apply ${o.i}: ${o.message}`);

    await mesh.startService('galley');
    const history = await mesh.cli(['history', '-o', 'json']);
    assert.equal(history.code, 0, history.stderr);
    const entries = JSON.parse(history.stdout) as HistoryEntry[];
    for (const o of outcomes) {
      const recorded = entries.filter((e) => e.reason === `drain ${o.i}`);
      if (o.ok) assert.deepEqual(recorded.map((e) => e.seq), [o.sequence], `answered apply ${o.i} recorded once, at its sequence`);
      else assert.ok(recorded.length <= 1, `refused apply ${o.i} recorded at most once`);
    }
  });

  it('pilot: an open ADS stream ends with UNAVAILABLE (so the client moves to another replica) and pilot exits 0 at once', async () => {
    const ads = adsClient(mesh.pilotXdsAddresses[0] as string, true);
    const probe = openAdsProbe(ads, { node: 'graceful-shutdown', namespace: NAMESPACE, subscribe: { CDS: [] } });
    await probe.next((r) => r.type === 'CDS', 10_000);
    const stopped = await timed(() => mesh.stopService('pilot'));
    const ended = await probe.ended;
    ads.close();
    assert.equal(ended.code, grpc.status.UNAVAILABLE, `${ended.details}\n${mesh.output('pilot').slice(-1500)}`);
    assert.ok(stopped.ms < SHUTDOWN_STEP_TIMEOUT_MS, `pilot stopped in ${stopped.ms.toFixed(0)} ms`);
    assert.match(mesh.output('pilot'), /"exitCode":0,"msg":"stopped"/);
    await mesh.startService('pilot');
  });

  it('citadel: exits 0 within the step bound on SIGTERM', async () => {
    const stopped = await timed(() => mesh.stopService('citadel'));
    assert.ok(stopped.ms < SHUTDOWN_STEP_TIMEOUT_MS, `citadel stopped in ${stopped.ms.toFixed(0)} ms`);
    assert.match(mesh.output('citadel'), /"exitCode":0,"msg":"stopped"/);
    await mesh.startService('citadel');
  });
});
