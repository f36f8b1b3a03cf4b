import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { forgetTempDir, reapOnExit, removeOnExit } from './child-reaper.js';
import {
  NATS_SERVER_BIN_ENV, NatsPortInUseError, adoptGlobalAccountStore, findNatsServerBinary, freePort, launchNatsServer, type MeshNatsUser, type NatsServerProcess,
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

/** What connectBus needs to connect as one of the mesh account's users: spread it into ConnectOptions. */
export interface NatsCredentials {
  /** A .creds file (JWT and seed) written by deploy/nats/make-accounts.mjs for this server. */
  readonly credsFile: string;
}

export interface MeshNatsServerHandle extends NatsServerHandle {
  /**
   * The user `user` of this run's mesh account (make-accounts.mjs minted it from its list in
   * mesh-users.conf). `proxy` is the shared proxy user (PROXY_PERMISSIONS), which only the tests
   * mint: a sidecar process starts as the bootstrap user instead (envFor('proxy')).
   */
  credentials(user: MeshNatsUser): NatsCredentials;
  /**
   * What a component started as `user` gets: JETMESH_NATS_URL and JETMESH_NATS_CREDS (its .creds
   * file; for `proxy` the bootstrap user's, as every sidecar), and for `citadel` the account and
   * signing key it mints the sidecars' own users with.
   */
  envFor(user: MeshNatsUser): Record<string, string>;
}

/** The script every deployment mints its mesh account with; the helpers run it too (one way to make users). */
const MAKE_ACCOUNTS = join(repoRoot, 'deploy', 'nats', 'make-accounts.mjs');
const BOOTSTRAP_CREDS = 'proxy-bootstrap.creds';
const CITADEL_ACCOUNT_ENV = 'citadel-account.env';
const execFileAsync = promisify(execFile);

/** A mesh account made by deploy/nats/make-accounts.mjs in `dir`, as a test server's config and its users' credentials. */
export interface MeshAccountConfig {
  /** The accounts.conf a server includes (operator mode, the accounts preloaded). */
  readonly accountsConf: string;
  readonly accountPublicKey: string;
  credentials(user: MeshNatsUser): NatsCredentials;
  envFor(url: string, user: MeshNatsUser): Record<string, string>;
}

/**
 * Runs deploy/nats/make-accounts.mjs into `dir` (with the tests' shared proxy user). A script and
 * not @jetmesh/bus's writeMeshAccountDir called here: @jetmesh/bus's own tests use this package,
 * which therefore cannot depend on it; the script calls that function.
 */
export async function makeMeshAccount(dir: string): Promise<MeshAccountConfig> {
  try {
    await execFileAsync(process.execPath, [MAKE_ACCOUNTS, dir, '--shared-proxy-user']);
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(`${MAKE_ACCOUNTS} failed (is @jetmesh/bus built?): ${stderr ?? (err as Error).message}`, { cause: err });
  }
  const citadelEnv = Object.fromEntries(
    (await readFile(join(dir, CITADEL_ACCOUNT_ENV), 'utf8'))
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const credentials = (user: MeshNatsUser): NatsCredentials => ({ credsFile: join(dir, `${user}.creds`) });
  return {
    accountsConf: join(dir, 'accounts.conf'),
    accountPublicKey: citadelEnv.JETMESH_CITADEL_NATS_ACCOUNT ?? '',
    credentials,
    envFor: (url, user) => ({
      JETMESH_NATS_URL: url,
      JETMESH_NATS_CREDS: user === 'proxy' ? join(dir, BOOTSTRAP_CREDS) : credentials(user).credsFile,
      ...(user === 'citadel' ? citadelEnv : {}),
    }),
  };
}

/**
 * A private nats-server on a fresh mesh account (operator mode: every component's user a JWT
 * with its permissions). A `storeDir` written without users is adopted by the account first,
 * as `jetmesh up` does with an older .jetmesh/ (adoptGlobalAccountStore).
 */
export async function startMeshNatsServer(opts: Omit<NatsServerOptions, 'configFile' | 'env'> = {}): Promise<MeshNatsServerHandle> {
  const accountDir = await mkdtemp(join(tmpdir(), 'jetmesh-nats-account-'));
  removeOnExit(accountDir);
  const dropAccount = async (): Promise<void> => {
    await rm(accountDir, { recursive: true, force: true });
    forgetTempDir(accountDir);
  };
  let server: NatsServerHandle;
  let account: MeshAccountConfig;
  try {
    account = await makeMeshAccount(accountDir);
    if (opts.storeDir !== undefined) adoptGlobalAccountStore(opts.storeDir, account.accountPublicKey);
    server = await startNatsServer({ ...opts, configFile: account.accountsConf });
  } catch (err) {
    await dropAccount();
    throw err;
  }
  return {
    ...server,
    dispose: async () => {
      await server.dispose();
      await dropAccount();
    },
    credentials: account.credentials,
    envFor: (user) => account.envFor(server.url, user),
  };
}
