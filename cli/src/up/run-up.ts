import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { CONTEXT_DIR, contextFilePath, defaultAddresses, readContextFile, removeContext, writeContext, type UpContext } from '../context.js';
import { MAX_STREAM_REPLICAS, findNatsServerBinary, freePort, isPortFree, waitUntilReady } from '@jetmesh/runtime';
import { NATS_NOT_FOUND, startLocalNats, type LocalNats } from './local-nats.js';
import { CLI_NATS_USER, prepareLocalNatsUsers, type LocalNatsUsers } from './nats-users.js';
import { repoRoot } from './repo-root.js';
import { defaultRestartPolicy, formatDelay, type RestartPolicy } from './restart-policy.js';
import { meshServices, type ContextAddressField, type ServiceSpec } from './service-table.js';
import { mintAdminConfigToken } from './admin-config-token.js';
import { renderStatusTable, type StatusRow } from './status-table.js';
import { SupervisedService } from './supervised-service.js';

export interface UpOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Default: the mesh's services. Tests pass stand-ins. */
  readonly services?: readonly ServiceSpec[];
  /** Aborting stops everything, like Ctrl-C. When given, `up` leaves process signals alone. */
  readonly signal?: AbortSignal;
  readonly restartPolicy?: RestartPolicy;
  /** How long each service may take to answer /readyz 200; default 30 s. */
  readonly readyTimeoutMs?: number;
  /** SIGTERM to SIGKILL; default 5 s. */
  readonly stopGraceMs?: number;
  /** Processes per service, each on its own ports; default 1. */
  readonly replicas?: number;
  /** Nodes of a local NATS cluster (every stream and bucket replicated that many times, at most 5); default 0: one server. */
  readonly natsCluster?: number;
}

const HINT = 'try: npx jetmesh apply -f examples/bookinfo-reviews.yaml && npx jetmesh routes reviews; npx jetmesh dashboard --with-token opens the console; npx jetmesh status shows every replica';
const NATS_URL_ENV = 'JETMESH_NATS_URL';
const ADMIN_PORT_ENV = 'JETMESH_ADMIN_PORT';
const STREAM_REPLICAS_ENV = 'JETMESH_STREAM_REPLICAS';

/** Expected ways `up` cannot go on; each ends the run with exit code 1 and this message. */
class UpFailure {
  constructor(readonly message: string) {}
}

