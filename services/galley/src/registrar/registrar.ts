import { createHash, randomUUID, type X509Certificate } from 'node:crypto';
import { followTrustKey, publishEvent, QueueGroups, Streams, Subjects, TrustKeys, type Bus, type KeyFollow } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import {
  canonicalJson,
  decodeWorkloadRegistration,
  formatInvalid,
  RegistrationReplyCodec,
  RegistryEventCodec,
  trustedRoots,
  TrustBundleCodec,
  verifyCertificateChain,
  verifyRegistration,
  REGISTRATION_MAX_SKEW_MS,
  type RegistrationReply,
  type RegistryEvent,
  type TrustBundle,
  type VerifiedChain,
  type WorkloadRegistration,
} from '@jetmesh/model';
import type { GalleyMetrics } from '../galley-metrics.js';
import { startRegistryTable, workloadKey, type RegistryRow, type RegistryTable } from './registry-table.js';

export interface RegistrarOptions {
  /** A workload no replica heard a heartbeat from for this long is removed (JETMESH_REGISTRY_GRACE_MS). */
  readonly graceMs: number;
  readonly metrics: Pick<GalleyMetrics, 'registrations' | 'registrationRejections' | 'registrySweeps'>;
  readonly log: Logger;
}

/** Galley's side of proxy registration (docs/proxy-design.md, "Registration"). */
export interface Registrar {
  readonly table: RegistryTable;
  stop(): Promise<void>;
}

/** Who removes a workload that went silent: not a workload identity, so it is never swept twice. */
export const SWEEPER_ACTOR = 'galley/registry-sweeper';
const SPIFFE_PREFIX = 'spiffe://';
/** Writes that lose to a concurrent writer on the same subject are re-decided this often. */
const PUBLISH_ATTEMPTS = 3;
const CATCH_UP_WAIT_MS = 2_000;
/** Verified chains kept (one per live certificate); cleared when the bundle changes. */
const CHAIN_CACHE_MAX = 20_000;

type Op = WorkloadRegistration['op'];
type Subscription = ReturnType<Bus['nc']['subscribe']>;
type Msg = Parameters<NonNullable<NonNullable<Parameters<Bus['nc']['subscribe']>[1]>['callback']>>[1];
type Refusal = Extract<RegistrationReply, { ok: false }>;
const refuse = (code: Refusal['code'], reason: string): Refusal => ({ ok: false, code, reason });
const accepted = (sequence: number): RegistrationReply => ({ ok: true, sequence });

const encodeReply = (reply: RegistrationReply): string => JSON.stringify(RegistrationReplyCodec.encode(reply));

/**
 * Subscribes to proxies' registration requests (one replica answers each) and heartbeats
 * (every replica hears each), writes MESH_REGISTRY for the identity a request proves, and
 * removes workloads gone silent for graceMs. Resolves once the registry and the trust bundle
 * have been read.
 */
