import type { MeshState } from './mesh-state.js';
import { type ResourceRef, encodeResource, refOf } from './resource.js';
import { type ValueChange, diffValues } from './value-diff.js';

/** How one resource differs between two points of the log. */
export interface ResourceDiff {
  readonly ref: ResourceRef;
  readonly change: 'added' | 'removed' | 'changed';
  /** resourceVersion on each side (absent where the resource did not exist). */
  readonly fromVersion?: number;
  readonly toVersion?: number;
  /** Field by field, paths from the document root (`spec.http[0].route[1].weight`). */
  readonly fields: readonly ValueChange[];
}

/** Every resource that differs between `from` and `to`, ordered by key (Kind/namespace/name). */
export const diffConfig = (from: MeshState, to: MeshState): ResourceDiff[] => {
  const keys = [...new Set([...from.resources.keys(), ...to.resources.keys()])].sort();
  const out: ResourceDiff[] = [];
  for (const key of keys) {
    const a = from.resources.get(key);
    const b = to.resources.get(key);
    const ref = refOf((b ?? a)!.resource);
    const fields = diffValues(a === undefined ? {} : encodeResource(a.resource), b === undefined ? {} : encodeResource(b.resource));
    if (a !== undefined && b !== undefined && fields.length === 0) continue;
    out.push({
      ref,
      change: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed',
      ...(a !== undefined ? { fromVersion: a.resourceVersion } : {}),
      ...(b !== undefined ? { toVersion: b.resourceVersion } : {}),
      fields,
    });
  }
  return out;
};
