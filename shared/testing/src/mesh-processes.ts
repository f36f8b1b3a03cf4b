import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@jetmesh/runtime';
import { type ChildHandle, launchProcess } from './launch-process.js';
import type { NatsClusterHandle } from './nats-cluster.js';
import { type MeshNatsServerHandle, type NatsServerHandle, startMeshNatsServer, startNatsServer } from './nats-server.js';
import { repoRoot } from './repo-root.js';
import { type RunResult, runProcess } from './run-process.js';
import { waitForHttp } from './wait-for-http.js';

/** The control plane as real processes on a private nats-server: what a user runs, minus `jetmesh up`. */
export interface MeshProcesses {
  /** The private server; with `cluster`, its first node. */
  readonly nats: NatsServerHandle;
  /** With `natsUsers`: the server running deploy/nats/, to connect as any of its users. */
  readonly meshNats?: MeshNatsServerHandle;
  /** Environment under which the CLI reaches this mesh (its galley: the first replica's). */
  readonly env: Record<string, string>;
  /** host:port of every galley replica's config API, replica 0 first. */
  readonly galleyAddresses: readonly string[];
  /** host:port of every pilot replica's xDS (ADS) server, replica 0 first. */
  readonly pilotXdsAddresses: readonly string[];
  /** Runs `jetmesh ARGS` as a child process, with `env` over the mesh's CLI environment. */
  cli(args: string[], input?: string, env?: Record<string, string>): Promise<RunResult>;
  /** Without `replica`: every replica of `service`, one after the other. */
  restart(service: ServiceName, replica?: number): Promise<void>;
  /** Stops a service (SIGTERM; without `replica` every replica); startService brings it back with the same environment. */
  stopService(service: ServiceName, replica?: number): Promise<void>;
  /** SIGKILL (a crash: no drain, no deregistration; without `replica` every replica); startService brings it back. */
  killService(service: ServiceName, replica?: number): Promise<void>;
  startService(service: ServiceName, replica?: number): Promise<void>;
  /** Stops every service (NATS keeps running). */
  stopServices(): Promise<void>;
  /** Starts every service at once, as after a restart of the whole mesh; resolves when all are ready, rejects if one exits first. */
  startServices(): Promise<void>;
  /** Default: replica 0. */
  output(service: ServiceName, replica?: number): string;
  /** The process id of a running replica (default 0), e.g. to read its CPU time; undefined when it could not be spawned. */
  pid(service: ServiceName, replica?: number): number | undefined;
  /** The admin port (/metrics, /readyz) of a replica (default 0). */
  adminPort(service: ServiceName, replica?: number): number;
  stop(): Promise<void>;
}

export type ServiceName = 'galley' | 'pilot' | 'citadel';

interface RunningService {
  readonly adminPort: number;
  readonly env: Record<string, string>;
  child: ChildHandle;
}

const entry = (service: ServiceName): string => join(repoRoot, 'services', service, 'dist', 'src', 'main.js');
export const cliEntry = join(repoRoot, 'cli', 'bin', 'jetmesh.js');

const DEFAULT_READY_TIMEOUT_MS = 20_000;
/** Starts of one service with fresh ports when its port was taken (EADDRINUSE) before it bound. */
const PORT_ATTEMPTS = 3;

const launch = async (service: ServiceName, env: Record<string, string>, readyTimeoutMs: number): Promise<ChildHandle> => {
  const child = launchProcess(process.execPath, [entry(service)], { name: service, env, cwd: repoRoot });
  const ready = new AbortController();
  try {
    // A service that exits fails its start at once (it is not restarted behind the test's back).
    const exited = child.exited.then((code) => {
      if (!ready.signal.aborted) throw new Error(`exited with code ${code} before it was ready`);
    });
    await Promise.race([waitForHttp(`http://127.0.0.1:${env.JETMESH_ADMIN_PORT}/readyz`, { timeoutMs: readyTimeoutMs }), exited]);
  } catch (e) {
    await child.stop('SIGKILL');
    throw new Error(`${service} did not become ready: ${(e as Error).message}\n${child.output().slice(-4000)}`);
  } finally {
    ready.abort();
  }
  return child;
};