export async function startRegistrar(bus: Bus, opts: RegistrarOptions): Promise<Registrar> {
  const { graceMs, metrics, log } = opts;
  const table = await startRegistryTable(bus, log);
  await table.caughtUp;

  let bundle: TrustBundle | undefined;
  let roots: X509Certificate[] = [];
  const chains = new Map<string, VerifiedChain>();
  const trust: KeyFollow = await followTrustKey(bus, TrustKeys.roots, TrustBundleCodec, (entry) => {
    bundle = entry?.value;
    roots = bundle === undefined ? [] : trustedRoots(bundle);
    chains.clear();
    log.info({ roots: roots.length, revision: entry?.revision }, 'registrar trust bundle');
  });

  // Local: when this replica last heard of each workload (heartbeat, request, or its event in the log).
  const heard = new Map<string, number>();
  table.onUpsert((key) => heard.set(key, Date.now()));
  // Nonces of requests acted on, until their `at` is too old to pass anyway.
  const nonces = new Map<string, number>();
  // A fresh (or reconnected) replica heard nobody yet: it waits a grace period before sweeping.
  let quietSince = Date.now();
  const offReconnect = bus.onReconnect(() => (quietSince = Date.now()));

  const serial = new Map<string, Promise<unknown>>();
  const exclusive = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const run = (serial.get(key) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => undefined);
    serial.set(key, settled);
    void settled.then(() => serial.get(key) === settled && serial.delete(key));
    return run;
  };

  const verified = (request: WorkloadRegistration, now: Date): VerifiedChain | Refusal => {
    if (bundle === undefined) return refuse('UNAVAILABLE', 'galley has no trust bundle yet (citadel has not published mesh_trust roots); retry');
    const cacheKey = createHash('sha256').update(request.certChain).digest('base64');
    let chain = chains.get(cacheKey);
    if (chain === undefined) {
      const checked = verifyCertificateChain(request.certChain, roots, bundle.trustDomain, now);
      if (checked._tag === 'Left') return refuse(checked.left.code, checked.left.reason);
      chain = checked.right;
      if (chains.size >= CHAIN_CACHE_MAX) chains.clear();
      chains.set(cacheKey, chain);
    }
    const checked = verifyRegistration(request, chain, now);
    if (checked._tag === 'Left') return refuse(checked.left.code, checked.left.reason);
    return chain;
  };

  const ownership = (row: RegistryRow | undefined, who: string, namespace: string, name: string, verb: string): Refusal | undefined => {
    if (row?.workload === undefined || row.actor === who) return undefined;
    return refuse(
      row.actor.startsWith(SPIFFE_PREFIX) ? 'ALREADY_EXISTS' : 'PERMISSION_DENIED',
      `name: workload ${namespace}/${name} is registered by ${row.actor}; ${who} may not ${verb} it`,
    );
  };

  /** Publishes `event` on its subject expecting `row` there; re-decides after a lost race. */
  const write = async (
    namespace: string,
    name: string,
    msgId: string,
    decide: (row: RegistryRow | undefined) => { event: RegistryEvent } | RegistrationReply,
  ): Promise<RegistrationReply> => {
    for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++) {
      const row = table.get(namespace, name);
      const decision = decide(row);
      if (!('event' in decision)) return decision;
      const published = await publishEvent(bus, RegistryEventCodec, Subjects.registry(namespace, name), decision.event, {
        msgId,
        expectedLastSubjectSequence: row?.seq ?? 0,
        expectedStream: Streams.registry,
      });
      if (published._tag === 'Right') {
        if (published.right.duplicate) return refuse('UNAUTHENTICATED', 'nonce: this request was already acted on (a replay)');
        const event = decision.event;
        table.note(namespace, name, { seq: published.right.seq, actor: event.actor, workload: event.type === 'WorkloadRemoved' ? undefined : event.workload });
        return accepted(published.right.seq);
      }
      if (published.left.code === 'TOO_LARGE') return refuse('INVALID', `workload: the event is ${published.left.bytes} bytes, at most ${published.left.max}`);
      await table.reach(published.left.actual ?? (row?.seq ?? 0) + 1, CATCH_UP_WAIT_MS);
    }
    return refuse('UNAVAILABLE', `workload ${namespace}/${name} is being written concurrently; retry`);
  };

  const register = (request: WorkloadRegistration, who: string): Promise<RegistrationReply> => {
    const { namespace, name, workload } = request;
    return write(namespace, name, `registrar-${request.nonce}`, (row) => {
      const taken = ownership(row, who, namespace, name, 'register');
      if (taken !== undefined) return taken;
      const live = row?.workload !== undefined;
      if (live && canonicalJson(row.workload) === canonicalJson(workload)) return accepted(row.seq);
      return {
        event: { id: randomUUID(), type: live ? 'WorkloadUpdated' : 'WorkloadRegistered', at: new Date().toISOString(), actor: who, namespace, name, workload },
      };
    });
  };

  const deregister = (request: WorkloadRegistration, who: string): Promise<RegistrationReply> => {
    const { namespace, name } = request;
    return write(namespace, name, `registrar-${request.nonce}`, (row) => {
      if (row === undefined) return refuse('NOT_FOUND', `name: workload ${namespace}/${name} is not registered`);
      if (row.workload === undefined) return accepted(row.seq);
      const taken = ownership(row, who, namespace, name, 'deregister');
      if (taken !== undefined) return taken;
      return { event: { id: randomUUID(), type: 'WorkloadRemoved', at: new Date().toISOString(), actor: who, namespace, name } };
    });
  };

  const heartbeat = (request: WorkloadRegistration, who: string): RegistrationReply | undefined => {
    const { namespace, name } = request;
    const row = table.get(namespace, name);
    const taken = ownership(row, who, namespace, name, 'heartbeat for');
    if (taken !== undefined) return taken;
    // Not folded yet by a lagging replica: others answer; this one stays quiet.
    if (row?.workload === undefined) return table.isCaughtUp() ? refuse('NOT_FOUND', `name: workload ${namespace}/${name} is not registered; register again`) : undefined;
    heard.set(workloadKey(namespace, name), Date.now());
    return undefined;
  };

  const handle = async (data: Uint8Array, via: 'request' | 'heartbeat'): Promise<{ op: Op | 'unknown'; reply: RegistrationReply | undefined }> => {
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(data));
    } catch {
      return { op: 'unknown', reply: refuse('INVALID', 'request: not JSON') };
    }
    const decoded = decodeWorkloadRegistration(raw);
    if (decoded._tag === 'Left') return { op: 'unknown', reply: refuse('INVALID', decoded.left.map(formatInvalid).join('; ')) };
    const request = decoded.right;
    const { op } = request;
    if ((op === 'heartbeat') !== (via === 'heartbeat')) {
      return { op, reply: refuse('INVALID', `op: ${op} is sent to ${op === 'heartbeat' ? Subjects.registryHeartbeats : Subjects.registryRequests}`) };
    }
    const now = new Date();
    const chain = verified(request, now);
    if ('ok' in chain) return { op, reply: chain };
    if (nonces.has(request.nonce)) return { op, reply: refuse('UNAUTHENTICATED', 'nonce: this request was already acted on (a replay)') };
    nonces.set(request.nonce, now.getTime() + 2 * REGISTRATION_MAX_SKEW_MS);
    const who = chain.spiffeId;
    const key = workloadKey(request.namespace, request.name);
    if (op === 'heartbeat') return { op, reply: heartbeat(request, who) };
    const reply = await exclusive(key, () => (op === 'register' ? register(request, who) : deregister(request, who)));
    if (reply.ok) heard.set(key, Date.now());
    return { op, reply };
  };

  const account = (op: Op | 'unknown', reply: RegistrationReply | undefined, subject: string): void => {
    if (reply === undefined || reply.ok) {
      metrics.registrations.inc({ op });
      return;
    }
    metrics.registrationRejections.inc({ op, code: reply.code });
    const level = reply.code === 'NOT_FOUND' || reply.code === 'UNAVAILABLE' ? 'info' : 'warn';
    log[level]({ op, subject, code: reply.code, reason: reply.reason }, 'workload registration refused');
  };

  const onMessage = (via: 'request' | 'heartbeat') => (err: Error | null, msg: Msg) => {
    if (err !== null) {
      log.error({ err: err.message, via }, 'registrar subscription failed');
      return;
    }
    handle(msg.data, via)
      .then(({ op, reply }) => {
        account(op, reply, msg.subject);
        if (reply !== undefined && msg.reply !== undefined && msg.reply !== '') msg.respond(encodeReply(reply));
      })
      .catch((cause: unknown) => {
        // Lost infrastructure (NATS, the stream): the proxy retries.
        log.error({ err: cause, via }, 'registration request failed');
        if (msg.reply !== undefined && msg.reply !== '') msg.respond(encodeReply(refuse('UNAVAILABLE', `galley could not write MESH_REGISTRY: ${(cause as Error).message}; retry`)));
      });
  };
  const subscriptions: Subscription[] = [
    bus.nc.subscribe(Subjects.registryRequests, { queue: QueueGroups.registrar, callback: onMessage('request') }),
    bus.nc.subscribe(Subjects.registryHeartbeats, { callback: onMessage('heartbeat') }),
  ];
  await bus.nc.flush();

  const sweeping = new Set<string>();
  const sweep = (key: string, row: RegistryRow, namespace: string, name: string): void => {
    sweeping.add(key);
    exclusive(key, async () => {
      await bus.waitConnected();
      const now = Date.now();
      const current = table.get(namespace, name);
      if (current?.seq !== row.seq || now - quietSince < graceMs || now - (heard.get(key) ?? quietSince) <= graceMs) return;
      const removal: RegistryEvent = { id: randomUUID(), type: 'WorkloadRemoved', at: new Date(now).toISOString(), actor: SWEEPER_ACTOR, namespace, name };
      // The same msg-id on every replica, and the sequence it last saw: removed once, and not after a re-registration.
      const published = await publishEvent(bus, RegistryEventCodec, Subjects.registry(namespace, name), removal, {
        msgId: `registrar-sweep-${namespace}-${name}-${row.seq}`,
        expectedLastSubjectSequence: row.seq,
        expectedStream: Streams.registry,
      });
      if (published._tag === 'Right' && !published.right.duplicate) {
        table.note(namespace, name, { seq: published.right.seq, actor: SWEEPER_ACTOR, workload: undefined });
        metrics.registrySweeps.inc();
        log.info({ namespace, name, actor: row.actor, silentMs: now - (heard.get(key) ?? quietSince), seq: published.right.seq }, 'silent workload removed');
      }
    })
      .catch((err: unknown) => log.warn({ err, namespace, name }, 'could not remove a silent workload; retrying next tick'))
      .finally(() => sweeping.delete(key));
  };
  const tick = (): void => {
    const now = Date.now();
    for (const [nonce, until] of nonces) if (until < now) nonces.delete(nonce);
    if (!table.isCaughtUp() || now - quietSince < graceMs) return;
    for (const [key, row] of table.rows()) {
      if (row.workload === undefined || !row.actor.startsWith(SPIFFE_PREFIX) || sweeping.has(key)) continue;
      if (now - (heard.get(key) ?? quietSince) <= graceMs) continue;
      const [namespace = '', name = ''] = key.split('/');
      sweep(key, row, namespace, name);
    }
  };
  const sweeper = setInterval(tick, Math.max(50, Math.min(1_000, Math.floor(graceMs / 4))));
  sweeper.unref();

  log.info({ graceMs, requests: Subjects.registryRequests, heartbeats: Subjects.registryHeartbeats }, 'registrar started');
  return {
    table,
    stop: async () => {
      clearInterval(sweeper);
      offReconnect();
      for (const sub of subscriptions) sub.unsubscribe();
      await Promise.allSettled([...serial.values()]);
      trust.stop();
      await table.stop();
    },
  };
}
