import { randomUUID } from 'node:crypto';
import { isNoResponders, isRequestTimeout, Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import {
  decodeRegistrationReply,
  formatInvalid,
  signRegistration,
  WorkloadRegistrationCodec,
  type RegistrationOp,
  type RegistrationRefusal,
  type RegistrationReply,
  type WorkloadEntrySpec,
} from '@jetmesh/model';
import { retryDelay, type RetryPolicy } from '../identity/renewal-schedule.js';

const NO_CERTIFICATE = 'no workload certificate yet';

/** The certificate a request is signed with: the workload's current key and chain (leaf first). */
export interface RegistrationIdentity {
  readonly keyPem: string;
  readonly chainPem: string;
}

export interface RegistrationOptions {
  readonly namespace: string;
  readonly name: string;
  readonly workload: WorkloadEntrySpec;
  /** The current certificate; undefined while none has been issued yet (registration waits for one). */
  readonly identity: () => RegistrationIdentity | undefined;
  /** Default 10000; galley removes a workload after its grace period (default 30 s) without one. */
  readonly heartbeatMs?: number;
  readonly log: Logger;
  /** Backoff of register attempts galley did not accept; default 500 ms doubling to 30 s. */
  readonly retry?: RetryPolicy;
  /** One request to galley; default 5000. */
  readonly requestTimeoutMs?: number;
}

export type RegistrationState = 'registering' | 'registered' | 'stopped';

/** This proxy's WorkloadEntry in MESH_REGISTRY, kept there through galley's registrar. */
export interface Registration {
  /** Resolves with the MESH_REGISTRY sequence of the first accepted registration; never rejects (pending if it never is). */
  readonly registered: Promise<number>;
  state(): RegistrationState;
  /** The sequence galley last answered with (0 before the first). */
  sequence(): number;
  /** Galley's last refusal, until a registration is accepted again. */
  lastRefusal(): RegistrationRefusal | undefined;
  /** Registers `workload` in place of the current one (e.g. labels changed); resolves once galley accepted it, or on stop. */
  update(workload: WorkloadEntrySpec): Promise<void>;
  /**
   * Graceful stop: no more heartbeats, then asks galley to remove the entry, for at most
   * timeoutMs (default 2000). True when galley confirmed; never throws.
   */
  deregister(timeoutMs?: number): Promise<boolean>;
  /** Stops without deregistering (galley's sweeper removes the entry after its grace period). */
  stop(): void;
}

const DEFAULT_RETRY: RetryPolicy = { initialMs: 500, maxMs: 30_000 };
/** Refusals that a re-registration answers: the workload is gone, or was taken while this proxy was away. */
const REREGISTER_ON = new Set<RegistrationRefusal['code']>(['NOT_FOUND', 'ALREADY_EXISTS']);

type Outcome = { readonly kind: 'reply'; readonly reply: RegistrationReply } | { readonly kind: 'failed'; readonly why: string };

const describeError = (err: unknown): string => {
  if (isNoResponders(err)) return 'no galley is listening';
  if (isRequestTimeout(err)) return 'galley did not answer in time';
  return err instanceof Error ? err.message : String(err);
};

/**
 * Registers this workload through galley's registrar and keeps it registered: retries with
 * capped backoff until galley answers, heartbeats every heartbeatMs, registers again when
 * galley says it does not know the workload and after every NATS reconnect. A refusal is
 * logged at error level with galley's reason and retried at the backoff; nothing throws.
 */
export function startRegistration(bus: Bus, opts: RegistrationOptions): Registration {
  const { namespace, name } = opts;
  const log = opts.log.child({ part: 'registration', namespace, name });
  const heartbeatMs = opts.heartbeatMs ?? 10_000;
  const retry = opts.retry ?? DEFAULT_RETRY;
  const timeout = opts.requestTimeoutMs ?? 5_000;
  let workload = opts.workload;
  let state: RegistrationState = 'registering';
  let sequence = 0;
  let refusal: RegistrationRefusal | undefined;
  // A function, not a comparison: TypeScript would keep the narrowing across the awaits that change it.
  const isStopped = (): boolean => state === 'stopped';
  let resolveRegistered: (seq: number) => void = () => undefined;
  const registered = new Promise<number>((resolve) => (resolveRegistered = resolve));

  // Generations: a workload change or a re-registration starts one; update() waits for its own.
  let wantedGeneration = 1;
  let acceptedGeneration = 0;
  const waiters: Array<{ generation: number; resolve: () => void }> = [];
  const settleWaiters = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (state === 'stopped' || w.generation <= acceptedGeneration) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };

  // Heartbeat answers come only from a galley that does not know this workload. The last token
  // says which registration the heartbeat followed, so late answers about an older one are ignored.
  const inboxBase = `${bus.inboxPrefix}.${randomUUID().replaceAll('-', '')}`;

  const signed = (op: RegistrationOp): Uint8Array | undefined => {
    const identity = opts.identity();
    if (identity === undefined) return undefined;
    const request = signRegistration(
      { op, namespace, name, workload, at: new Date().toISOString(), nonce: randomUUID(), certChain: identity.chainPem },
      identity.keyPem,
    );
    return new TextEncoder().encode(JSON.stringify(WorkloadRegistrationCodec.encode(request)));
  };

  const ask = async (op: 'register' | 'deregister', timeoutMs: number): Promise<Outcome> => {
    const data = signed(op);
    if (data === undefined) return { kind: 'failed', why: NO_CERTIFICATE };
    try {
      await bus.waitConnected(timeoutMs);
      const answer = await bus.nc.request(Subjects.registryRequests, data, { timeout: timeoutMs });
      const decoded = decodeRegistrationReply(answer.json());
      if (decoded._tag === 'Left') return { kind: 'failed', why: `galley's answer is not a registration reply: ${decoded.left.map(formatInvalid).join('; ')}` };
      return { kind: 'reply', reply: decoded.right };
    } catch (err) {
      return { kind: 'failed', why: describeError(err) };
    }
  };

  let wake: () => void = () => undefined;
  let looping = false;
  let loop: Promise<void> = Promise.resolve();
  let failures = 0;
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const registerLoop = async (): Promise<void> => {
    looping = true;
    try {
      while (state !== 'stopped' && acceptedGeneration < wantedGeneration) {
        const generation = wantedGeneration;
        const outcome = await ask('register', timeout);
        if (isStopped()) return;
        if (outcome.kind === 'reply' && outcome.reply.ok) {
          const first = sequence === 0;
          sequence = outcome.reply.sequence;
          refusal = undefined;
          failures = 0;
          acceptedGeneration = Math.max(acceptedGeneration, generation);
          if (acceptedGeneration >= wantedGeneration) state = 'registered';
          log.info({ seq: sequence, labels: workload.labels }, first ? 'workload registered' : 'workload registration renewed');
          resolveRegistered(sequence);
          settleWaiters();
          continue;
        }
        failures++;
        const delay = retryDelay(failures, retry, Math.random());
        if (outcome.kind === 'reply' && !outcome.reply.ok) {
          const { code, reason } = outcome.reply;
          refusal = { code, reason };
          if (code === 'UNAVAILABLE') log.warn({ code, reason, retryInMs: delay }, 'galley cannot register the workload yet');
          else log.error({ code, reason, retryInMs: delay }, `galley refused to register ${namespace}/${name}: ${code}: ${reason}`);
        } else if (outcome.kind === 'failed') {
          // Waiting for the first certificate is the normal start, not a problem worth a warning.
          (outcome.why === NO_CERTIFICATE ? log.debug.bind(log) : log.warn.bind(log))({ why: outcome.why, retryInMs: delay }, 'workload registration not answered; retrying');
        }
        await pause(delay);
      }
    } finally {
      looping = false;
    }
  };

  /** Starts (or hurries) a registration of the current workload. */
  const reregister = (why: string): void => {
    if (state === 'stopped') return;
    if (acceptedGeneration >= wantedGeneration) wantedGeneration++;
    state = 'registering';
    log.debug({ why }, 'registering');
    if (looping) {
      failures = 0;
      wake();
      return;
    }
    loop = registerLoop().catch((err: unknown) => log.error({ err }, 'registration loop failed'));
  };

  const heartbeatReplies = bus.nc.subscribe(`${inboxBase}.*`, {
    callback: (err, msg) => {
      if (err !== null || state !== 'registered') return;
      if (Number(msg.subject.slice(inboxBase.length + 1)) !== acceptedGeneration) return;
      let decoded: ReturnType<typeof decodeRegistrationReply>;
      try {
        decoded = decodeRegistrationReply(msg.json());
      } catch {
        return;
      }
      if (decoded._tag === 'Left' || decoded.right.ok) return;
      const { code, reason } = decoded.right;
      if (REREGISTER_ON.has(code)) {
        log.warn({ code, reason }, 'galley does not hold this workload any more: registering again');
        reregister(code);
      } else {
        log.error({ code, reason }, `galley refused a heartbeat of ${namespace}/${name}: ${code}: ${reason}`);
      }
    },
  });

  const heartbeats = setInterval(() => {
    if (state !== 'registered') return;
    const data = signed('heartbeat');
    if (data === undefined) return;
    try {
      bus.nc.publish(Subjects.registryHeartbeats, data, { reply: `${inboxBase}.${acceptedGeneration}` });
    } catch (err) {
      log.warn({ err: describeError(err) }, 'heartbeat not sent');
    }
  }, heartbeatMs);
  heartbeats.unref();

  // Galley may have swept this workload while the link was down; a register is idempotent.
  const offReconnect = bus.onReconnect(() => reregister('NATS reconnected'));

  const stop = (): void => {
    if (state === 'stopped') return;
    state = 'stopped';
    clearInterval(heartbeats);
    offReconnect();
    heartbeatReplies.unsubscribe();
    wake();
    settleWaiters();
  };

  loop = registerLoop().catch((err: unknown) => log.error({ err }, 'registration loop failed'));

  return {
    registered,
    state: () => state,
    sequence: () => sequence,
    lastRefusal: () => refusal,
    update: (next) => {
      workload = next;
      if (state === 'stopped') return Promise.resolve();
      wantedGeneration++;
      const generation = wantedGeneration;
      const done = new Promise<void>((resolve) => waiters.push({ generation, resolve }));
      reregister('workload changed');
      return done;
    },
    deregister: async (timeoutMs = 2_000) => {
      stop();
      const deadline = Date.now() + timeoutMs;
      // A register still in flight could land after the removal and leave the entry to the sweeper.
      await Promise.race([loop, new Promise((resolve) => setTimeout(resolve, timeoutMs / 2).unref())]);
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        const outcome = await ask('deregister', left);
        if (outcome.kind === 'reply') {
          if (outcome.reply.ok || outcome.reply.code === 'NOT_FOUND') {
            log.info({ seq: outcome.reply.ok ? outcome.reply.sequence : undefined }, 'workload deregistered');
            return true;
          }
          log.error({ code: outcome.reply.code, reason: outcome.reply.reason }, `galley refused to deregister ${namespace}/${name}: ${outcome.reply.code}: ${outcome.reply.reason}`);
          return false;
        }
        if (Date.now() + 100 >= deadline) {
          log.warn({ why: outcome.why }, 'workload not deregistered; galley removes it after its grace period');
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      log.warn({}, 'workload not deregistered in time; galley removes it after its grace period');
      return false;
    },
    stop,
  };
}
