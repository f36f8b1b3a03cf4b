import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { freePort } from '@jetmesh/runtime';
import { OutputTail } from './output-tail.js';
import { waitUntilReady } from './readiness.js';
import { hasExited, stopChild } from './stop-child.js';

export const NATS_NOT_FOUND =
  'nats-server not found: install it (apt-get install nats-server) or set JETMESH_NATS_URL to a running JetStream server';

const STARTUP_TIMEOUT_MS = 15_000;

/** A private nats-server: loopback only, on a free port, never the machine's shared 4222. */
export interface NatsServerProcess {
  readonly url: string;
  readonly monitorUrl: string;
  readonly pid: number;
  readonly tail: OutputTail;
  /** Resolves with a description of how it ended. */
  readonly exited: Promise<string>;
  stop(graceMs: number): Promise<void>;
  kill(): void;
}

function describeExit(child: ChildProcess): Promise<string> {
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(signal !== null ? `signal ${signal}` : `code ${code ?? '?'}`)),
  );
}

/** A config file for the server and the environment it reads (the users' passwords). */
export interface NatsServerConfig {
  readonly file: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Starts nats-server with JetStream stored in `storeDir`; Left explains why it did not come up. */
export async function startNatsServer(bin: string, storeDir: string, abort: AbortSignal, config?: NatsServerConfig): Promise<E.Either<string, NatsServerProcess>> {
  mkdirSync(storeDir, { recursive: true });
  const port = await freePort();
  const monitorPort = await freePort();
  // The command line wins over the config file: loopback, a free port, the store under .jetmesh/.
  const args = [...(config === undefined ? [] : ['-c', config.file]), '-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-sd', storeDir];
  // Own process group: a terminal's Ctrl-C reaches only `up`, which stops the services before the server.
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...config?.env },
  });
  const tail = new OutputTail('nats | ', 30);
  tail.follow(child.stdout!, undefined);
  tail.follow(child.stderr!, undefined);
  const exited = describeExit(child);
  const spawnFailed = new Promise<string>((resolve) => child.once('error', (err) => resolve(err.message)));

  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  const startup = new AbortController();
  const onAbort = () => startup.abort();
  abort.addEventListener('abort', onAbort);
  const outcome = await Promise.race([
    waitUntilReady(`${monitorUrl}/healthz?js-enabled-only=true`, STARTUP_TIMEOUT_MS, startup.signal).then((r) =>
      r.ready ? undefined : `nats-server not ready after ${STARTUP_TIMEOUT_MS / 1000}s (${r.last})`,
    ),
    exited.then((how) => `nats-server exited with ${how} while starting`),
    spawnFailed.then((msg) => `cannot start ${bin}: ${msg}`),
  ]);
  startup.abort();
  abort.removeEventListener('abort', onAbort);

  if (outcome !== undefined || abort.aborted) {
    if (!hasExited(child) && child.pid !== undefined) await stopChild(child, 2000);
    return E.left(`${outcome ?? 'stopped while starting nats-server'}; its last output:\n${tail.report()}`);
  }
  return E.right({
    url: `nats://127.0.0.1:${port}`,
    monitorUrl,
    pid: child.pid ?? 0,
    tail,
    exited,
    stop: (graceMs) => stopChild(child, graceMs),
    kill: () => void child.kill('SIGKILL'),
  });
}
