import { randomUUID } from 'node:crypto';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { decodeEvent, encodeEvent, publishEvent, streamLastSequence, Streams, Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { ChangeSetCodec, configLogEvent, invalid, refOf, replay, type ChainRepair, type ChangeSet, type Invalid, type MeshState } from '@jetmesh/model';
import type { ChangePlan } from './change-plan.js';
import { ConfigStateLagError, type ConfigState } from './config-state.js';
import type { GalleyMetrics } from './galley-metrics.js';

/** Who writes: the actor recorded on the ChangeSet and when the caller stops waiting. */
export interface Writer {
  readonly actor: string;
  /** Epoch milliseconds of the caller's deadline (Infinity when it set none). */
  readonly deadline?: number;
}

/** One write: who asks, why, and how to plan it against whatever the state is at the time. */
export interface ChangeRequest extends Writer {
  readonly reason?: string;
  /** Set on a rollback: the sequence whose state the change restores. */
  readonly rollbackOf?: number;
  /** Called again after every lost race, so the change is re-validated against the newer state. */
  readonly plan: (state: MeshState) => Either<Invalid[], ChangePlan>;
  /** A chain repair: the ChangeSets it re-chains (its plan changes nothing). The only write taken while the log forks. */
  readonly repairs?: readonly ChainRepair[];
  /** The client's id for the request: recorded with the ChangeSet, and a retry of a recorded one changes nothing. */
  readonly requestId?: string;
}

export interface PublishedChange {
  /** MESH_CONFIG sequence of the ChangeSet; 0 when the plan changed nothing. */
  readonly sequence: number;
  readonly plan: ChangePlan;
}

export interface ChangePublisher {
  publish(request: ChangeRequest): Promise<Either<Invalid[], PublishedChange>>;
}

export interface ChangePublisherOptions {
  /** Attempts against concurrent writers before giving up with a CONFLICT. */
  readonly attempts: number;
  readonly metrics: GalleyMetrics;
}

/** What a recorded ChangeSet did, as a plan's outcomes (the stored versions before it are not kept). */
const recordedPlan = (changeSet: ChangeSet, seq: number): ChangePlan => ({
  changes: changeSet.changes,
  outcomes: changeSet.changes.map((c) =>
    c.op === 'apply' ? { ref: refOf(c.resource), action: 'configured' as const, storedVersion: 0 } : { ref: c.ref, action: 'deleted' as const, storedVersion: 0 },
  ),
  warnings: [`request ${changeSet.requestId ?? ''} was already recorded as change #${seq} (this is a retry): nothing new was recorded`],
});

/** Where the next write of this replica plans: a state and the MESH_CONFIG sequence it stands at. */
interface Basis {
  readonly state: MeshState;
  readonly position: number;
}

/**
 * What one write hands the next: the state its ChangeSet leads to, planned on before that
 * ChangeSet is confirmed stored, and whether it was (stored exactly at `position`). When not,
 * the next write plans again on the fold, once it has reached `catchUpTo`.
 */
interface Handoff {
  readonly basis: Basis;
  readonly stored: Promise<{ readonly ok: true } | { readonly ok: false; readonly catchUpTo: number | undefined }>;
}

/** The state the fold reaches when `changeSet` is stored right after `basis`: it folds the stored bytes, decoded. */
const stateAfter = (basis: Basis, changeSet: ChangeSet): MeshState => {
  const stored = decodeEvent(ChangeSetCodec, encodeEvent(ChangeSetCodec, changeSet));
  if (isLeft(stored)) throw new Error(`a ChangeSet galley built does not decode: ${stored.left.reason}`);
  return replay(basis.state, [configLogEvent(basis.position + 1, stored.right)]);
};

/**
 * Publishes ChangeSets with optimistic concurrency: each is published expecting the
 * sequence it was planned against, and on conflict re-planned against the newer state.
 *
 * Writes through one replica take turns (a replica never races itself), pipelined: a write's
 * turn ends once its ChangeSet is sent, and the next one plans on the state that ChangeSet leads
 * to while its publish is in flight. The next is sent only after the server confirmed the one
 * before it stored at the expected sequence, expecting the sequence after it, so every stored
 * ChangeSet was still planned on exactly the log before it. Each caller is answered once its
 * own change is folded (read-your-writes), off the turn.
 */
export function createChangePublisher(bus: Bus, state: ConfigState, log: Logger, opts: ChangePublisherOptions): ChangePublisher {
  /** Resolves with the handoff of the write before, when it is the next write's turn; undefined: plan on the fold. */
  let turn: Promise<Handoff | undefined> = Promise.resolve(undefined);
  const takeTurn = (): { readonly ready: Promise<Handoff | undefined>; readonly pass: (h: Handoff | undefined) => void } => {
    const ready = turn;
    let pass!: (h: Handoff | undefined) => void;
    turn = new Promise((resolve) => (pass = resolve));
    let passed = false;
    return {
      ready,
      pass: (h) => {
        if (passed) return;
        passed = true;
        pass(h);
      },
    };
  };

  /** The answer to a retry of a request already recorded: that change, and nothing new. */
  const alreadyRecorded = async (requestId: string | undefined): Promise<PublishedChange | undefined> => {
    const recorded = requestId === undefined ? undefined : state.recordedRequest(requestId);
    if (recorded === undefined) return undefined;
    await state.waitFor(recorded.seq).catch(() => undefined);
    return { sequence: recorded.seq, plan: recordedPlan(recorded.changeSet, recorded.seq) };
  };

  const folded = (): Basis => ({ state: state.current(), position: state.position() });

  /** One attempt, holding the turn: planned, checked, sent (the turn passed on), and settled. */
  type Attempt = { readonly done: Either<Invalid[], PublishedChange> } | { readonly retry: true };

  const attemptOnce = async (request: ChangeRequest, attempt: number): Promise<Attempt> => {
    const { ready, pass } = takeTurn();
    let handoff = await ready;
    try {
      for (;;) {
        const retried = await alreadyRecorded(request.requestId);
        if (retried !== undefined) {
          pass(handoff);
          return { done: right(retried) };
        }
        const basis = handoff?.basis ?? folded();
        const forks = state.forks();
        if (forks.length > 0 && request.repairs === undefined) {
          const where = forks.map((f) => `#${f.seq} (${f.actor}) and #${f.orphanSeq} (${f.orphanActor})`).join(', ');
          pass(handoff);
          return {
            done: left([
              invalid('', `the config log forks: ${where} were stored on one predecessor; no change is recorded until \`jetmesh audit repair\` re-chains it`, 'FORKED'),
            ]),
          };
        }
        // A caller that gave up (its deadline passed while it queued or lost races) retries or
        // walks away; recording its change anyway would answer nobody and surprise it later.
        if (request.deadline !== undefined && Date.now() >= request.deadline) {
          pass(handoff);
          return { done: left([invalid('', "the caller's deadline passed before the change was sent; nothing was recorded", 'DEADLINE_EXCEEDED')]) };
        }
        const plan = request.plan(basis.state);
        // Planned on the state the write before leads to: whatever the plan says (refused,
        // unchanged, a ChangeSet to send) holds only once that write is stored as expected.
        if (handoff !== undefined) {
          const before = await handoff.stored;
          if (!before.ok) {
            if (before.catchUpTo !== undefined) await state.waitFor(before.catchUpTo).catch(() => undefined);
            handoff = undefined;
            continue;
          }
          if (request.deadline !== undefined && Date.now() >= request.deadline) {
            pass(handoff);
            return { done: left([invalid('', "the caller's deadline passed before the change was sent; nothing was recorded", 'DEADLINE_EXCEEDED')]) };
          }
        }
        if (isLeft(plan)) {
          pass(handoff);
          return { done: plan };
        }
        const repairs = request.repairs ?? [];
        if (plan.right.changes.length === 0 && repairs.length === 0) {
          pass(handoff);
          // A retry planned on the state its own original leads to (in flight, or stored but not
          // folded yet) finds nothing to change: once the fold holds that state, answer the original.
          if (request.requestId !== undefined && handoff !== undefined) {
            await state.waitFor(basis.position).catch(() => undefined);
            const again = await alreadyRecorded(request.requestId);
            if (again !== undefined) return { done: right(again) };
          }
          return { done: right({ sequence: 0, plan: plan.right }) };
        }
        const changeSet: ChangeSet = {
          id: randomUUID(),
          type: 'ChangeSet',
          at: new Date().toISOString(),
          actor: request.actor,
          ...(request.reason !== undefined && request.reason !== '' ? { reason: request.reason } : {}),
          prev: basis.state.lastChangeSetHash,
          ...(request.rollbackOf !== undefined ? { rollbackOf: request.rollbackOf } : {}),
          ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
          ...(repairs.length > 0 ? { repairs } : {}),
          changes: plan.right.changes,
        };
        const sending = publishEvent(bus, ChangeSetCodec, Subjects.config, changeSet, {
          // The request id as Nats-Msg-Id: a retry racing the original through another replica is stored once.
          msgId: request.requestId ?? changeSet.id,
          // The stream-wide guard, not the per-subject one: a clustered nats-server 2.9 checks the
          // latter only when proposing, so two galleys' writes in flight together both passed it
          // and forked the chain (two ChangeSets on one predecessor).
          expectedLastSequence: basis.position,
          expectedStream: Streams.config,
        });
        let settle!: (outcome: Awaited<Handoff['stored']>) => void;
        const stored = new Promise<Awaited<Handoff['stored']>>((resolve) => (settle = resolve));
        pass({ basis: { state: stateAfter(basis, changeSet), position: basis.position + 1 }, stored });
        const published = await sending.catch((err: unknown) => {
          settle({ ok: false, catchUpTo: undefined });
          throw err;
        });
        if (isLeft(published)) {
          const rejection = published.left;
          settle({ ok: false, catchUpTo: rejection.code === 'SEQUENCE_CONFLICT' ? rejection.actual : undefined });
          if (rejection.code === 'TOO_LARGE') {
            const limit = rejection.max > 0 ? `the limit is ${rejection.max} bytes` : 'over the server limit';
            return { done: left([invalid('', `the change is ${rejection.bytes} bytes encoded; ${limit}: apply it in smaller parts`, 'TOO_LARGE')]) };
          }
          // Lost to the original of this very request (another replica stored it first): answer that one.
          await state.waitFor(rejection.actual ?? (await streamLastSequence(bus, Streams.config))).catch(() => undefined);
          const again = await alreadyRecorded(request.requestId);
          if (again !== undefined) return { done: right(again) };
          opts.metrics.publishConflicts.inc();
          log.debug({ attempt, expected: basis.position, actual: rejection.actual }, 'lost a write race, re-planning');
          await state.waitFor(rejection.actual ?? (await streamLastSequence(bus, Streams.config)));
          return { retry: true };
        }
        const { seq, duplicate } = published.right;
        settle(duplicate || seq !== basis.position + 1 ? { ok: false, catchUpTo: seq } : { ok: true });
        if (duplicate) {
          // JetStream had this request id already: the original is the change, this one stored nothing.
          await state.waitFor(seq).catch(() => undefined);
          const again = await alreadyRecorded(request.requestId);
          if (again !== undefined) return { done: right(again) };
        }
        // Read-your-writes: a Get right after this Apply must see the change. The change is stored
        // whatever happens next, so it is never reported as failed: when this replica's own fold
        // lags (a NATS node failing over), the answer still carries its sequence, and reads wait
        // for the end of the log themselves (ConfigState.latest) or fail UNAVAILABLE.
        await state.waitFor(seq).catch((err: unknown) => {
          if (!(err instanceof ConfigStateLagError)) throw err;
          log.warn({ seq, err: err.message }, 'change stored; this replica has not folded it yet');
        });
        for (const change of changeSet.changes) {
          opts.metrics.configEvents.inc({ kind: change.op === 'apply' ? change.resource.kind : change.ref.kind, action: change.op });
        }
        log.info({ seq, id: changeSet.id, actor: changeSet.actor, changes: changeSet.changes.length }, 'change published');
        return { done: right({ sequence: seq, plan: plan.right }) };
      }
    } finally {
      // However this attempt ended (a bug, lost infrastructure), the next write gets its turn.
      pass(undefined);
    }
  };

  return {
    publish: async (request) => {
      const stopTimer = opts.metrics.publishSeconds.startTimer();
      for (let attempt = 1; attempt <= opts.attempts; attempt++) {
        const outcome = await attemptOnce(request, attempt);
        if ('done' in outcome) {
          if (!isLeft(outcome.done) && outcome.done.right.sequence > 0) stopTimer();
          return outcome.done;
        }
      }
      return left([invalid('', `gave up after ${opts.attempts} attempts: other writers kept changing the configuration; retry`, 'CONFLICT')]);
    },
  };
}
