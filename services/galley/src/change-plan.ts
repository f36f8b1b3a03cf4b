import { left, right, type Either } from 'fp-ts/lib/Either.js';
import {
  ChangeSetCodec,
  GENESIS_HASH,
  canonicalJson,
  encodeResource,
  failsStrict,
  formatDiagnostic,
  formatRef,
  getResource,
  invalid,
  refOf,
  resourceKey,
  type Change,
  type DecodedDocument,
  type Diagnostic,
  type Invalid,
  type MeshState,
  type ResourceRef,
  type StoredResource,
} from '@jetmesh/model';
import type { ChangeAction } from '@jetmesh/rpc';
import { inDocument } from './document-label.js';
import { applyDiagnostics } from './route-warnings.js';

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
  /** The analyzer findings behind `warnings` (apply plans only). */
  readonly diagnostics?: readonly Diagnostic[];
}

export interface ApplyOptions {
  /** Analyzer warnings refuse the change (`jetmesh apply --strict`). */
  readonly strict?: boolean;
  /** Largest encoded ChangeSet accepted; a bigger change is refused before it is published. */
  readonly maxChangeSetBytes?: number;
}

/** Room left in the size limit for the envelope (id, time, actor, reason, prev) around the changes. */
const ENVELOPE_BYTES = 4096;

/** The encoded size of the changes as one event, so an oversized change is refused with its size, on dry runs too. */
export const changeSetBytes = (changes: readonly Change[]): number =>
  Buffer.byteLength(JSON.stringify(ChangeSetCodec.encode({ id: '', type: 'ChangeSet', at: '', actor: '', prev: GENESIS_HASH, changes })), 'utf8') + ENVELOPE_BYTES;

/** One line per problem; the limit is never split over several events, so atomicity never depends on a protocol. */
export const changeSetTooLarge = (bytes: number, max: number): Invalid =>
  invalid('', `the change is ${bytes} bytes encoded; the limit is ${max} bytes: apply it in smaller parts`, 'TOO_LARGE');

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
export const planApply = (state: MeshState, items: readonly ApplyItem[], options: ApplyOptions = {}): Either<Invalid[], ChangePlan> => {
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
  if (options.maxChangeSetBytes !== undefined && changes.length > 0) {
    const bytes = changeSetBytes(changes);
    if (bytes > options.maxChangeSetBytes) return left([changeSetTooLarge(bytes, options.maxChangeSetBytes)]);
  }
  const diagnostics = applyDiagnostics(state, items.map((i) => i.document.resource));
  // --strict: what would be a warning refuses the change, printed the way istioctl prints errors.
  const failing = options.strict === true ? diagnostics.filter(failsStrict) : [];
  if (failing.length > 0) return left(failing.map((d) => invalid('', `${formatDiagnostic(d, 'Error')} (--strict)`)));
  return right({ changes, outcomes, warnings: diagnostics.map((d) => formatDiagnostic(d)), diagnostics });
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