export const startMeshProcesses = async (
  opts: {
    services?: readonly ServiceName[];
    /** Processes per service (e.g. { galley: 2, pilot: 2 }); default 1 each. */
    replicas?: Partial<Record<ServiceName, number>>;
    /** galley's JETMESH_GALLEY_AUTH; default disabled, so only suites about auth need tokens. */
    galleyAuth?: 'required' | 'disabled';
    /** Run deploy/nats/nats-server.conf: each service connects as its own NATS user, the CLI as admin. */
    natsUsers?: boolean;
    /** Run on this cluster (the caller starts and disposes it): services and the CLI get every node's URL. */
    cluster?: NatsClusterHandle;
    /** More environment for every service (e.g. JETMESH_STREAM_REPLICAS). */
    serviceEnv?: Record<string, string>;
    /** How long each start may take until /readyz answers 200; default 20 s. */
    readyTimeoutMs?: number;
  } = {},
): Promise<MeshProcesses> => {
  const { cluster } = opts;
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const meshNats = cluster === undefined && opts.natsUsers === true ? await startMeshNatsServer() : undefined;
  const nats = cluster?.nodes[0]?.server ?? meshNats ?? (await startNatsServer());
  const natsEnv = (user: ServiceName | 'admin'): Record<string, string> =>
    cluster !== undefined ? (opts.natsUsers === true ? cluster.envFor(user) : { JETMESH_NATS_URL: cluster.urls }) : (meshNats?.envFor(user) ?? { JETMESH_NATS_URL: nats.url });
  const disposeNats = async (): Promise<void> => {
    if (cluster === undefined) await nats.dispose();
  };
  const galleyPorts: number[] = [];
  const pilotXdsPorts: number[] = [];
  // Citadel's TLS port and the admin secret it writes for the CLI (never into the repository's .jetmesh/).
  let citadelPort = await freePort();
  const adminTokenFile = join(nats.storeDir, '..', 'admin-token');
  const common = { JETMESH_LOG_LEVEL: process.env.JETMESH_TEST_LOG_LEVEL ?? 'warn' };
  const running = new Map<ServiceName, RunningService[]>();
  try {
    for (const service of opts.services ?? (['galley', 'pilot'] as const)) {
      const count = opts.replicas?.[service] ?? 1;
      const replicas: RunningService[] = [];
      running.set(service, replicas);
      for (let replica = 0; replica < count; replica++) {
        // A free port can be taken by another suite between freePort() and the service's bind: then fresh ports.
        for (let attempt = 1; ; attempt++) {
          if (service === 'citadel' && attempt > 1) citadelPort = await freePort();
          const adminPort = await freePort();
          const galleyPort = service === 'galley' ? await freePort() : 0;
          const xdsPort = service === 'galley' ? 0 : await freePort();
          const env = {
            ...common,
            ...opts.serviceEnv,
            ...natsEnv(service),
            JETMESH_ADMIN_PORT: String(adminPort),
            ...(service === 'galley'
              ? { JETMESH_GALLEY_PORT: String(galleyPort), JETMESH_GALLEY_AUTH: opts.galleyAuth ?? 'disabled' }
              : { JETMESH_PILOT_XDS_PORT: String(xdsPort) }),
            ...(service === 'pilot' && count > 1 ? { JETMESH_PILOT_REPLICA: `pilot-${replica}` } : {}),
            ...(service === 'citadel' ? { JETMESH_CITADEL_PORT: String(citadelPort), JETMESH_ADMIN_TOKEN_FILE: adminTokenFile } : {}),
          };
          try {
            replicas.push({ adminPort, env, child: await launch(service, env, readyTimeoutMs) });
            if (service === 'galley') galleyPorts.push(galleyPort);
            if (service === 'pilot') pilotXdsPorts.push(xdsPort);
            break;
          } catch (e) {
            if (attempt >= PORT_ATTEMPTS || !(e as Error).message.includes('EADDRINUSE')) throw e;
          }
        }
      }
    }
  } catch (e) {
    for (const s of [...running.values()].flat()) await s.child.stop();
    await disposeNats();
    throw e;
  }
  // The CLI gets a context file of its own, so a developer's .jetmesh/ (context, config token) never leaks in.
  const cliContext = join(nats.storeDir, '..', 'cli-context.json');
  writeFileSync(cliContext, '{}\n');
  const galleyAddresses = galleyPorts.map((port) => `127.0.0.1:${port}`);
  // Without a galley the CLI still gets an address (nothing listens there), as before replicas.
  const cliGalley = galleyAddresses[0] ?? `127.0.0.1:${await freePort()}`;
  const cliEnv = { ...natsEnv('admin'), JETMESH_CONTEXT: cliContext, JETMESH_GALLEY_ADDRESS: cliGalley, JETMESH_ACTOR: 'e2e-tester' };
  Object.assign(cliEnv, { JETMESH_CITADEL_ADDRESS: `127.0.0.1:${citadelPort}`, JETMESH_ADMIN_TOKEN_FILE: adminTokenFile });
  const replicasOf = (name: ServiceName, replica?: number): RunningService[] => {
    const all = running.get(name);
    if (all === undefined) throw new Error(`${name} is not part of this mesh`);
    if (replica === undefined) return all;
    const one = all[replica];
    if (one === undefined) throw new Error(`${name} has no replica ${replica} (it runs ${all.length})`);
    return [one];
  };
  const start = async (name: ServiceName, s: RunningService): Promise<void> => {
    s.child = await launch(name, s.env, readyTimeoutMs);
  };
  const everyService = (): [ServiceName, RunningService][] => [...running.entries()].flatMap(([name, all]) => all.map((s): [ServiceName, RunningService] => [name, s]));
  return {
    nats,
    ...(meshNats === undefined ? {} : { meshNats }),
    env: cliEnv,
    galleyAddresses,
    pilotXdsAddresses: pilotXdsPorts.map((port) => `127.0.0.1:${port}`),
    cli: (args, input, env = {}) =>
      runProcess(process.execPath, [cliEntry, ...args], { env: { ...cliEnv, ...env }, cwd: repoRoot, ...(input !== undefined ? { input } : {}), timeoutMs: 30_000 }),
    restart: async (name, replica) => {
      for (const s of replicasOf(name, replica)) {
        await s.child.stop();
        await start(name, s);
      }
    },
    stopService: async (name, replica) => {
      for (const s of replicasOf(name, replica)) await s.child.stop();
    },
    killService: async (name, replica) => {
      for (const s of replicasOf(name, replica)) await s.child.stop('SIGKILL');
    },
    startService: async (name, replica) => {
      for (const s of replicasOf(name, replica)) await start(name, s);
    },
    stopServices: async () => {
      for (const [, s] of everyService().reverse()) await s.child.stop();
    },
    startServices: async () => {
      const started = await Promise.allSettled(everyService().map(([name, s]) => start(name, s)));
      const failed = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length > 0) throw new Error(failed.map((r) => (r.reason as Error).message).join('\n\n'));
    },
    output: (name, replica = 0) => replicasOf(name, replica)[0]?.child.output() ?? '',
    pid: (name, replica = 0) => replicasOf(name, replica)[0]?.child.pid,
    adminPort: (name, replica = 0) => replicasOf(name, replica)[0]?.adminPort ?? 0,
    stop: async () => {
      for (const [, s] of everyService().reverse()) await s.child.stop();
      await disposeNats();
    },
  };
};
