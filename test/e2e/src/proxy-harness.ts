import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { type EchoApp, type EchoReply, type MeshProcesses, type ProxyProcess, eventually, startEchoApp, startProxyProcess } from '@jetmesh/testing';

/** What an app behind a client proxy sees of one call: status, body, headers. */
export interface CallResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
  /** The echo app's reply, when the call reached one. */
  readonly echo?: EchoReply;
  readonly ms: number;
}

/** A ServiceEntry per service, as Istio declares workloads outside Kubernetes: the proxies' WorkloadEntries are its endpoints. */
export const serviceEntry = (name: string, port = 9080, protocol = 'HTTP'): string => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}}
spec:
  hosts: [${name}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${port}, name: ${protocol.toLowerCase()}, protocol: ${protocol}}]
  workloadSelector: {labels: {app: ${name}}}
---`;

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * A request through a proxy's outbound port, addressed by Host header as an app would (node:http:
 * fetch may not set Host).
 */
export function call(proxy: ProxyProcess, url: string, init: { headers?: Record<string, string>; method?: string; body?: string } = {}): Promise<CallResult> {
  const u = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: proxy.outboundPort, method: init.method ?? 'GET', path: `${u.pathname}${u.search}`, headers: { host: u.host, ...init.headers }, agent, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          const echo = res.headers['content-type'] === 'application/json' ? (JSON.parse(body) as EchoReply) : undefined;
          resolve({ status: res.statusCode ?? 0, body, headers, ...(echo !== undefined ? { echo } : {}), ms: performance.now() - started });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(init.body);
  });
}

/** `n` calls, `concurrency` at a time. */
export async function callMany(proxy: ProxyProcess, url: string, n: number, concurrency: number, init: Parameters<typeof call>[2] = {}): Promise<CallResult[]> {
  const results: CallResult[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next += 1;
        results.push(await call(proxy, url, init));
      }
    }),
  );
  return results;
}

export const countBy = <A>(xs: readonly A[], key: (a: A) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
};

/** A mesh of sidecars beside echo apps, each with its own identity. */
export class ProxyMesh {
  readonly apps: EchoApp[] = [];
  readonly proxies: ProxyProcess[] = [];
  private readonly tokens = new Map<string, string>();

  constructor(
    readonly mesh: MeshProcesses,
    private readonly dir: string,
  ) {}

  async apply(yaml: string): Promise<void> {
    const r = await this.mesh.cli(['apply', '-f', '-'], yaml);
    assert.equal(r.code, 0, r.stderr);
  }

  async token(serviceAccount: string): Promise<string> {
    const known = this.tokens.get(serviceAccount);
    if (known !== undefined) return known;
    const minted = await this.mesh.cli(['token', 'create', '--namespace', 'default', '--service-account', serviceAccount, '--ttl', '1h']);
    assert.equal(minted.code, 0, minted.stderr);
    this.tokens.set(serviceAccount, minted.stdout.trim());
    return minted.stdout.trim();
  }

  /** An echo app and its sidecar; resolves once the proxy registered itself and is ready (its workload snapshot arrived). */
  async sidecar(service: string, version: string, opts: { env?: Record<string, string>; port?: number; app?: { port: number }; same?: ProxyProcess; stateDir?: string; waitReady?: boolean } = {}): Promise<{ proxy: ProxyProcess; app: { port: number } }> {
    const app = opts.app ?? (await startEchoApp(service, version));
    if (opts.app === undefined) this.apps.push(app as EchoApp);
    const proxy = await startProxyProcess(this.mesh, {
      service,
      labels: { app: service, version },
      port: opts.port ?? 9080,
      appPort: app.port,
      token: await this.token(service),
      stateDir: opts.stateDir ?? join(this.dir, `${service}-${version}-${this.proxies.length}`),
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      ...(opts.same !== undefined ? { same: opts.same } : {}),
      waitReady: false,
    });
    this.proxies.push(proxy);
    if (opts.waitReady === false) return { proxy, app };
    await this.ready(proxy);
    return { proxy, app };
  }

  async gateway(ports: readonly number[], opts: { env?: Record<string, string> } = {}): Promise<ProxyProcess> {
    const proxy = await startProxyProcess(this.mesh, {
      service: 'istio-ingressgateway',
      serviceAccount: 'istio-ingressgateway',
      labels: { istio: 'ingressgateway' },
      gatewayPorts: ports,
      token: await this.token('istio-ingressgateway'),
      stateDir: join(this.dir, `gateway-${this.proxies.length}`),
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      waitReady: false,
    });
    this.proxies.push(proxy);
    await this.ready(proxy);
    return proxy;
  }

  async ready(proxy: ProxyProcess): Promise<void> {
    let last = '';
    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${proxy.adminPort}/ready`).catch(() => undefined);
      last = (await res?.text()) ?? 'no answer';
      return res?.status === 200 ? true : undefined;
    }, `${proxy.name} ready`, 30_000).catch((e: Error) => {
      throw new Error(`${e.message} (${last.trim()})\n${proxy.child.output().slice(-3000)}`);
    });
  }

  /** Waits until `proxy` routes `url` the way `ok` wants (snapshots propagate in milliseconds, but asynchronously). */
  async until(proxy: ProxyProcess, url: string, ok: (r: CallResult) => boolean, what: string, init: Parameters<typeof call>[2] = {}): Promise<CallResult> {
    return eventually(async () => {
      const r = await call(proxy, url, init).catch(() => undefined);
      return r !== undefined && ok(r) ? r : undefined;
    }, what, 15_000);
  }

  async stop(): Promise<void> {
    for (const p of this.proxies) await p.stop();
    for (const a of this.apps) await a.close();
  }
}
