import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { forgetTempDir, reapOnExit, removeOnExit } from './child-reaper.js';
import { MESH_NATS_CONFIG, MeshNatsUsers, NATS_SERVER_BIN_ENV, findNatsServerBinary, freePort, generateNatsPassword, natsPasswordVariable, type MeshNatsUser } from '@jetmesh/runtime';
import { OutputLog } from './output-log.js';
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
  /** Extra command-line arguments (a cluster node's name, cluster listen address and routes). */
  readonly args?: readonly string[];
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

const STOP_GRACE_MS = 10_000;
const OUTPUT_LINES = 200;
const PORT_ATTEMPTS = 3;

function notFoundMessage(): string {
  const configured = process.env[NATS_SERVER_BIN_ENV];
  if (configured !== undefined && configured !== '') {
    return `nats-server not found: ${NATS_SERVER_BIN_ENV}=${configured} is not an executable file`;
  }
  return `nats-server not found: install it (apt-get install nats-server) or set ${NATS_SERVER_BIN_ENV}`;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

class AddressInUse extends Error {}

/**
 * Spawns a private `nats-server -js` for one test suite. Resolves once the server
 * logged "Server is ready" (JetStream is enabled before that line in 2.9) and a
 * TCP connect succeeds.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = findNatsServerBinary();
  if (binary === undefined) throw new Error(notFoundMessage());

  const ownDir = await mkdtemp(join(tmpdir(), 'jetmesh-nats-'));
  removeOnExit(ownDir);
  const storeDir = opts.storeDir ?? join(ownDir, 'store');
  const configFile = join(ownDir, 'nats-server.conf');
  // max_payload has no command-line flag; everything else stays on the command line, which wins over
  // an included file. nats-server joins even an absolute include path to the including file's dir.
  await writeFile(
    configFile,
    [
      ...(opts.configFile === undefined ? [] : [`include "${relative(ownDir, opts.configFile)}"`]),
      ...(opts.maxPayload === undefined ? [] : [`max_payload: ${opts.maxPayload}`]),
    ].join('\n') + '\n',
  );

  const log = new OutputLog(OUTPUT_LINES);
  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
  let child: ChildProcess | undefined;
  let port = opts.port ?? (await freePort());

  const launch = async (): Promise<void> => {
    const args = ['-c', configFile, '-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, ...(opts.args ?? [])];
    log.append(`--- ${binary} ${args.join(' ')}\n`);
    const spawned = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    child = spawned;
    reapOnExit(spawned);
    spawned.stdout?.setEncoding('utf8').on('data', (chunk: string) => log.append(chunk));
    spawned.stderr?.setEncoding('utf8').on('data', (chunk: string) => log.append(chunk));

    const before = log.text().length;
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string, error: Error = new Error(why)): void => {
        cleanup();
        reject(error);
      };
      const check = (): void => {
        const since = log.text().slice(before);
        if (/address already in use/i.test(since)) {
          fail('', new AddressInUse(`nats-server cannot listen: port ${port} in use; output:\n${log.text()}`));
        }
        else if (/Server is ready/.test(since)) {
          cleanup();
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null): void =>
        fail(`nats-server exited during startup (code ${code}, signal ${signal})`);
      const onError = (err: Error): void => fail(`cannot spawn ${binary}: ${err.message}`);
      const timer = setTimeout(() => fail(`nats-server not ready after ${startTimeoutMs} ms`), startTimeoutMs);
      const unsubscribe = log.onAppend(check);
      const cleanup = (): void => {
        clearTimeout(timer);
        unsubscribe();
        spawned.off('exit', onExit);
        spawned.off('error', onError);
      };
      spawned.once('exit', onExit);
      spawned.once('error', onError);
      check();
    }).catch(async (err: unknown) => {
      spawned.kill('SIGKILL');
      await waitForExit(spawned);
      if (err instanceof AddressInUse) throw err;
      throw new Error(`${(err as Error).message}; nats-server output:\n${log.text()}`);
    });
    if (!(await canConnect(port))) {
      spawned.kill('SIGKILL');
      await waitForExit(spawned);
      throw new Error(`nats-server said it is ready but port ${port} refuses connections; output:\n${log.text()}`);
    }
  };

  const signalAndWait = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), STOP_GRACE_MS);
    await waitForExit(running);
    clearTimeout(timer);
  };

  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      // freePort() is racy: another process may take the port before the server binds it.
      if (err instanceof AddressInUse && opts.port === undefined && attempt < PORT_ATTEMPTS) {
        port = await freePort();
        continue;
      }
      await rm(ownDir, { recursive: true, force: true });
      forgetTempDir(ownDir);
      throw err;
    }
  }

  const url = `nats://127.0.0.1:${port}`;
  return {
    url,
    port,
    storeDir,
    output: () => log.text(),
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    restart: async () => {
      await signalAndWait('SIGTERM');
      await launch();
    },
    dispose: async () => {
      await signalAndWait('SIGTERM');
      await rm(ownDir, { recursive: true, force: true });
      forgetTempDir(ownDir);
    },
  };
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
