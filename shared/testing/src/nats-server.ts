import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetTempDir, reapOnExit, removeOnExit } from './child-reaper.js';
import {
  MESH_NATS_CONFIG, MeshNatsUsers, NATS_SERVER_BIN_ENV, NatsPortInUseError, findNatsServerBinary, freePort, generateNatsPassword, launchNatsServer, natsPasswordVariable,
  type MeshNatsUser, type NatsServerProcess,
} from '@jetmesh/runtime';
import { repoRoot } from './repo-root.js';

export interface NatsServerOptions {
  /** Default: a free port. */
  readonly port?: number;
  /** Default: a fresh temp dir, removed by dispose(). */
  readonly storeDir?: string;
  /** Server max_payload in bytes (nats-server default: 1 MiB). */
  readonly maxPayload?: number;
  /** How long to wait for the server to be ready, in ms. Default 20 s. */
  readonly startTimeoutMs?: number;
  /** A config file to run (included, so port, store and maxPayload still apply). Default: none. */
  readonly configFile?: string;
  /** Extra environment of the server process, e.g. the variables `configFile` refers to. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface NatsServerHandle {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The server's last ~200 log lines (across restarts). */
  output(): string;
  /** SIGTERM, then wait for exit. No-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), then wait for exit. No-op when not running. */
  kill(): Promise<void>;
  /** Start again on the same port and store; stops it first if it is running. */
  restart(): Promise<void>;
  /** stop(), then remove the dirs this helper created. */
  dispose(): Promise<void>;
}

const PORT_ATTEMPTS = 3;

/** The binary the tests run, or an error that says how to get one. */
export function natsServerBinaryForTests(): string {
  const binary = findNatsServerBinary();
  if (binary !== undefined) return binary;
  const configured = process.env[NATS_SERVER_BIN_ENV];
  if (configured !== undefined && configured !== '') {
    throw new Error(`nats-server not found: ${NATS_SERVER_BIN_ENV}=${configured} is not an executable file`);
  }
  throw new Error(`nats-server not found: install it (apt-get install nats-server) or set ${NATS_SERVER_BIN_ENV}`);
}

/** A test's view of a launched server (@jetmesh/runtime), and `dispose` removing `ownDir`. */
export function testServerHandle(server: NatsServerProcess, ownDir: string): NatsServerHandle {
  return {
    url: server.url,
    port: server.port,
    storeDir: server.storeDir,
    output: () => server.output(),
    stop: () => server.stop(),
    kill: () => server.kill(),
    restart: () => server.restart(),
    dispose: async () => {
      await server.stop();
      await rm(ownDir, { recursive: true, force: true });
      forgetTempDir(ownDir);
    },
  };
}

/**
 * A private `nats-server -js` for one test suite (launchNatsServer of @jetmesh/runtime) in a temp
 * dir, on a free port unless given one; reaped when the test process ends.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = natsServerBinaryForTests();
  const ownDir = await mkdtemp(join(tmpdir(), 'jetmesh-nats-'));
  removeOnExit(ownDir);
  for (let attempt = 1; ; attempt++) {
    try {
      const server = await launchNatsServer({
        binary,
        port: opts.port ?? (await freePort()),
        storeDir: opts.storeDir ?? join(ownDir, 'store'),
        configDir: ownDir,
        onSpawn: reapOnExit,
        ...(opts.configFile === undefined ? {} : { include: opts.configFile }),
        ...(opts.env === undefined ? {} : { env: opts.env }),
        ...(opts.maxPayload === undefined ? {} : { maxPayload: opts.maxPayload }),
        ...(opts.startTimeoutMs === undefined ? {} : { startTimeoutMs: opts.startTimeoutMs }),
      });
      return testServerHandle(server, ownDir);
    } catch (err) {
      // freePort() is racy: another process may take the port before the server binds it.
      if (err instanceof NatsPortInUseError && opts.port === undefined && attempt < PORT_ATTEMPTS) continue;
      await rm(ownDir, { recursive: true, force: true });
      forgetTempDir(ownDir);
      throw err;
    }
  }
}

export interface NatsCredentials {
  readonly user: string;
  readonly pass: string;
}

export interface MeshNatsServerHandle extends NatsServerHandle {
  /** The password generated for `user` in this run. */
  credentials(user: MeshNatsUser): NatsCredentials;
  /** JETMESH_NATS_URL, JETMESH_NATS_USER and JETMESH_NATS_PASSWORD for a component connecting as `user`. */
  envFor(user: MeshNatsUser): Record<string, string>;
}

/** deploy/nats/nats-server.conf with a fresh password per component's user: the server options, and what a component connects with. */
export function meshUsersConfig(): {
  readonly options: Required<Pick<NatsServerOptions, 'configFile' | 'env'>>;
  credentials(user: MeshNatsUser): NatsCredentials;
  envFor(url: string, user: MeshNatsUser): Record<string, string>;
} {
  const passwords = new Map(MeshNatsUsers.map((user) => [user, generateNatsPassword()]));
  const env = Object.fromEntries(MeshNatsUsers.map((user) => [natsPasswordVariable(user), passwords.get(user) ?? '']));
  const credentials = (user: MeshNatsUser): NatsCredentials => ({ user, pass: passwords.get(user) ?? '' });
  return {
    options: { configFile: join(repoRoot, MESH_NATS_CONFIG), env },
    credentials,
    envFor: (url, user) => ({ JETMESH_NATS_URL: url, JETMESH_NATS_USER: user, JETMESH_NATS_PASSWORD: credentials(user).pass }),
  };
}

/** A private nats-server running deploy/nats/nats-server.conf: every component's user with its permissions, a fresh password each. */
export async function startMeshNatsServer(opts: Omit<NatsServerOptions, 'configFile' | 'env'> = {}): Promise<MeshNatsServerHandle> {
  const users = meshUsersConfig();
  const server = await startNatsServer({ ...opts, ...users.options });
  return {
    ...server,
    credentials: users.credentials,
    envFor: (user) => users.envFor(server.url, user),
  };
}
