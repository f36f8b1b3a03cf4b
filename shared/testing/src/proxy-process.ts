import { join } from 'node:path';
import { freePort, PROXY_NODE_FLAGS } from '@jetmesh/runtime';
import { type ChildHandle, launchProcess } from './launch-process.js';
import type { MeshProcesses } from './mesh-processes.js';
import { repoRoot } from './repo-root.js';
import { waitForHttp } from './wait-for-http.js';

export interface ProxyProcessOptions {
  readonly service: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Sidecar: the service port callers address, and the app's port. */
  readonly port?: number;
  readonly appPort?: number;
  /** Gateway: the ports it serves. */
  readonly gatewayPorts?: readonly number[];
  readonly token: string;
  readonly stateDir: string;
  readonly env?: Record<string, string>;
  /** Restart as the same proxy: its name and ports (a restarted proxy finds its saved state by name). */
  readonly same?: Pick<ProxyProcess, 'name' | 'inboundPort' | 'outboundPort' | 'adminPort'>;
  /** Flags for node itself, e.g. --cpu-prof (which NODE_OPTIONS may not carry). */
  readonly nodeArgs?: readonly string[];
  /** Wait for /ready (certificate and workload snapshot); default true. */
  readonly waitReady?: boolean;
}

export interface ProxyProcess {
  readonly name: string;
  readonly inboundPort: number;
  readonly outboundPort: number;
  readonly adminPort: number;
  readonly child: ChildHandle;
  configDump(): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const proxyEntry = join(repoRoot, 'services', 'proxy', 'dist', 'src', 'main.js');

/** A `jetmesh proxy` as a real process beside a test's mesh, on free loopback ports. */
export async function startProxyProcess(mesh: MeshProcesses, opts: ProxyProcessOptions): Promise<ProxyProcess> {
  const [inboundPort, outboundPort, adminPort] = opts.same !== undefined ? [opts.same.inboundPort, opts.same.outboundPort, opts.same.adminPort] : [await freePort(), await freePort(), await freePort()];
  const namespace = opts.namespace ?? 'default';
  const name = opts.same?.name ?? `${opts.service}${opts.labels?.version !== undefined ? `-${opts.labels.version}` : ''}-${opts.gatewayPorts?.[0] ?? inboundPort}`;
  const env: Record<string, string> = {
    JETMESH_LOG_LEVEL: process.env.JETMESH_TEST_LOG_LEVEL ?? 'warn',
    ...(mesh.meshNats?.envFor('proxy') ?? { JETMESH_NATS_URL: mesh.nats.url }),
    JETMESH_CA_ADDRESS: mesh.env.JETMESH_CITADEL_ADDRESS ?? '',
    JETMESH_PROXY_SERVICE: opts.service,
    JETMESH_PROXY_NAMESPACE: namespace,
    JETMESH_PROXY_SERVICE_ACCOUNT: opts.serviceAccount ?? opts.service,
    JETMESH_PROXY_NAME: name,
    JETMESH_PROXY_LABELS: Object.entries(opts.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    JETMESH_PROXY_INBOUND_PORT: String(inboundPort),
    JETMESH_PROXY_OUTBOUND_PORT: String(outboundPort),
    JETMESH_PROXY_ADMIN_PORT: String(adminPort),
    JETMESH_PROXY_TOKEN: opts.token,
    JETMESH_PROXY_STATE_DIR: opts.stateDir,
    ...(opts.port !== undefined ? { JETMESH_PROXY_PORT: String(opts.port) } : {}),
    ...(opts.appPort !== undefined ? { JETMESH_PROXY_APP_PORT: String(opts.appPort) } : {}),
    ...(opts.gatewayPorts !== undefined ? { JETMESH_PROXY_GATEWAY: 'true', JETMESH_PROXY_GATEWAY_PORTS: opts.gatewayPorts.join(',') } : {}),
    ...opts.env,
  };
  const child = launchProcess(process.execPath, [...PROXY_NODE_FLAGS, ...(opts.nodeArgs ?? []), proxyEntry], { name: `proxy ${name}`, env, cwd: repoRoot });
  if (opts.waitReady !== false) {
    try {
      await waitForHttp(`http://127.0.0.1:${adminPort}/ready`, { timeoutMs: 20_000 });
    } catch (e) {
      await child.stop('SIGKILL');
      throw new Error(`proxy ${name} did not become ready: ${(e as Error).message}\n${child.output().slice(-4000)}`);
    }
  }
  return {
    name,
    inboundPort,
    outboundPort,
    adminPort,
    child,
    configDump: async () => (await (await fetch(`http://127.0.0.1:${adminPort}/config_dump`)).json()) as Record<string, unknown>,
    stop: (signal) => child.stop(signal),
  };
}
