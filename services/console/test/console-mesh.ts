import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  launchProcess,
  startEchoApp,
  startMeshProcesses,
  startProxyProcess,
  startTelemetryProcess,
  waitForHttp,
  type ChildHandle,
  type EchoApp,
  type MeshProcesses,
  type ProxyProcess,
  type TelemetryProcess,
} from '@jetmesh/testing';

/** Change #1: the reviews service and two workloads. */
export const reviewsService = `apiVersion: networking.istio.io/v1
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
kind: WorkloadEntry
metadata: {name: reviews-v1}
spec: {address: 10.1.0.1, ports: {http: 9080}, labels: {app: reviews, version: v1}, serviceAccount: reviews}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v2}
spec: {address: 10.1.0.2, ports: {http: 9080}, labels: {app: reviews, version: v2}, serviceAccount: reviews}
`;

/** Change #2: subsets and mutual TLS to them. */
export const reviewsSubsets = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

/** Change #3: a 80/20 canary. */
export const reviewsCanary = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-route}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 80}
    - {destination: {host: reviews, subset: v2}, weight: 20}
`;

export const REVIEWS_HOST = 'reviews.default.svc.cluster.local';
export const RATINGS_HOST = 'ratings.default.svc.cluster.local';

/** With traffic, change #1 also declares ratings, whose endpoints are the sidecars that register themselves. */
export const ratingsService = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ratings}
spec:
  hosts: [ratings]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: ratings}}
`;

/** Real sidecars beside echo apps: productpage (a caller only) sends to ratings through its outbound port. */
export interface ConsoleTraffic {
  readonly telemetry: TelemetryProcess;
  readonly ratings: ProxyProcess;
  readonly productpage: ProxyProcess;
  /** `n` calls productpage → ratings through productpage's sidecar; the statuses seen. */
  drive(n: number): Promise<number[]>;
}

export interface ConsoleMesh {
  readonly mesh: MeshProcesses;
  readonly console: ChildHandle;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** The console's admin port (/readyz, /console-url). */
  readonly adminUrl: string;
  /** May read, apply and delete everywhere: can roll back. */
  readonly writerToken: string;
  /** May only read. */
  readonly readerToken: string;
  /** Only when started with `traffic`. */
  readonly traffic?: ConsoleTraffic;
  stop(): Promise<void>;
}

const callThrough = (proxy: ProxyProcess, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxy.outboundPort, path: '/ratings/1', headers: { host }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });

const consoleEntry = join(fileURLToPath(new URL('..', import.meta.url)), 'src', 'main.js');

/**
 * A real mesh (nats-server, galley requiring config tokens, pilot, citadel) with the console as a
 * process beside it, its tokens minted by citadel through the CLI, and changes #1–#3 applied.
 */
export async function startConsoleMesh(opts: { traffic?: boolean } = {}): Promise<ConsoleMesh> {
  const mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'], galleyAuth: 'required' });
  let consoleProcess: ChildHandle | undefined;
  const apps: EchoApp[] = [];
  const proxies: ProxyProcess[] = [];
  let telemetry: TelemetryProcess | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'console-proxies-'));
  const stopTraffic = async (): Promise<void> => {
    for (const p of proxies) await p.stop();
    for (const a of apps) await a.close();
    await telemetry?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const mint = async (actor: string, verbs: string): Promise<string> => {
      const r = await mesh.cli(['token', 'create', '--actor', actor, '--namespaces', '*', '--verbs', verbs, '--ttl', '1h']);
      if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
      return r.stdout.trim();
    };
    const writerToken = await mint('alice@console-test', 'apply,delete,read');
    const readerToken = await mint('bob@console-test', 'read');
    const apply = async (yaml: string, reason: string): Promise<void> => {
      const r = await mesh.cli(['apply', '-f', '-', '--reason', reason], yaml, { JETMESH_TOKEN: writerToken });
      if (r.code !== 0) throw new Error(`apply failed: ${r.stderr}`);
    };
    await apply(opts.traffic === true ? `${reviewsService}---\n${ratingsService}` : reviewsService, 'add reviews v1 and v2');
    await apply(reviewsSubsets, 'subsets with mutual TLS');
    await apply(reviewsCanary, 'canary: 20% to v2');

    let traffic: ConsoleTraffic | undefined;
    if (opts.traffic === true) {
      telemetry = await startTelemetryProcess(mesh);
      const sidecar = async (service: string): Promise<ProxyProcess> => {
        const token = await mesh.cli(['token', 'create', '--namespace', 'default', '--service-account', service, '--ttl', '1h']);
        if (token.code !== 0) throw new Error(`token create failed: ${token.stderr}`);
        const app = await startEchoApp(service, 'v1');
        apps.push(app);
        const proxy = await startProxyProcess(mesh, { service, labels: { app: service, version: 'v1' }, port: 9080, appPort: app.port, token: token.stdout.trim(), stateDir: join(stateDir, service) });
        proxies.push(proxy);
        return proxy;
      };
      const ratings = await sidecar('ratings');
      const productpage = await sidecar('productpage');
      const t = telemetry;
      traffic = { telemetry: t, ratings, productpage, drive: async (n) => Promise.all(Array.from({ length: n }, () => callThrough(productpage, 'ratings:9080'))) };
    }

    const port = await freePort();
    const adminPort = await freePort();
    consoleProcess = launchProcess(process.execPath, [consoleEntry], {
      name: 'console',
      env: {
        JETMESH_NATS_URL: mesh.nats.url,
        JETMESH_CONSOLE_PORT: String(port),
        JETMESH_ADMIN_PORT: String(adminPort),
        JETMESH_GALLEY_ADDRESS: mesh.galleyAddresses[0]!,
        JETMESH_LOG_LEVEL: process.env.JETMESH_TEST_LOG_LEVEL ?? 'warn',
      },
    });
    await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, { timeoutMs: 20_000 }).catch((e: Error) => {
      throw new Error(`console did not become ready: ${e.message}\n${consoleProcess?.output().slice(-3000)}`);
    });
    const child = consoleProcess;
    return {
      mesh,
      console: child,
      url: `http://127.0.0.1:${port}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      writerToken,
      readerToken,
      ...(traffic !== undefined ? { traffic } : {}),
      stop: async () => {
        await child.stop();
        await stopTraffic();
        await mesh.stop();
      },
    };
  } catch (e) {
    await consoleProcess?.stop();
    await stopTraffic();
    await mesh.stop();
    throw e;
  }
}
