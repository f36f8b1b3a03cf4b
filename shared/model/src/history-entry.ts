import type { ChangeSet } from './events.js';
import { type ResourceKind, type ResourceRef, refOf, resourceKey } from './resource.js';
import { type TimePoint, instantOf } from './time-point.js';

/** What one ChangeSet did to one resource, in kubectl's words. */
export type ResourceAction = 'created' | 'configured' | 'deleted';

export interface HistoryResource extends ResourceRef {
  readonly action: ResourceAction;
}

/** One line of `jetmesh history`: who changed what, when and why. */
export interface HistoryEntry {
  readonly seq: number;
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  /** `rollback` when the ChangeSet restores an earlier state, `repair` when it re-chains forked ones, else what its changes do. */
  readonly action: 'apply' | 'delete' | 'apply+delete' | 'rollback' | 'repair';
  readonly resources: readonly HistoryResource[];
  readonly reason?: string;
  readonly rollbackOf?: number;
  /** On a repair: the sequences it re-chained. */
  readonly repairs?: readonly number[];
}

/**
 * Classifies ChangeSets in log order. It only tracks which resources exist, so a history of a
 * million changes costs no copy of the state; the resources themselves come from the reducer.
 */
export class HistoryFold {
  private readonly existing = new Set<string>();

  entry(seq: number, cs: ChangeSet): HistoryEntry {
    const resources = cs.changes.map((ch): HistoryResource => {
      const ref = ch.op === 'apply' ? refOf(ch.resource) : ch.ref;
      const key = resourceKey(ref);
      let action: ResourceAction;
      if (ch.op === 'delete') {
        this.existing.delete(key);
        action = 'deleted';
      } else {
        action = this.existing.has(key) ? 'configured' : 'created';
        this.existing.add(key);
      }
      return { kind: ref.kind, namespace: ref.namespace, name: ref.name, action };
    });
    const applies = cs.changes.some((c) => c.op === 'apply');
    const deletes = cs.changes.some((c) => c.op === 'delete');
    return {
      seq,
      id: cs.id,
      at: cs.at,
      actor: cs.actor,
      action: cs.repairs !== undefined ? 'repair' : cs.rollbackOf !== undefined ? 'rollback' : applies && deletes ? 'apply+delete' : deletes ? 'delete' : 'apply',
      resources,
      ...(cs.reason !== undefined ? { reason: cs.reason } : {}),
      ...(cs.rollbackOf !== undefined ? { rollbackOf: cs.rollbackOf } : {}),
      ...(cs.repairs !== undefined ? { repairs: cs.repairs.map((r) => r.seq) } : {}),
    };
  }
}

/** `jetmesh history [KIND[/NAME]] [-n NS] [--since T] [--until T] [--actor A]`. */
export interface HistoryFilter {
  readonly kind?: ResourceKind;
  readonly name?: string;
  /** Only changes touching this namespace. */
  readonly namespace?: string;
  /** Inclusive: a sequence or a time. */
  readonly since?: TimePoint;
  readonly until?: TimePoint;
  readonly actor?: string;
}

const reached = (p: TimePoint, e: Pick<HistoryEntry, 'seq' | 'at'>): boolean =>
  p.kind === 'sequence' ? e.seq >= p.seq : instantOf(e.at) >= instantOf(p.at);

const passed = (p: TimePoint, e: Pick<HistoryEntry, 'seq' | 'at'>): boolean =>
  p.kind === 'sequence' ? e.seq > p.seq : instantOf(e.at) > instantOf(p.at);

export const matchesHistoryFilter = (f: HistoryFilter, e: HistoryEntry): boolean =>
  (f.since === undefined || reached(f.since, e)) &&
  (f.until === undefined || !passed(f.until, e)) &&
  (f.actor === undefined || e.actor === f.actor) &&
  // A repair touches no resource: it shows unless the filter asks for resources.
  ((f.kind === undefined && f.name === undefined && f.namespace === undefined) ||
    e.resources.some(
    (r) =>
      (f.kind === undefined || r.kind === f.kind) &&
      (f.name === undefined || r.name === f.name) &&
      (f.namespace === undefined || r.namespace === f.namespace),
    ));

/** True once the log is past `until` by sequence, so a reader can stop early (times may be out of order). */
export const isPastHistoryRange = (f: HistoryFilter, seq: number): boolean => f.until?.kind === 'sequence' && seq > f.until.seq;
