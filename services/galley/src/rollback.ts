import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { readStream, Streams, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import {
  ChangeSetCodec,
  DEFAULT_NAMESPACE,
  canonicalJson,
  decodeResource,
  encodeResource,
  formatInvalid,
  formatRef,
  formatTimePoint,
  invalid,
  parseTimePoint,
  PointInTimeFold,
  refOf,
  replay,
  resourceKey,
  type Change,
  type Invalid,
  type MeshState,
  type ResourceRef,
  type StoredResource,
  type TimePoint,
} from '@jetmesh/model';
import type { ResourceChange, RollbackRequest, RollbackResponse } from '@jetmesh/rpc';
import { planApply, type ApplyItem, type ChangePlan, type PlannedChange } from './change-plan.js';
import type { ChangePublisher, Writer } from './change-publisher.js';
import type { ConfigState } from './config-state.js';
import { resolveRef } from './request-ref.js';
import { routeWarnings } from './route-warnings.js';

/** The state to restore: the log replayed up to the point with the shared reducer. */
export interface RollbackTarget {
  /** The change whose state is restored (the new ChangeSet's rollbackOf). */
  readonly seq: number;
  readonly state: MeshState;
}

const sameContent = (a: StoredResource, b: StoredResource): boolean =>
  canonicalJson(encodeResource(a.resource)) === canonicalJson(encodeResource(b.resource));

/**
 * Plans the one ChangeSet that turns `current` into `target` (for every resource, or only the
 * named ones): restore what changed or was deleted since, delete what was created since.
 * What is restored goes through today's rules as a new apply would (decoded again, then
 * planApply's checks); any resource that fails refuses the whole rollback, naming each problem.
 * (Events that fail today's decode are already skipped by the replay, as every replica skips
 * them, so this catches rules that live outside the event codec.)
 */
export const planRollback = (current: MeshState, target: RollbackTarget, only: readonly ResourceRef[] = []): Either<Invalid[], ChangePlan> => {
  const problems: Invalid[] = [];
  const keys = only.length > 0 ? [...new Set(only.map(resourceKey))].sort() : [...new Set([...current.resources.keys(), ...target.state.resources.keys()])].sort();
  for (const ref of only) {
    if (current.resources.get(resourceKey(ref)) === undefined && target.state.resources.get(resourceKey(ref)) === undefined) {
      problems.push(invalid('only', `${formatRef(ref)} exists neither now nor at #${target.seq}`, 'NOT_FOUND'));
    }
  }
  const changes: Change[] = [];
  const outcomes: PlannedChange[] = [];
  const restores: ApplyItem[] = [];
  for (const key of keys) {
    const now = current.resources.get(key);
    const then = target.state.resources.get(key);
    if (then === undefined) {
      if (now === undefined) continue;
      const ref = refOf(now.resource);
      changes.push({ op: 'delete', ref });
      outcomes.push({ ref, action: 'deleted', storedVersion: now.resourceVersion });
      continue;
    }
    if (now !== undefined && sameContent(now, then)) continue;
    const ref = refOf(then.resource);
    const label = `${formatRef(ref)} as of #${target.seq}`;
    // Stored under the rules of its day: what we restore must pass today's.
    const revalidated = decodeResource(encodeResource(then.resource), ref.namespace);
    if (isLeft(revalidated)) {
      problems.push(...revalidated.left.map((e) => invalid(label, `no longer valid: ${formatInvalid(e)}`, e.code)));
      continue;
    }
    restores.push({ label, document: revalidated.right });
    changes.push({ op: 'apply', resource: revalidated.right.resource });
    outcomes.push({ ref, action: now === undefined ? 'created' : 'configured', storedVersion: now?.resourceVersion ?? 0 });
  }
  const asApply = planApply(current, restores);
  if (isLeft(asApply)) problems.push(...asApply.left);
  if (problems.length > 0) return left(problems);
  const applied = changes.flatMap((c) => (c.op === 'apply' ? [c.resource] : []));
  return right({ changes, outcomes, warnings: routeWarnings(afterChanges(current, changes), applied) });
};

/** The state the plan leads to, folded by the shared reducer, so warnings see deletions too. */
const afterChanges = (current: MeshState, changes: readonly Change[]): MeshState =>
  changes.length === 0
    ? current
    : replay(current, [
        {
          stream: 'config',
          seq: current.configSeq + 1,
          event: { id: 'rollback-plan', type: 'ChangeSet', at: new Date(0).toISOString(), actor: '', prev: current.lastChangeSetHash, changes },
        },
      ]);

/** The point a request names; the client resolves relative times, so only sequences and RFC 3339 arrive. */
const requestedPoint = (req: RollbackRequest): Either<Invalid[], TimePoint> => {
  if (req.target === 'toTime') {
    const parsed = parseTimePoint(req.toTime ?? '', new Date(), 'toTime');
    return isLeft(parsed) || parsed.right.kind === 'time' ? parsed : left([invalid('toTime', 'must be an RFC 3339 time; use toSequence for a change number')]);
  }
  if (req.target === 'toSequence') return right({ kind: 'sequence', seq: req.toSequence ?? 0 });
  return left([invalid('target', 'required: name a change (toSequence) or a time (toTime)', 'REQUIRED')]);
};

/** Replays MESH_CONFIG up to the point with the shared fold (the CLI's `at` does the same). */
export async function replayToPoint(bus: Bus, point: TimePoint): Promise<RollbackTarget> {
  const fold = new PointInTimeFold(point);
  let last = 0;
  for await (const entry of readStream(bus, {
    stream: Streams.config,
    codec: ChangeSetCodec,
    fromSequence: 1,
    ...(point.kind === 'sequence' ? { toSequence: point.seq } : {}),
  })) {
    if (!fold.config(entry.seq, entry.value)) break;
    last = entry.seq;
  }
  const state = fold.result().state;
  return { seq: point.kind === 'sequence' ? point.seq : last, state };
}

const wireChanges = (plan: ChangePlan, sequence: number): ResourceChange[] =>
  plan.outcomes.map((o) => ({ ref: { kind: o.ref.kind, namespace: o.ref.namespace, name: o.ref.name }, action: o.action, resourceVersion: sequence }));

export interface RollbackDeps {
  readonly bus: Bus;
  readonly state: ConfigState;
  readonly publisher: ChangePublisher;
}

/** The Rollback method: resolve the point, replay to it, plan against now, publish one ChangeSet. */
export function createRollback(deps: RollbackDeps, log: Logger): (req: RollbackRequest, writer: Writer) => Promise<Either<Invalid[], RollbackResponse>> {
  return async (req, writer) => {
    const problems: Invalid[] = [];
    const point = requestedPoint(req);
    if (isLeft(point)) problems.push(...point.left);
    if (req.reason.trim() === '') problems.push(invalid('reason', 'required: say why the configuration is rolled back', 'REQUIRED'));
    const only: ResourceRef[] = [];
    req.only.forEach((given, i) => {
      const ref = resolveRef(given, DEFAULT_NAMESPACE, `only[${i}]`);
      if (isLeft(ref)) problems.push(...ref.left);
      else only.push(ref.right);
    });
    if (problems.length > 0 || isLeft(point)) return left(problems);

    await deps.state.latest();
    const position = deps.state.position();
    if (point.right.kind === 'sequence' && point.right.seq > position) {
      return left([invalid('toSequence', `#${point.right.seq} is past the end of the log (#${position})`)]);
    }
    const target = await replayToPoint(deps.bus, point.right);
    log.info({ point: formatTimePoint(point.right), target: target.seq, position, only: only.map(resourceKey), dryRun: req.dryRun }, 'rollback planned');
    if (req.dryRun) {
      const plan = planRollback(await deps.state.latest(), target, only);
      return isLeft(plan) ? plan : right({ sequence: 0, targetSequence: target.seq, changes: wireChanges(plan.right, 0), warnings: [...plan.right.warnings] });
    }
    const published = await deps.publisher.publish({
      ...writer,
      reason: req.reason,
      rollbackOf: target.seq,
      plan: (current) => planRollback(current, target, only),
    });
    if (isLeft(published)) return published;
    const { sequence, plan } = published.right;
    return right({ sequence, targetSequence: target.seq, changes: wireChanges(plan, sequence), warnings: [...plan.warnings] });
  };
}
