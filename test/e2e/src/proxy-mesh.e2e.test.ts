import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type EchoApp, type EchoReply, type MeshProcesses, type ProxyProcess, eventually, startEchoApp, startMeshProcesses, startProxyProcess } from '@jetmesh/testing';

/** A request through a proxy's outbound port, as an app with HTTP_PROXY would send it. */
async function call(proxy: ProxyProcess, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const u = new URL(url);
  const res = await fetch(`http://127.0.0.1:${proxy.outboundPort}${u.pathname}${u.search}`, { headers: { host: u.host, ...headers }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

const services = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews}
spec:
  hosts: [reviews]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: reviews}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ratings}
spec:
  hosts: [ratings]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: ratings}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
`;

describe('proxy mesh (control plane, proxies and apps as processes)', () => {
  let mesh: MeshProcesses;
  let dir: string;
  const apps: EchoApp[] = [];
  const proxies: ProxyProcess[] = [];
  let productpage: ProxyProcess;
  const tokens = new Map<string, string>();
  const token = async (sa: string): Promise<string> => {
    const known = tokens.get(sa);
    if (known !== undefined) return known;
    const minted = await mesh.cli(['token', 'create', '--namespace', 'default', '--service-account', sa, '--ttl', '1h']);
    assert.equal(minted.code, 0, minted.stderr);
    tokens.set(sa, minted.stdout.trim());
    return minted.stdout.trim();
  };
  const sidecar = async (service: string, version: string): Promise<ProxyProcess> => {
    const app = await startEchoApp(service, version);
    apps.push(app);
    const p = await startProxyProcess(mesh, { service, labels: { app: service, version }, port: 9080, appPort: app.port, token: await token(service), stateDir: join(dir, `${service}-${version}`), waitReady: false });
    proxies.push(p);
    const we = `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${p.name}}
spec: {address: 127.0.0.1, labels: {app: ${service}, version: ${version}, security.istio.io/tlsMode: istio, networking.jetmesh.io/inbound-port: "${p.inboundPort}"}, serviceAccount: ${service}}
`;
    const r = await mesh.cli(['apply', '-f', '-'], we);
    assert.equal(r.code, 0, r.stderr);
    let last = '';
    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${p.adminPort}/ready`).catch(() => undefined);
      last = (await res?.text()) ?? 'no answer';
      return res?.status === 200 ? true : undefined;
    }, `${p.name} ready`, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${last}\n${p.child.output().slice(-3000)}`);
    });
    return p;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'proxy-e2e-'));
    mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'] });
    const applied = await mesh.cli(['apply', '-f', '-'], services);
    assert.equal(applied.code, 0, applied.stderr);
    productpage = await sidecar('productpage', 'v1');
    for (const v of ['v1', 'v2', 'v3']) await sidecar('reviews', v);
    await sidecar('ratings', 'v1');
  });
  after(async () => {
    for (const p of proxies) await p.stop();
    for (const a of apps) await a.close();
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('productpage reaches reviews through both proxies over mTLS; every version answers', async () => {
    const seen = await eventually(async () => {
      const versions = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const r = await call(productpage, 'http://reviews:9080/reviews/1');
        if (r.status !== 200) return undefined;
        const echo = JSON.parse(r.body) as EchoReply;
        assert.equal(echo.service, 'reviews');
        assert.match(String(echo.headers['x-forwarded-client-cert']), /By=spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews;URI=spiffe:\/\/cluster\.local\/ns\/default\/sa\/productpage/);
        versions.add(echo.version);
      }
      return versions.size === 3 ? versions : undefined;
    }, 'all three reviews versions answering', 20_000);
    assert.deepEqual([...seen].sort(), ['v1', 'v2', 'v3']);
  });
});
