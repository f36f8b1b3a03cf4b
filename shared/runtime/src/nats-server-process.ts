import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join, relative } from 'node:path';
import { OutputLog } from './output-log.js';

/** A cluster node's part of the command line: its name, route listener and the other nodes' routes. */
export interface NatsRouteOptions {
  readonly clusterName: string;
  /** Where this node listens for routes (loopback). */
  readonly port: number;
  /** The other nodes' route URLs, nats://127.0.0.1:PORT. */
  readonly routes: readonly string[];
}

export interface NatsServerLaunch {
  /** The nats-server executable (findNatsServerBinary). */
  readonly binary: string;
  /** Client port on 127.0.0.1. */
  readonly port: number;
  /** HTTP monitoring port (/healthz, /jsz); none when undefined. */
  readonly monitorPort?: number;
  /** JetStream store. */
  readonly storeDir: string;
  /** Where the generated nats-server.conf goes (it includes `include` and sets max_payload). */
  readonly configDir: string;
  /** A config file to include, e.g. deploy/nats/nats-server.conf with every component's user. */
  readonly include?: string;
  /** Extra environment of the server, e.g. the users' password variables `include` refers to. */
  readonly env?: Readonly<Record<string, string>>;
  /** max_payload in bytes (nats-server default: 1 MiB). */
  readonly maxPayload?: number;
  /** server_name: what JetStream reports as a leader or replica. */
  readonly serverName?: string;
  readonly cluster?: NatsRouteOptions;
  /** How long the server may take to say it is ready; default 20 s. */
  readonly startTimeoutMs?: number;
  /** Own process group, so a terminal's Ctrl-C reaches only the supervisor, which stops it in order. */
  readonly detached?: boolean;
  /** Lines of output kept for reports (across restarts); default 200. */
  readonly outputLines?: number;
  /** Every process spawned, e.g. for a test's reaper. */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** The port was free when chosen and taken before the server bound it: choose another and retry. */
export class NatsPortInUseError extends Error {
  override readonly name = 'NatsPortInUseError';
}

export interface NatsServerProcess {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** http://127.0.0.1:PORT of the monitoring endpoint, when it has one. */
  readonly monitorUrl: string | undefined;
  readonly storeDir: string;
  readonly serverName: string | undefined;
  /** The current process's pid; 0 when not running. */
  readonly pid: number;
  readonly running: boolean;
  /** Resolves with how the current process ended ("signal SIGKILL", "code 1"). */
  readonly exited: Promise<string>;
  /** The last lines the server wrote, across restarts. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); resolves once it is gone. No-op when not running. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL (a crash); resolves once it is gone. */
  kill(): Promise<void>;
  /** Start again on the same ports, store and config; stops it first if it is running. */
  restart(): Promise<void>;
}

const DEFAULT_STOP_GRACE_MS = 10_000;

/** The command line; it wins over the generated config file, which only holds what has no flag. */
export function natsServerArgs(launch: NatsServerLaunch, configFile: string): string[] {
  const { cluster } = launch;
  return [
    '-c', configFile, '-js', '-a', '127.0.0.1', '-p', String(launch.port), '-sd', launch.storeDir,
    ...(launch.monitorPort === undefined ? [] : ['-m', String(launch.monitorPort)]),
    ...(launch.serverName === undefined ? [] : ['-n', launch.serverName]),
    ...(cluster === undefined
      ? []
      : ['--cluster_name', cluster.clusterName, '--cluster', `nats://127.0.0.1:${cluster.port}`, ...(cluster.routes.length === 0 ? [] : ['--routes', cluster.routes.join(',')])]),
  ];
}

function describeExit(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode !== null ? `signal ${child.signalCode}` : `code ${child.exitCode}`);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal !== null ? `signal ${signal}` : `code ${code ?? '?'}`)));
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

