import { left, right, type Either } from 'fp-ts/lib/Either.js';
import {
  canonicalJson,
  encodeResource,
  formatRef,
  getResource,
  invalid,
  refOf,
  resourceKey,
  type Change,
  type DecodedDocument,
  type Invalid,
  type MeshState,
  type ResourceRef,
  type StoredResource,
} from '@jetmesh/model';
import type { ChangeAction } from '@jetmesh/rpc';
import { inDocument } from './document-label.js';
import { routeWarnings } from './route-warnings.js';

/** What one request does to one resource. */
export interface PlannedChange {
  readonly ref: ResourceRef;
  readonly action: ChangeAction;
  /** resourceVersion of the stored resource before the change; 0 when there was none. */
  readonly storedVersion: number;
}

/**
 * The result of checking a request against the current state: the ChangeSet's changes
 * (only what actually changes) and, in request order, what happens to every resource.
 */
export interface ChangePlan {
  readonly changes: readonly Change[];
  readonly outcomes: readonly PlannedChange[];
  /** Accepted but suspicious, one line each (see route-warnings). */
  readonly warnings: readonly string[];
}

/** A decoded document of an apply, with the label its errors carry. */
export interface ApplyItem {
  readonly label: string;
  readonly document: DecodedDocument;
}

/** A resource to delete, with the label its errors carry. */
export interface DeleteItem {
  readonly label: string;
  readonly ref: ResourceRef;
  /** `metadata.resourceVersion` of a delete-by-document: a precondition. */
  readonly expectedVersion?: string;
}

/** Lost-update guard: a document that says which version it edits must edit the stored one. */
const versionConflict = (label: string, ref: ResourceRef, expected: string | undefined, stored: StoredResource | undefined): Invalid | undefined => {
  if (expected === undefined) return undefined;
  const path = inDocument(label, 'metadata.resourceVersion');
  if (stored === undefined) return invalid(path, `is "${expected}" but ${formatRef(ref)} does not exist; remove resourceVersion to create it`, 'CONFLICT');
  if (expected === String(stored.resourceVersion)) return undefined;
  return invalid(path, `is "${expected}" but ${formatRef(ref)} is at resourceVersion ${stored.resourceVersion}; get it again and reapply your change`, 'CONFLICT');
};

/** Each resource at most once per request: two versions of one resource in one change are ambiguous. */
const duplicateOf = (seen: Map<string, string>, label: string, ref: ResourceRef): Invalid | undefined => {
  const key = resourceKey(ref);
  const first = seen.get(key);
  if (first !== undefined) return invalid(label, `${formatRef(ref)} is also in ${first}; name each resource once per request`);
  seen.set(key, label);
  return undefined;
};

const sameContent = (stored: StoredResource, next: DecodedDocument['resource']): boolean =>
  canonicalJson(encodeResource(stored.resource)) === canonicalJson(encodeResource(next));

/** Plans an apply: created / configured / unchanged per document; every problem at once. */
export const planApply = (state: MeshState, items: readonly ApplyItem[]): Either<Invalid[], ChangePlan> => {
  const problems: Invalid[] = [];
  const changes: Change[] = [];
  const outcomes: PlannedChange[] = [];
  const seen = new Map<string, string>();
  for (const { label, document } of items) {
    const ref = refOf(document.resource);
    const stored = getResource(state, ref);
    const problem = duplicateOf(seen, label, ref) ?? versionConflict(label, ref, document.expectedVersion, stored);
    if (problem !== undefined) {
      problems.push(problem);
      continue;
    }
    if (stored !== undefined && sameContent(stored, document.resource)) {
      outcomes.push({ ref, action: 'unchanged', storedVersion: stored.resourceVersion });
      continue;
    }
    changes.push({ op: 'apply', resource: document.resource });
    outcomes.push({ ref, action: stored === undefined ? 'created' : 'configured', storedVersion: stored?.resourceVersion ?? 0 });
  }
  if (problems.length > 0) return left(problems);
  return right({ changes, outcomes, warnings: routeWarnings(state, items.map((i) => i.document.resource)) });
};

/** Plans a delete: every named resource must exist (and be at its expected version). */
export const planDelete = (state: MeshState, items: readonly DeleteItem[]): Either<Invalid[], ChangePlan> => {
  const problems: Invalid[] = [];
  const changes: Change[] = [];
  const outcomes: PlannedChange[] = [];
  const seen = new Map<string, string>();
  for (const { label, ref, expectedVersion } of items) {
    const stored = getResource(state, ref);
    const problem =
      duplicateOf(seen, label, ref) ??
      (stored === undefined ? invalid(label, `${formatRef(ref)} not found`, 'NOT_FOUND') : undefined) ??
      versionConflict(label, ref, expectedVersion, stored);
    if (problem !== undefined) {
      problems.push(problem);
      continue;
    }
    changes.push({ op: 'delete', ref });
    outcomes.push({ ref, action: 'deleted', storedVersion: stored?.resourceVersion ?? 0 });
  }
  return problems.length > 0 ? left(problems) : right({ changes, outcomes, warnings: [] });
};
