import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { freePort } from '@jetmesh/runtime';
import { type EchoReply, type MeshProcesses, type ProxyProcess, eventually, startEchoApp, startMeshProcesses } from '@jetmesh/testing';
import { call, callMany, countBy, ProxyMesh, serviceEntry } from './proxy-harness.js';

/** An HTTP(S) request to a gateway port with a given Host (and SNI). */
function viaGateway(port: number, host: string, path: string, tls?: { ca: string }): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, path, headers: { host }, timeout: 10_000 };
    const done = (res: http.IncomingMessage): void => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    };
    const req = tls === undefined ? http.get(opts, done) : https.get({ ...opts, servername: host, ca: tls.ca }, done);
    req.on('error', reject);
  });
}

/** A gRPC server with one unary method: echoes its request bytes, or fails NOT_FOUND when they say "missing". */
async function startGrpcApp(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new grpc.Server();
  const identity = { path: '/demo.Echo/Say', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
  server.addService({ Say: identity }, {
    Say: (callRef: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const text = callRef.request.toString();
      if (text === 'missing') cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      else cb(null, Buffer.from(`echo:${text}`));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

describe('proxy edge, every component as its NATS user: ingress gateway, gRPC, certificate renewal, control plane down', () => {
  let mesh: MeshProcesses;
  let dir: string;
  let m: ProxyMesh;
  let productpage: ProxyProcess;
  let grpcApp: { port: number; close(): Promise<void> };
  let httpPort: number;
  let httpsPort: number;
  let certPem: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'proxy-edge-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'gw.key', '-out', 'gw.crt', '-days', '1', '-subj', '/CN=bookinfo.example.com', '-addext', 'subjectAltName=DNS:bookinfo.example.com'],
      { cwd: dir, stdio: 'pipe' },
    );
    certPem = readFileSync(join(dir, 'gw.crt'), 'utf8');
    // Every component as its own NATS user (deploy/nats/): the proxies as `proxy`, which may read snapshots and trust, publish telemetry and ask galley to register them, nothing else.
    mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'], natsUsers: true });
    m = new ProxyMesh(mesh, dir);
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    await m.apply(`${serviceEntry('productpage')}${serviceEntry('reviews')}${serviceEntry('echo', 9090, 'GRPC')}
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${httpPort}, name: http, protocol: HTTP}
    hosts: [bookinfo.example.com]
  - port: {number: ${httpsPort}, name: https, protocol: HTTPS}
    hosts: [bookinfo.example.com]
    tls: {mode: SIMPLE, serverCertificate: ${join(dir, 'gw.crt')}, privateKey: ${join(dir, 'gw.key')}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo}
spec:
  hosts: [bookinfo.example.com]
  gateways: [bookinfo-gateway]
  http:
  - match: [{uri: {prefix: /productpage}}]
    route: [{destination: {host: productpage, port: {number: 9080}}}]
  - match: [{uri: {prefix: /reviews}}]
    route: [{destination: {host: reviews, port: {number: 9080}}}]
`);
    productpage = (await m.sidecar('productpage', 'v1', { env: { JETMESH_PROXY_CERT_TTL: '1m' } })).proxy;
    await m.sidecar('reviews', 'v1', { env: { JETMESH_PROXY_CERT_TTL: '1m' } });
    grpcApp = await startGrpcApp();
    await m.sidecar('echo', 'v1', { port: 9090, app: grpcApp });
    await m.gateway([httpPort, httpsPort]);
  });
  after(async () => {
    await m?.stop();
    await grpcApp?.close();
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gateway: host and path routing over HTTP, HTTPS with the given certificate, 404 for an unknown host', async () => {
    const page = await viaGateway(httpPort, 'bookinfo.example.com', '/productpage');
    assert.equal(page.status, 200, page.body);
    assert.equal((JSON.parse(page.body) as { service: string }).service, 'productpage');
    const reviews = await viaGateway(httpPort, 'bookinfo.example.com', '/reviews/7');
    assert.equal((JSON.parse(reviews.body) as { service: string }).service, 'reviews');
    const secure = await viaGateway(httpsPort, 'bookinfo.example.com', '/productpage', { ca: certPem });
    assert.equal(secure.status, 200);
    assert.equal((JSON.parse(secure.body) as { headers: Record<string, string> }).headers['x-forwarded-proto'], 'https');
    const unknown = await viaGateway(httpPort, 'other.example.com', '/productpage');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['x-jetmesh-flags'], 'NR');
    const noRoute = await viaGateway(httpPort, 'bookinfo.example.com', '/elsewhere');
    assert.equal(noRoute.status, 404);
  });

  it('gRPC through both proxies: a unary call, and a gRPC error status carried back in the trailers', async () => {
    const client = new grpc.Client(`127.0.0.1:${productpage.outboundPort}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'echo:9090' });
    const say = (text: string): Promise<string> =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest('/demo.Echo/Say', (b: Buffer) => b, (b: Buffer) => b, Buffer.from(text), { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(String(res)))),
      );
    try {
      assert.equal(await say('hello'), 'echo:hello');
      await assert.rejects(say('missing'), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND && err.details === 'no such thing');
    } finally {
      client.close();
    }
  });

  it('routing features end to end: HTTP_PROXY absolute-form to a MESH_EXTERNAL service, rewrite, header edits, CORS, redirect, mirror; proxy-config prints the state', async () => {
    const external = await startEchoApp('external', 'v1');
    try {
      await m.apply(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external-api}
spec:
  hosts: [api.external.test]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${external.port}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, redirectCode: 302}
  - match: [{uri: {prefix: /v1api}}]
    rewrite: {uri: /api}
    headers: {request: {set: {x-added: "yes"}}, response: {add: {x-resp: here}}}
    corsPolicy: {allowOrigins: [{exact: "https://shop.example"}], allowMethods: [GET]}
    mirror: {host: api.external.test}
    route: [{destination: {host: reviews}}]
  - route: [{destination: {host: reviews}}]
`);
      // An app with HTTP_PROXY sends absolute-form requests; an external endpoint is dialled directly, in plaintext.
      const viaProxy = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: productpage.outboundPort, path: 'http://api.external.test/ext?q=1' }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
      assert.equal(viaProxy.status, 200, viaProxy.body);
      const echo = JSON.parse(viaProxy.body) as EchoReply;
      assert.equal(echo.service, 'external');
      assert.equal(echo.path, '/ext?q=1');
      assert.equal(echo.headers['x-forwarded-client-cert'], undefined);

      const before = external.received();
      const rewritten = await m.until(productpage, 'http://reviews:9080/v1api/items', (c) => c.echo?.path === '/api/items', 'the rewrite', { headers: { origin: 'https://shop.example' } });
      assert.equal(rewritten.echo?.headers['x-added'], 'yes');
      assert.equal(rewritten.headers.get('x-resp'), 'here');
      assert.equal(rewritten.headers.get('access-control-allow-origin'), 'https://shop.example');
      const preflight = await call(productpage, 'http://reviews:9080/v1api/items', { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET' } });
      assert.equal(preflight.status, 200);
      assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET');
      const redirected = await call(productpage, 'http://reviews:9080/old/page');
      assert.equal(redirected.status, 302);
      assert.equal(redirected.headers.get('location'), 'http://reviews:9080/new');
      await eventually(async () => (external.received() > before ? true : undefined), 'the mirrored copy reaching the external app');

      const dump = await mesh.cli(['proxy-config', productpage.name, '--admin-url', `http://127.0.0.1:${productpage.adminPort}`]);
      assert.equal(dump.code, 0, dump.stderr);
      const config = JSON.parse(dump.stdout) as { certificate: { spiffeId: string; notAfter: string }; hosts: Record<string, { version: { config: number } }> };
      assert.equal(config.certificate.spiffeId, 'spiffe://cluster.local/ns/default/sa/productpage');
      assert.ok(config.hosts['reviews.default.svc.cluster.local']!.version.config > 0);
    } finally {
      await external.close();
    }
  });

  it('certificates with a 1-minute TTL renew twice under steady traffic with no failed request', async () => {
    const notAfter = async (p: ProxyProcess): Promise<string> => String(((await p.configDump()).certificate as { notAfter?: string } | undefined)?.notAfter);
    const first = await notAfter(productpage);
    const seen = new Set([first]);
    const statuses: number[] = [];
    const deadline = Date.now() + 75_000;
    while (seen.size < 3 && Date.now() < deadline) {
      statuses.push(...(await callMany(productpage, 'http://reviews:9080/steady', 20, 2)).map((r) => r.status));
      seen.add(await notAfter(productpage));
    }
    assert.equal(seen.size, 3, `certificates seen: ${[...seen].join(', ')}`);
    assert.ok(statuses.length > 500, `${statuses.length} requests`);
    assert.deepEqual(countBy(statuses, String), { '200': statuses.length });
  });

  it('NATS and the control plane down: traffic keeps flowing, a restarted proxy serves from its saved state; back up: a new change applies', async () => {
    let stop = false;
    const traffic = (async () => {
      const statuses: number[] = [];
      while (!stop) statuses.push(...(await callMany(productpage, 'http://reviews:9080/down', 10, 2)).map((r) => r.status));
      return statuses;
    })();
    await mesh.stopService('galley');
    await mesh.stopService('pilot');
    await mesh.stopService('citadel');
    await mesh.nats.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    stop = true;
    const during = await traffic;
    assert.ok(during.length >= 50, `${during.length} requests while stopping`);
    assert.deepEqual(countBy(during, String), { '200': during.length });

    await productpage.stop();
    const restarted = (await m.sidecar('productpage', 'v1', { same: productpage, stateDir: join(dir, 'productpage-v1-0') })).proxy;
    const fromDisk = await callMany(restarted, 'http://reviews:9080/from-disk', 50, 4);
    assert.deepEqual(countBy(fromDisk, (r) => String(r.status)), { '200': 50 });

    await mesh.nats.restart();
    await mesh.startService('galley');
    await mesh.startService('pilot');
    await mesh.startService('citadel');
    await m.apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
    headers: {response: {set: {x-after-outage: applied}}}
`);
    const changed = await m.until(restarted, 'http://reviews:9080/after', (c) => c.headers.get('x-after-outage') === 'applied', 'the change made after the outage', {});
    assert.equal(changed.status, 200);
  });
});