/** Waits for "Server is ready" (JetStream is enabled before that line in 2.9); rejects with why not. */
function waitForReady(child: ChildProcess, log: OutputLog, from: number, launch: NatsServerLaunch, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = (): void => {
      const since = log.text().slice(from);
      if (/address already in use/i.test(since)) fail(new NatsPortInUseError(`nats-server cannot listen: a port (${launch.port}${launch.cluster === undefined ? '' : `, route ${launch.cluster.port}`}${launch.monitorPort === undefined ? '' : `, monitor ${launch.monitorPort}`}) is in use`));
      else if (/Server is ready/.test(since)) done();
    };
    const onExit = (code: number | null, signal: string | null): void => fail(new Error(`nats-server exited during startup (code ${code}, signal ${signal})`));
    const onError = (err: Error): void => fail(new Error(`cannot start ${launch.binary}: ${err.message}`));
    const timer = setTimeout(() => fail(new Error(`nats-server not ready after ${timeoutMs} ms`)), timeoutMs);
    const unsubscribe = log.onAppend(check);
    const cleanup = (): void => {
      clearTimeout(timer);
      unsubscribe();
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const done = (): void => {
      cleanup();
      resolve();
    };
    const fail = (err: Error): void => {
      cleanup();
      reject(err);
    };
    child.once('exit', onExit);
    child.once('error', onError);
    check();
  });
}

/**
 * Spawns `nats-server -js` on loopback and resolves once it is ready and accepts connections.
 * Rejects with the server's output when it does not come up (NatsPortInUseError when a port
 * was taken meanwhile). The one launcher for `jetmesh up` and the test helpers.
 */
export async function launchNatsServer(launch: NatsServerLaunch): Promise<NatsServerProcess> {
  mkdirSync(launch.configDir, { recursive: true });
  mkdirSync(launch.storeDir, { recursive: true });
  const configFile = join(launch.configDir, 'nats-server.conf');
  // max_payload has no flag. nats-server joins even an absolute include path to the including file's dir.
  writeFileSync(
    configFile,
    [...(launch.include === undefined ? [] : [`include "${relative(launch.configDir, launch.include)}"`]), ...(launch.maxPayload === undefined ? [] : [`max_payload: ${launch.maxPayload}`])].join('\n') + '\n',
  );
  const args = natsServerArgs(launch, configFile);
  const log = new OutputLog(launch.outputLines ?? 200);
  const timeoutMs = launch.startTimeoutMs ?? 20_000;
  let child: ChildProcess | undefined;
  let exited: Promise<string> = Promise.resolve('not started');

  const isRunning = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;
  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    const current = child;
    if (current === undefined || !isRunning()) return;
    const gone = describeExit(current);
    current.kill(signal);
    const timer = setTimeout(() => current.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  };

  const start = async (): Promise<void> => {
    log.append(`--- ${launch.binary} ${args.join(' ')}\n`);
    const spawned = spawn(launch.binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: launch.detached ?? false, env: { ...process.env, ...launch.env } });
    child = spawned;
    exited = describeExit(spawned);
    launch.onSpawn?.(spawned);
    spawned.stdout?.setEncoding('utf8').on('data', (chunk: string) => log.append(chunk));
    spawned.stderr?.setEncoding('utf8').on('data', (chunk: string) => log.append(chunk));
    try {
      await waitForReady(spawned, log, log.text().length, launch, timeoutMs);
      if (!(await canConnect(launch.port))) throw new Error(`nats-server said it is ready but port ${launch.port} refuses connections`);
    } catch (err) {
      await signalAndWait('SIGKILL', 0);
      if (err instanceof NatsPortInUseError) throw new NatsPortInUseError(`${err.message}; nats-server output:\n${log.text()}`);
      throw new Error(`${(err as Error).message}; nats-server output:\n${log.text()}`, { cause: err });
    }
  };

  await start();
  return {
    url: `nats://127.0.0.1:${launch.port}`,
    port: launch.port,
    monitorUrl: launch.monitorPort === undefined ? undefined : `http://127.0.0.1:${launch.monitorPort}`,
    storeDir: launch.storeDir,
    serverName: launch.serverName,
    get pid() {
      return isRunning() ? (child?.pid ?? 0) : 0;
    },
    get running() {
      return isRunning();
    },
    get exited() {
      return exited;
    },
    output: () => log.text(),
    stop: (graceMs = DEFAULT_STOP_GRACE_MS) => signalAndWait('SIGTERM', graceMs),
    kill: () => signalAndWait('SIGKILL', 0),
    restart: async () => {
      await signalAndWait('SIGTERM', DEFAULT_STOP_GRACE_MS);
      await start();
    },
  };
}
