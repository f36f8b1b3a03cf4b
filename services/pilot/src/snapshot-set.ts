import { isLeft } from 'fp-ts/lib/Either.js';
import {
  contentHash,
  deriveMesh,
  deriveMeshIncrementally,
  deriveWorkloadSnapshots,
  type DerivedMesh,
  type MeshState,
  type RoutingSnapshot,
  type SnapshotVersion,
  type VersionedSnapshot,
  type VersionedWorkloadSnapshot,
} from '@jetmesh/model';
import { sameJson } from './same-json.js';
import { checkSnapshot, checkWorkloadSnapshot, type SnapshotInconsistency } from './snapshot-consistency.js';

/** Every host's snapshot at one log position: derived, hashed and checked, ready for any publisher. */
export interface SnapshotSet {
  readonly version: SnapshotVersion;
  /** Consistent snapshots by host, in host order. */
  readonly snapshots: ReadonlyMap<string, VersionedSnapshot>;
  /** Hosts whose snapshot failed the check: publishers leave their last good snapshot in place. */
  readonly rejected: ReadonlyMap<string, readonly SnapshotInconsistency[]>;
  /** Hosts derived again for this set (new or possibly changed); the others are carried over unchanged. */
  readonly rederived: ReadonlySet<string>;
  /** Hosts that existed in the previous set and no longer do. */
  readonly removed: ReadonlySet<string>;
  /** Consistent inbound snapshots by workload (`namespace/name`), in key order; derived in full every time. */
  readonly workloads: ReadonlyMap<string, VersionedWorkloadSnapshot>;
  /** Workloads whose snapshot failed the check: publishers leave their last good snapshot in place. */
  readonly rejectedWorkloads: ReadonlyMap<string, readonly SnapshotInconsistency[]>;
  /** What the next incremental derivation starts from. */
  readonly derived: DerivedMesh;
}

const stateVersion = (state: MeshState): SnapshotVersion => ({ config: state.configSeq, registry: state.registrySeq });

/**
 * Derives the set for `state`. With the previous set, only hosts the changes touch are derived,
 * hashed and checked again (the model proves this equal to a full derivation); the rest are
 * carried over with the new version.
 */
export function deriveSnapshotSet(state: MeshState, previous?: SnapshotSet): SnapshotSet {
  const version = stateVersion(state);
  const step =
    previous === undefined
      ? (() => {
          const derived = deriveMesh(state);
          return { derived, rederived: new Set(derived.snapshots.keys()), removed: new Set<string>() };
        })()
      : deriveMeshIncrementally(previous.derived, state);
  const snapshots = new Map<string, VersionedSnapshot>();
  const rejected = new Map<string, readonly SnapshotInconsistency[]>();
  const accept = (host: string, derived: RoutingSnapshot) => {
    // Derived again but unchanged (a registry event re-derives every service it may touch): the check and hash stand.
    const before = previous?.snapshots.get(host);
    if (before !== undefined && sameJson(derived, before.snapshot)) {
      snapshots.set(host, { ...before, version });
      return;
    }
    const checked = checkSnapshot(host, derived);
    if (isLeft(checked)) rejected.set(host, checked.left);
    else snapshots.set(host, { version, contentHash: contentHash(checked.right), snapshot: checked.right });
  };
  for (const [host, derived] of step.derived.snapshots) {
    const carried = step.rederived.has(host) ? undefined : previous?.snapshots.get(host);
    if (carried !== undefined) snapshots.set(host, { ...carried, version });
    else if (!step.rederived.has(host) && previous?.rejected.has(host)) rejected.set(host, previous.rejected.get(host) ?? []);
    else accept(host, derived);
  }
  const workloads = new Map<string, VersionedWorkloadSnapshot>();
  const rejectedWorkloads = new Map<string, readonly SnapshotInconsistency[]>();
  for (const [key, derived] of deriveWorkloadSnapshots(state, step.derived.index)) {
    // Most workloads come out as they were: comparing is far cheaper than canonical JSON and
    // SHA-256, and equal data hashes alike, so the carried hash (and the check it passed) stand.
    const carried = previous?.workloads.get(key);
    if (carried !== undefined && sameJson(derived, carried.snapshot)) {
      workloads.set(key, { ...carried, version });
      continue;
    }
    const slash = key.indexOf('/');
    const checked = checkWorkloadSnapshot({ namespace: key.slice(0, slash), name: key.slice(slash + 1) }, derived);
    if (isLeft(checked)) rejectedWorkloads.set(key, checked.left);
    else {
      const hash = contentHash(checked.right);
      // The same content keeps the same object (and the hash): publishers compare hashes, not values.
      workloads.set(key, carried !== undefined && carried.contentHash === hash ? { ...carried, version } : { version, contentHash: hash, snapshot: checked.right });
    }
  }
  return { version, snapshots, rejected, derived: step.derived, rederived: step.rederived, removed: step.removed, workloads, rejectedWorkloads };
}
