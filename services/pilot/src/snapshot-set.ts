import { isLeft } from 'fp-ts/lib/Either.js';
import { contentHash, deriveSnapshots, type MeshState, type SnapshotVersion, type VersionedSnapshot } from '@jetmesh/model';
import { checkSnapshot, type SnapshotInconsistency } from './snapshot-consistency.js';

/** Every host's snapshot at one log position: derived, hashed and checked, ready for any publisher. */
export interface SnapshotSet {
  readonly version: SnapshotVersion;
  /** Consistent snapshots by host, in host order. */
  readonly snapshots: ReadonlyMap<string, VersionedSnapshot>;
  /** Hosts whose snapshot failed the check: publishers leave their last good snapshot in place. */
  readonly rejected: ReadonlyMap<string, readonly SnapshotInconsistency[]>;
}

const stateVersion = (state: MeshState): SnapshotVersion => ({ config: state.configSeq, registry: state.registrySeq });

export function deriveSnapshotSet(state: MeshState): SnapshotSet {
  const version = stateVersion(state);
  const snapshots = new Map<string, VersionedSnapshot>();
  const rejected = new Map<string, readonly SnapshotInconsistency[]>();
  for (const [host, derived] of deriveSnapshots(state)) {
    const checked = checkSnapshot(host, derived);
    if (isLeft(checked)) rejected.set(host, checked.left);
    else snapshots.set(host, { version, contentHash: contentHash(checked.right), snapshot: checked.right });
  }
  return { version, snapshots, rejected };
}