interface PlannedService {
  readonly spec: ServiceSpec;
  /** The service's name, with the replica's number when it runs more than one: galley-2. */
  readonly name: string;
  readonly replica: number;
  readonly entryPath: string;
  readonly port: number;
  readonly adminPort: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Another `up` in this directory would share the NATS store: refuse while its recorded pid lives. */
function checkNotRunning(cwd: string): E.Either<UpFailure, void> {
  const file = contextFilePath(cwd);
  if (!existsSync(file)) return E.right(undefined);
  const contents = readContextFile(file);
  const pid = E.isRight(contents) ? contents.right.supervisorPid : undefined;
  return pid !== undefined && pid !== process.pid && isAlive(pid)
    ? E.left(new UpFailure(`jetmesh up is already running here (pid ${pid}, see ${relative(cwd, file)}); stop it first`))
    : E.right(undefined);
}

function findEntries(services: readonly ServiceSpec[]): E.Either<UpFailure, string[]> {
  const paths = services.map((s) => resolve(repoRoot, s.entry));
  const missing = services.filter((_, i) => !existsSync(paths[i]!));
  return missing.length === 0
    ? E.right(paths)
    : E.left(new UpFailure(missing.map((s) => `${s.name} is not built (${s.entry} is missing): run npm run build first`).join('\n')));
}

function parsePortEnv(env: NodeJS.ProcessEnv, variable: string): E.Either<UpFailure, number | undefined> {
  const raw = env[variable];
  if (raw === undefined || raw === '') return E.right(undefined);
  return /^\d+$/.test(raw) && Number(raw) <= 65535
    ? E.right(Number(raw))
    : E.left(new UpFailure(`invalid environment: ${variable}=${JSON.stringify(raw)}: must be an integer between 0 and 65535`));
}

/** A service's variables naming other services' addresses, from the ports planned for them. */
/** The first replica of the service with `field`: what the CLI and other services are given. */
function addressOf(planned: readonly PlannedService[], field: ContextAddressField): string {
  const target = planned.find((p) => p.spec.contextField === field);
  return target !== undefined ? `127.0.0.1:${target.port}` : defaultAddresses[field];
}

function addressVariables(spec: ServiceSpec, planned: readonly PlannedService[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [variable, field] of Object.entries(spec.addressEnv ?? {})) out[variable] = addressOf(planned, field);
  return out;
}

function checkCounts(replicas: number, natsCluster: number): E.Either<UpFailure, void> {
  if (!Number.isInteger(replicas) || replicas < 1) return E.left(new UpFailure(`--replicas must be a whole number of at least 1, got ${replicas}`));
  if (!Number.isInteger(natsCluster) || natsCluster < 0 || natsCluster > MAX_STREAM_REPLICAS) {
    return E.left(new UpFailure(`--nats-cluster must be a whole number from 1 to ${MAX_STREAM_REPLICAS} (JetStream keeps at most ${MAX_STREAM_REPLICAS} copies), got ${natsCluster}`));
  }
  return E.right(undefined);
}

/** The variable's port if set, else the service's default if free, else any free port; replicas after the first take any free port. */
async function chooseReplicaPort(spec: ServiceSpec, replica: number, env: NodeJS.ProcessEnv, note: (line: string) => void): Promise<E.Either<UpFailure, number>> {
  return replica === 0 ? choosePort(spec, env, note) : E.right(await freePort());
}

/** The variable's port if set, else the service's default if free, else any free port. */
async function choosePort(spec: ServiceSpec, env: NodeJS.ProcessEnv, note: (line: string) => void): Promise<E.Either<UpFailure, number>> {
  const configured = parsePortEnv(env, spec.portEnv);
  if (E.isLeft(configured)) return configured;
  if (configured.right !== undefined && configured.right !== 0) return E.right(configured.right);
  if (configured.right === undefined && spec.defaultPort !== 0) {
    if (await isPortFree(spec.defaultPort)) return E.right(spec.defaultPort);
    const port = await freePort();
    note(`${spec.name}: port ${spec.defaultPort} is in use; using ${port} (set ${spec.portEnv} to choose)`);
    return E.right(port);
  }
  return E.right(await freePort());
}

/**
 * `jetmesh up`: a private nats-server (unless JETMESH_NATS_URL is set), then
 * every service as a supervised child; waits for readiness, writes
 * .jetmesh/context.json and runs until stopped. Resolves with the exit code.
 */
export async function runUp(opts: UpOptions): Promise<number> {
  const { cwd, env, stdout, stderr } = opts;
  const specs = opts.services ?? meshServices;
  const policy = opts.restartPolicy ?? defaultRestartPolicy;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const graceMs = opts.stopGraceMs ?? 5_000;
  const replicas = opts.replicas ?? 1;
  const natsCluster = opts.natsCluster ?? 0;
  const say = (line: string) => stderr.write(`${line}\n`);

  const stopRequested = new AbortController();
  let failWith: (failure: UpFailure) => void = () => {};
  const failed = new Promise<UpFailure>((resolveFailure) => (failWith = resolveFailure));
  const stopped = new Promise<void>((resolveStop) => stopRequested.signal.addEventListener('abort', () => resolveStop()));

  let nats: LocalNats | undefined;
  // Set when `up` runs its own nats-server: then on the local mesh account, each service as its own user.
  let natsUsers: LocalNatsUsers | undefined;
  const running: SupervisedService[] = [];
  let contextWritten = false;

  const killAll = () => {
    for (const service of running) service.kill();
    nats?.kill();
  };
  let signalsSeen = 0;
  const onSignal = () => {
    signalsSeen++;
    if (signalsSeen === 1) {
      say('stopping (again to kill at once)');
      stopRequested.abort();
    } else {
      say('killing everything now');
      killAll();
    }
  };
  const onAbort = () => stopRequested.abort();
  if (opts.signal !== undefined) {
    if (opts.signal.aborted) stopRequested.abort();
    opts.signal.addEventListener('abort', onAbort);
  } else {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  // Children live in their own process groups; if `up` dies they must not linger.
  process.on('exit', killAll);

  const writeCurrentContext = (natsUrl: string, planned: readonly PlannedService[]) => {
    const address = (field: ContextAddressField) => addressOf(planned, field);
    const services: Record<string, { pid: number; adminUrl: string }> = {};
    for (const node of nats?.nodes ?? []) {
      services[node.serverName === undefined ? 'nats' : `nats-${node.serverName}`] = { pid: node.pid, adminUrl: node.monitorUrl ?? '' };
    }
    for (const [i, p] of planned.entries()) {
      services[p.name] = { pid: running[i]?.pid ?? 0, adminUrl: `http://127.0.0.1:${p.adminPort}` };
    }
    const ctx: UpContext = {
      natsUrl,
      galleyAddress: address('galleyAddress'),
      pilotXdsAddress: address('pilotXdsAddress'),
      citadelAddress: address('citadelAddress'),
      supervisorPid: process.pid,
      services,
      ...(natsUsers === undefined ? {} : { natsCredsFile: relative(join(cwd, CONTEXT_DIR), natsUsers.cliCredsFile) }),
    };
    writeContext(cwd, ctx);
    contextWritten = true;
  };

  const run = async (): Promise<UpFailure | undefined> => {
    const counts = checkCounts(replicas, natsCluster);
    if (E.isLeft(counts)) return counts.left;
    const entries = findEntries(specs);
    if (E.isLeft(entries)) return entries.left;
    const notRunning = checkNotRunning(cwd);
    if (E.isLeft(notRunning)) return notRunning.left;

    let natsUrl = env[NATS_URL_ENV];
    let natsRows: StatusRow[];
    if (natsUrl !== undefined && natsUrl !== '') {
      if (natsCluster > 0) return new UpFailure(`--nats-cluster starts its own NATS cluster: unset ${NATS_URL_ENV} (${natsUrl}) or drop --nats-cluster`);
      natsRows = [{ service: 'nats', listensOn: `${natsUrl}  (external, from ${NATS_URL_ENV})`, admin: '-' }];
    } else {
      const binary = findNatsServerBinary(env);
      if (binary === undefined) return new UpFailure(NATS_NOT_FOUND);
      const users = prepareLocalNatsUsers(cwd, natsCluster);
      if (E.isLeft(users)) return new UpFailure(users.left);
      natsUsers = users.right;
      for (const line of natsUsers.migrated) say(`migrated: ${line}`);
      const started = await startLocalNats({ binary, contextDir: join(cwd, CONTEXT_DIR), clusterSize: natsCluster, accountsConf: natsUsers.accountsConf });
      if (E.isLeft(started)) return stopRequested.signal.aborted ? undefined : new UpFailure(started.left);
      nats = started.right;
      if (stopRequested.signal.aborted) return undefined;
      natsUrl = nats.urls;
      nats.onExit((node, how, stillRunning) => {
        if (stopRequested.signal.aborted) return;
        const which = node.serverName === undefined ? 'nats-server' : `nats-server ${node.serverName}`;
        const report = `${which} exited with ${how}; its last output:\n${node.output()}`;
        // A cluster is there to lose a node: the services go on with the others (JetStream re-elects leaders).
        if (stillRunning > 0 && natsCluster > 0) say(`${report}\nthe cluster goes on with ${stillRunning} of ${natsCluster} nodes`);
        else failWith(new UpFailure(report));
      });
      natsRows = nats.rows(cwd);
    }

    const planned: PlannedService[] = [];
    const taken = new Set<number>();
    // freePort() answers what is free now; two picks before anything binds may coincide.
    const distinct = async (port: number): Promise<number> => {
      let chosen = port;
      while (taken.has(chosen)) chosen = await freePort();
      taken.add(chosen);
      return chosen;
    };
    for (const [i, spec] of specs.entries()) {
      for (let replica = 0; replica < replicas; replica++) {
        const port = await chooseReplicaPort(spec, replica, env, say);
        if (E.isLeft(port)) return port.left;
        const name = replicas === 1 ? spec.name : `${spec.name}-${replica + 1}`;
        planned.push({ spec, name, replica, entryPath: entries.right[i]!, port: await distinct(port.right), adminPort: await distinct(await freePort()) });
      }
    }

    const nameWidth = Math.max(...planned.map((p) => p.name.length));
    const resolvedNatsUrl = natsUrl;
    for (const p of planned) {
      const service = new SupervisedService({
        spec: p.spec,
        entryPath: p.entryPath,
        env: {
          ...env,
          [NATS_URL_ENV]: resolvedNatsUrl,
          ...(natsUsers !== undefined && p.spec.natsUser !== undefined ? natsUsers.envFor(p.spec.natsUser) : {}),
          [ADMIN_PORT_ENV]: String(p.adminPort),
          [p.spec.portEnv]: String(p.port),
          ...(natsCluster > 0 ? { [STREAM_REPLICAS_ENV]: String(natsCluster) } : {}),
          ...(p.spec.replicaEnv === undefined ? {} : { [p.spec.replicaEnv]: p.name }),
          ...addressVariables(p.spec, planned),
        },
        name: p.name,
        prefix: `${p.name.padEnd(nameWidth)} | `,
        stdout,
        stderr,
        policy,
        onRestarted: () => {
          if (contextWritten) writeCurrentContext(resolvedNatsUrl, planned);
        },
        onGaveUp: (report) => failWith(new UpFailure(report)),
      });
      running.push(service);
      service.start();
    }

    const readiness = new AbortController();
    const waits = planned.map(async (p, i) => {
      const result = await waitUntilReady(`http://127.0.0.1:${p.adminPort}/readyz`, { timeoutMs: readyTimeoutMs, signal: readiness.signal, pollMs: 200 });
      if (result.ready || readiness.signal.aborted) return undefined;
      return new UpFailure(
        `${p.name} not ready after ${formatDelay(readyTimeoutMs)} (last /readyz: ${result.last}); its last output:\n${running[i]!.tail.report()}`,
      );
    });
    const startup = await Promise.race([
      Promise.all(waits).then((results) => results.find((r) => r !== undefined)),
      failed,
      stopped.then(() => undefined),
    ]);
    readiness.abort();
    if (startup !== undefined || stopRequested.signal.aborted) return startup;

    writeCurrentContext(resolvedNatsUrl, planned);
    // Galley requires a token; the developer gets an admin one the CLI sends by default.
    const citadel = planned.find((p) => p.spec.contextField === 'citadelAddress');
    let tokenLine = '';
    if (citadel !== undefined) {
      try {
        const file = await mintAdminConfigToken({
          cwd,
          env,
          natsUrl: resolvedNatsUrl,
          ...(natsUsers === undefined ? {} : { natsCredentials: natsUsers.envFor(CLI_NATS_USER) }),
          citadelAddress: `127.0.0.1:${citadel.port}`,
        });
        tokenLine = `config token (admin, all namespaces): ${relative(cwd, file)}\n`;
      } catch (err) {
        return new UpFailure(`could not mint the admin config token: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const rows: StatusRow[] = [
      ...natsRows,
      ...planned.map((p) => ({
        service: p.name,
        listensOn: `127.0.0.1:${p.port} (${p.spec.serves})`,
        admin: `http://127.0.0.1:${p.adminPort}`,
      })),
    ];
    stdout.write(`${renderStatusTable(rows)}\n\n`);
    stdout.write(`context: ${relative(cwd, contextFilePath(cwd))}   stop: Ctrl-C\n${tokenLine}${HINT}\n`);

    return Promise.race([failed, stopped.then(() => undefined)]);
  };

  let failure: UpFailure | undefined;
  try {
    failure = await run();
    if (failure !== undefined) say(failure.message);
  } finally {
    stopRequested.abort();
    for (const service of [...running].reverse()) await service.stop(graceMs);
    await nats?.stop(graceMs);
    if (contextWritten) removeContext(cwd);
    opts.signal?.removeEventListener('abort', onAbort);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', killAll);
  }
  return failure === undefined ? 0 : 1;
}
