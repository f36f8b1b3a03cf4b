import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiError } from '@nats-io/jetstream';
import type { BusLogger } from './bus-logger.js';
import type { Bus } from './connect.js';

/** The variable operators set the bound with (parsed by @jetmesh/runtime's NatsEnv); named in errors. */
const READY_TIMEOUT_VARIABLE = 'JETMESH_NATS_READY_TIMEOUT';

export const DEFAULT_READY_TIMEOUT_MS = 60_000;

export interface ReadyWait {
  /** How long to keep trying, from the first attempt; default 60 s. 0: one attempt. */
  readonly timeoutMs?: number;
  /** The first pause; it doubles per attempt up to maxDelayMs, each with jitter. Default 200 ms. */
  readonly initialDelayMs?: number;
  /** Default 5 s. */
  readonly maxDelayMs?: number;
  /** A warning on the first retry and then every this many; default 4. */
  readonly logEvery?: number;
  /**
   * Epoch ms after which no attempt is retried, instead of timeoutMs from each wait's first
   * attempt: one bound for a whole start (connectBus sets it on Bus.readyWait).
   */
  readonly deadline?: number;
}

/** `wait` with its bound fixed as a deadline from now, so every later wait shares what is left of it. */
export function startDeadline(wait: ReadyWait, now = Date.now()): ReadyWait {
  return wait.deadline !== undefined ? wait : { ...wait, deadline: now + (wait.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS) };
}

/** What a service needed at start never became available within the bound. */
export class JetStreamNotReadyError extends Error {
  readonly code = 'UNAVAILABLE';

  constructor(
    readonly what: string,
    readonly waitedMs: number,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `${what} did not become available within ${(waitedMs / 1000).toFixed(1)} s (${attempts} attempts; ${READY_TIMEOUT_VARIABLE} sets how long to wait): ` +
        `last error: ${describe(cause)}`,
      { cause },
    );
    this.name = 'JetStreamNotReadyError';
  }
}

/**
 * JetStream API errors a clustered nats-server answers while its meta group or a stream's
 * group has no leader (a restart, a lost node): asking again later helps.
 */
const electionCodes: ReadonlySet<number> = new Set([
  10004, // cluster incomplete
  10007, // cluster not assigned to this server
  10008, // JetStream system temporarily unavailable (no meta leader)
  10009, // cluster can not handle request (not the leader)
  10039, // JetStream not enabled for account (not yet, right after a start)
  10040, // peer not a member (yet)
  10076, // JetStream not enabled (not yet)
  10118, // stream is offline
]);

/** A replicated stream answered, but without a leader: it cannot take writes or new consumers yet. */
export class StreamLeaderlessError extends Error {
  readonly code = 'UNAVAILABLE';

  constructor(readonly stream: string) {
    super(`stream ${stream} has no leader yet`);
    this.name = 'StreamLeaderlessError';
  }
}

// Deployment errors: retrying cannot help, whatever they are wrapped in.
const fatalNames: ReadonlySet<string> = new Set(['AuthorizationError', 'UserAuthenticationExpiredError', 'PermissionViolationError', 'BusPermissionError', 'StreamReplicasError']);
const transientNames: ReadonlySet<string> = new Set(['TimeoutError', 'NoResponders', 'NoRespondersError', 'JetStreamNotEnabled', 'BusUnavailableError', 'ConnectionError', 'StreamLeaderlessError']);

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && chain.length < 8; e = e instanceof Error ? e.cause : undefined) chain.push(e);
  return chain;
}

/**
 * Whether `err` is what NATS answers while it or its JetStream is not available yet: no server
 * answers, a request times out or has no responders, or the JetStream API says its meta or
 * stream leader is being elected. False for permissions, credentials and placement.
 */
export function isJetStreamElecting(err: unknown): boolean {
  const chain = causes(err);
  if (chain.some((e) => e instanceof Error && fatalNames.has(e.name))) return false;
  return chain.some((e) => {
    if (e instanceof JetStreamApiError) return electionCodes.has(e.code) || e.status === 503;
    if (!(e instanceof Error)) return false;
    if (transientNames.has(e.name)) return true;
    // JetStreamStatusError (a consumer's pull) carries the HTTP-like status as its code.
    return e.name === 'JetStreamStatusError' && (e as Error & { code?: unknown }).code === 503;
  });
}

function describe(err: unknown): string {
  const chain = causes(err).filter((e): e is Error => e instanceof Error);
  const messages = chain.map((e) => e.message).filter((m, i, all) => m !== '' && all.indexOf(m) === i);
  return messages.length === 0 ? String(err) : messages.join(': ');
}

/**
 * Runs `attempt` until it succeeds, retrying while it fails with what NATS says while it is
 * starting or electing leaders (isJetStreamElecting), with exponential backoff and jitter, for
 * at most `wait.timeoutMs` (or until `wait.deadline`). Any other error rejects at once; running out of time rejects with a
 * JetStreamNotReadyError naming `what`.
 */
export async function untilJetStreamReady<A>(what: string, attempt: () => Promise<A>, log: BusLogger, wait: ReadyWait = {}): Promise<A> {
  const timeoutMs = wait.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const initialDelayMs = wait.initialDelayMs ?? 200;
  const maxDelayMs = wait.maxDelayMs ?? 5_000;
  const logEvery = Math.max(1, wait.logEvery ?? 4);
  const started = Date.now();
  const deadline = wait.deadline ?? started + timeoutMs;
  for (let attempts = 1; ; attempts++) {
    try {
      const value = await attempt();
      if (attempts > 1) log.info({ what, attempts, waitedMs: Date.now() - started }, `${what}: available`);
      return value;
    } catch (err) {
      if (!isJetStreamElecting(err)) throw err;
      const waitedMs = Date.now() - started;
      const left = deadline - Date.now();
      if (left <= 0) throw new JetStreamNotReadyError(what, waitedMs, attempts, err);
      const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempts - 1, 30));
      // Half fixed, half random: replicas started together do not ask in lockstep.
      const delay = Math.min(left, base / 2 + Math.random() * (base / 2));
      if ((attempts - 1) % logEvery === 0) {
        log.warn({ what, attempts, waitedMs, reason: describe(err), retryInMs: Math.round(delay) }, `${what}: not available yet (NATS starting or electing leaders); retrying`);
      }
      await sleep(delay);
    }
  }
}

/**
 * Resolves once every stream of `streams` answers with an elected leader, so what a service
 * does next (consumers, KV reads and writes, publishes) does not meet a group mid-election.
 */
export async function waitForStreamLeaders(bus: Bus, streams: readonly string[], wait: ReadyWait = {}): Promise<void> {
  for (const stream of streams) {
    await untilJetStreamReady(
      `stream ${stream}`,
      async () => {
        const info = await bus.jsm.streams.info(stream);
        // A standalone server reports no cluster: its one copy is always the leader.
        if (info.cluster !== undefined && !info.cluster.leader) throw new StreamLeaderlessError(stream);
      },
      bus.log,
      wait,
    );
  }
}
