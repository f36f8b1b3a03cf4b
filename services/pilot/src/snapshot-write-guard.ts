import * as t from 'io-ts';
import { isRight } from 'fp-ts/lib/Either.js';
import type { SnapshotEntry } from '@jetmesh/bus';
import type { SnapshotVersion, VersionedSnapshot } from '@jetmesh/model';

/** What a snapshot key holds, as far as the write guard cares. */
export type StoredEntry =
  /** `revision`: of the delete marker, 0 when unknown. */
  | { readonly kind: 'absent'; readonly revision: number }
  | { readonly kind: 'snapshot'; readonly revision: number; readonly contentHash: string; readonly version: SnapshotVersion }
  /** Not a VersionedSnapshot (written by hand or an incompatible release): ours replaces it. */
  | { readonly kind: 'foreign'; readonly revision: number };

export const ABSENT: StoredEntry = { kind: 'absent', revision: 0 };

export type WriteDecision =
  | { readonly action: 'skip'; readonly outcome: 'unchanged' | 'superseded' }
  | { readonly action: 'put'; readonly expectedRevision: number | 'absent' };

export type RemoveDecision =
  | { readonly action: 'skip'; readonly outcome: 'absent' | 'superseded' }
  | { readonly action: 'remove'; readonly expectedRevision: number };

// Only what the guard compares; the rest of a stored snapshot is for proxies to read.
const StoredSnapshotHeader = t.type({
  version: t.type({ config: t.number, registry: t.number }),
  contentHash: t.string,
});

export function storedEntryOf(entry: SnapshotEntry | undefined): StoredEntry {
  if (entry === undefined) return ABSENT;
  const header = StoredSnapshotHeader.decode(entry.value);
  return isRight(header)
    ? { kind: 'snapshot', revision: entry.revision, contentHash: header.right.contentHash, version: header.right.version }
    : { kind: 'foreign', revision: entry.revision };
}

/**
 * True when a state at `ours` has seen everything a state at `stored` had. Stricter than
 * compareVersions on purpose: a replica ahead in config but behind in registry would otherwise
 * replace endpoints another replica already published with older ones.
 */
export const covers = (ours: SnapshotVersion, stored: SnapshotVersion): boolean =>
  ours.config >= stored.config && ours.registry >= stored.registry;

/** Equal content is never rewritten (so a restarted pilot leaves key, value and revision alone); a key is never moved backwards. */
export function decideWrite(stored: StoredEntry, desired: Pick<VersionedSnapshot, 'version' | 'contentHash'>): WriteDecision {
  switch (stored.kind) {
    case 'absent':
      return { action: 'put', expectedRevision: 'absent' };
    case 'foreign':
      return { action: 'put', expectedRevision: stored.revision };
    case 'snapshot':
      if (stored.contentHash === desired.contentHash) return { action: 'skip', outcome: 'unchanged' };
      if (!covers(desired.version, stored.version)) return { action: 'skip', outcome: 'superseded' };
      return { action: 'put', expectedRevision: stored.revision };
  }
}

/** A host gone from our derivation is removed, unless a replica further along the log has written it since. */
export function decideRemove(stored: StoredEntry, ours: SnapshotVersion): RemoveDecision {
  switch (stored.kind) {
    case 'absent':
      return { action: 'skip', outcome: 'absent' };
    case 'foreign':
      return { action: 'remove', expectedRevision: stored.revision };
    case 'snapshot':
      return covers(ours, stored.version) ? { action: 'remove', expectedRevision: stored.revision } : { action: 'skip', outcome: 'superseded' };
  }
}
