import { randomUUID } from 'node:crypto';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { publishEvent, streamLastSequence, Streams, Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { ChangeSetCodec, invalid, refOf, type ChainRepair, type ChangeSet, type Invalid, type MeshState } from '@jetmesh/model';
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

/**
 * Publishes ChangeSets with optimistic concurrency: each is published expecting the
 * sequence it was planned against, and on conflict re-planned against the newer state.
 */
export function createChangePublisher(bus: Bus, state: ConfigState, log: Logger, opts: ChangePublisherOptions): ChangePublisher {
  // Writes through one replica go one at a time, so a replica never races itself;
  // only writers on other replicas cost a retry.
  let queue: Promise<unknown> = Promise.resolve();

  /** The answer to a retry of a request already recorded: that change, and nothing new. */
  const alreadyRecorded = async (requestId: string | undefined): Promise<PublishedChange | undefined> => {
    const recorded = requestId === undefined ? undefined : state.recordedRequest(requestId);
    if (recorded === undefined) return undefined;
    await state.waitFor(recorded.seq).catch(() => undefined);
    return { sequence: recorded.seq, plan: recordedPlan(recorded.changeSet, recorded.seq) };
  };

  const attemptAll = async (request: ChangeRequest): Promise<Either<Invalid[], PublishedChange>> => {
    const stopTimer = opts.metrics.publishSeconds.startTimer();
    for (let attempt = 1; attempt <= opts.attempts; attempt++) {
      const retried = await alreadyRecorded(request.requestId);
      if (retried !== undefined) return right(retried);
      const current = state.current();
      const position = state.position();
      const forks = state.forks();
      if (forks.length > 0 && request.repairs === undefined) {
        const where = forks.map((f) => `#${f.seq} (${f.actor}) and #${f.orphanSeq} (${f.orphanActor})`).join(', ');
        return left([
          invalid('', `the config log forks: ${where} were stored on one predecessor; no change is recorded until \`jetmesh audit repair\` re-chains it`, 'FORKED'),
        ]);
      }
      // A caller that gave up (its deadline passed while it queued or lost races) retries or
      // walks away; recording its change anyway would answer nobody and surprise it later.
      if (request.deadline !== undefined && Date.now() >= request.deadline) {
        return left([invalid('', "the caller's deadline passed before the change was sent; nothing was recorded", 'DEADLINE_EXCEEDED')]);
      }
      const plan = request.plan(current);
      if (isLeft(plan)) return plan;
      const repairs = request.repairs ?? [];
      if (plan.right.changes.length === 0 && repairs.length === 0) return right({ sequence: 0, plan: plan.right });
      const changeSet: ChangeSet = {
        id: randomUUID(),
        type: 'ChangeSet',
        at: new Date().toISOString(),
        actor: request.actor,
        ...(request.reason !== undefined && request.reason !== '' ? { reason: request.reason } : {}),
        prev: current.lastChangeSetHash,
        ...(request.rollbackOf !== undefined ? { rollbackOf: request.rollbackOf } : {}),
        ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
        ...(repairs.length > 0 ? { repairs } : {}),
        changes: plan.right.changes,
      };
      const published = await publishEvent(bus, ChangeSetCodec, Subjects.config, changeSet, {
        // The request id as Nats-Msg-Id: a retry racing the original through another replica is stored once.
        msgId: request.requestId ?? changeSet.id,
        // The stream-wide guard, not the per-subject one: a clustered nats-server 2.9 checks the
        // latter only when proposing, so two galleys' writes in flight together both passed it
        // and forked the chain (two ChangeSets on one predecessor).
        expectedLastSequence: position,
        expectedStream: Streams.config,
      });
      if (isLeft(published)) {
        const rejection = published.left;
        if (rejection.code !== 'TOO_LARGE') {
          // Lost to the original of this very request (another replica stored it first): answer that one.
          await state.waitFor(rejection.actual ?? (await streamLastSequence(bus, Streams.config))).catch(() => undefined);
          const retried = await alreadyRecorded(request.requestId);
          if (retried !== undefined) return right(retried);
        }
        if (rejection.code === 'TOO_LARGE') {
          const limit = rejection.max > 0 ? `the limit is ${rejection.max} bytes` : 'over the server limit';
          return left([invalid('', `the change is ${rejection.bytes} bytes encoded; ${limit}: apply it in smaller parts`, 'TOO_LARGE')]);
        }
        opts.metrics.publishConflicts.inc();
        log.debug({ attempt, expected: position, actual: rejection.actual }, 'lost a write race, re-planning');
        await state.waitFor(rejection.actual ?? (await streamLastSequence(bus, Streams.config)));
        continue;
      }
      if (published.right.duplicate) {
        // JetStream had this request id already: the original is the change, this one stored nothing.
        await state.waitFor(published.right.seq).catch(() => undefined);
        const retried = await alreadyRecorded(request.requestId);
        if (retried !== undefined) return right(retried);
      }
      // Read-your-writes: a Get right after this Apply must see the change. The change is stored
      // whatever happens next, so it is never reported as failed: when this replica's own fold
      // lags (a NATS node failing over), the answer still carries its sequence, and reads wait
      // for the end of the log themselves (ConfigState.latest) or fail UNAVAILABLE.
      await state.waitFor(published.right.seq).catch((err: unknown) => {
        if (!(err instanceof ConfigStateLagError)) throw err;
        log.warn({ seq: published.right.seq, err: err.message }, 'change stored; this replica has not folded it yet');
      });
      stopTimer();
      for (const change of changeSet.changes) {
        opts.metrics.configEvents.inc({ kind: change.op === 'apply' ? change.resource.kind : change.ref.kind, action: change.op });
      }
      log.info({ seq: published.right.seq, id: changeSet.id, actor: changeSet.actor, changes: changeSet.changes.length }, 'change published');
      return right({ sequence: published.right.seq, plan: plan.right });
    }
    return left([
      invalid('', `gave up after ${opts.attempts} attempts: other writers kept changing the configuration; retry`, 'CONFLICT'),
    ]);
  };

  return {
    publish: (request) => {
      const result = queue.then(() => attemptAll(request));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
