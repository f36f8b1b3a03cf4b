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
  /** Environment under which the CLI reaches this mesh. */
  readonly env: Record<string, string>;
  /** Runs `jetmesh ARGS` as a child process, with `env` over the mesh's CLI environment. */
  cli(args: string[], input?: string, env?: Record<string, string>): Promise<RunResult>;
  restart(service: ServiceName): Promise<void>;
  /** Stops one service (SIGTERM); startService brings it back with the same environment. */
  stopService(service: ServiceName): Promise<void>;
  startService(service: ServiceName): Promise<void>;
  output(service: ServiceName): string;
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

const launch = async (service: ServiceName, env: Record<string, string>): Promise<ChildHandle> => {
  const child = launchProcess(process.execPath, [entry(service)], { name: service, env, cwd: repoRoot });
  try {
    await waitForHttp(`http://127.0.0.1:${env.JETMESH_ADMIN_PORT}/readyz`, { timeoutMs: 20_000 });
  } catch (e) {
    await child.stop('SIGKILL');
    throw new Error(`${service} did not become ready: ${(e as Error).message}\n${child.output().slice(-4000)}`);
  }
  return child;
};

export const startMeshProcesses = async (
  opts: {
    services?: readonly ServiceName[];
    /** galley's JETMESH_GALLEY_AUTH; default disabled, so only suites about auth need tokens. */
    galleyAuth?: 'required' | 'disabled';
    /** Run deploy/nats/nats-server.conf: each service connects as its own NATS user, the CLI as admin. */
    natsUsers?: boolean;
    /** Run on this cluster (the caller starts and disposes it): services and the CLI get every node's URL. */
    cluster?: NatsClusterHandle;
    /** More environment for every service (e.g. JETMESH_STREAM_REPLICAS). */
    serviceEnv?: Record<string, string>;
  } = {},
): Promise<MeshProcesses> => {
  const { cluster } = opts;
  const meshNats = cluster === undefined && opts.natsUsers === true ? await startMeshNatsServer() : undefined;
  const nats = cluster?.nodes[0]?.server ?? meshNats ?? (await startNatsServer());
  const natsEnv = (user: ServiceName | 'admin'): Record<string, string> =>
    cluster !== undefined ? (opts.natsUsers === true ? cluster.envFor(user) : { JETMESH_NATS_URL: cluster.urls }) : (meshNats?.envFor(user) ?? { JETMESH_NATS_URL: nats.url });
  const disposeNats = async (): Promise<void> => {
    if (cluster === undefined) await nats.dispose();
  };
  const galleyPort = await freePort();
  // Citadel's TLS port and the admin secret it writes for the CLI (never into the repository's .jetmesh/).
  const citadelPort = await freePort();
  const adminTokenFile = join(nats.storeDir, '..', 'admin-token');
  const common = { JETMESH_LOG_LEVEL: process.env.JETMESH_TEST_LOG_LEVEL ?? 'warn' };
  const running = new Map<ServiceName, RunningService>();
  try {
    for (const service of opts.services ?? (['galley', 'pilot'] as const)) {
      const adminPort = await freePort();
      const env = {
        ...common,
        ...opts.serviceEnv,
        ...natsEnv(service),
        JETMESH_ADMIN_PORT: String(adminPort),
        ...(service === 'galley'
          ? { JETMESH_GALLEY_PORT: String(galleyPort), JETMESH_GALLEY_AUTH: opts.galleyAuth ?? 'disabled' }
          : { JETMESH_PILOT_XDS_PORT: String(await freePort()) }),
        ...(service === 'citadel' ? { JETMESH_CITADEL_PORT: String(citadelPort), JETMESH_ADMIN_TOKEN_FILE: adminTokenFile } : {}),
      };
      running.set(service, { adminPort, env, child: await launch(service, env) });
    }
  } catch (e) {
    for (const s of running.values()) await s.child.stop();
    await disposeNats();
    throw e;
  }
  // The CLI gets a context file of its own, so a developer's .jetmesh/ (context, config token) never leaks in.
  const cliContext = join(nats.storeDir, '..', 'cli-context.json');
  writeFileSync(cliContext, '{}\n');
  const cliEnv = { ...natsEnv('admin'), JETMESH_CONTEXT: cliContext, JETMESH_GALLEY_ADDRESS: `127.0.0.1:${galleyPort}`, JETMESH_ACTOR: 'e2e-tester' };
  Object.assign(cliEnv, { JETMESH_CITADEL_ADDRESS: `127.0.0.1:${citadelPort}`, JETMESH_ADMIN_TOKEN_FILE: adminTokenFile });
  const service = (name: ServiceName): RunningService => {
    const s = running.get(name);
    if (s === undefined) throw new Error(`${name} is not part of this mesh`);
    return s;
  };
  return {
    nats,
    ...(meshNats === undefined ? {} : { meshNats }),
    env: cliEnv,
    cli: (args, input, env = {}) =>
      runProcess(process.execPath, [cliEntry, ...args], { env: { ...cliEnv, ...env }, cwd: repoRoot, ...(input !== undefined ? { input } : {}), timeoutMs: 30_000 }),
    restart: async (name) => {
      const s = service(name);
      await s.child.stop();
      s.child = await launch(name, s.env);
    },
    stopService: async (name) => {
      await service(name).child.stop();
    },
    startService: async (name) => {
      const s = service(name);
      s.child = await launch(name, s.env);
    },
    output: (name) => service(name).child.output(),
    stop: async () => {
      for (const s of [...running.values()].reverse()) await s.child.stop();
      await disposeNats();
    },
  };
};

/** Polls until `check` returns a value (or the deadline passes, then throws with the last reason). */
export const eventually = async <A>(check: () => Promise<A | undefined>, what: string, timeoutMs = 10_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
