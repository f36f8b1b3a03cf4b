import type { MeshResource, ResourceKind, ResourceRef } from './resource.js';
import type { WorkloadEntrySpec } from './resources/workload-entry.js';
import { GENESIS_HASH } from './events.js';
import { resourceKey } from './resource.js';

export interface StoredResource {
  readonly resource: MeshResource;
  /** Sequence of the ChangeSet that last changed it (Kubernetes' resourceVersion). */
  readonly resourceVersion: number;
  /** Sequence of the ChangeSet that created it: the older of two conflicting resources wins, as in Istio. */
  readonly createdAt: number;
}

export interface RegisteredWorkload {
  readonly namespace: string;
  readonly name: string;
  readonly workload: WorkloadEntrySpec;
  readonly registrySeq: number;
}

/** Everything the log says, folded. Built only by `reduce`; the same events give the same state. */
export interface MeshState {
  /** Last MESH_CONFIG sequence folded in (0: none). */
  readonly configSeq: number;
  /** Last MESH_REGISTRY sequence folded in (0: none). */
  readonly registrySeq: number;
  /** Hash of the last ChangeSet, the `prev` of the next one. */
  readonly lastChangeSetHash: string;
  /** Keyed by `Kind/namespace/name`. */
  readonly resources: ReadonlyMap<string, StoredResource>;
  /** Keyed by `namespace/name`. */
  readonly workloads: ReadonlyMap<string, RegisteredWorkload>;
}

export const emptyMeshState: MeshState = {
  configSeq: 0,
  registrySeq: 0,
  lastChangeSetHash: GENESIS_HASH,
  resources: new Map(),
  workloads: new Map(),
};

export const getResource = (state: MeshState, ref: ResourceRef): StoredResource | undefined => state.resources.get(resourceKey(ref));

/** Resources of a kind, optionally in one namespace, in a stable order (namespace, name). */
export const listResources = (state: MeshState, kind: ResourceKind, namespace?: string): StoredResource[] =>
  [...state.resources.values()]
    .filter((s) => s.resource.kind === kind && (namespace === undefined || s.resource.metadata.namespace === namespace))
    .sort((a, b) => compareRefs(a.resource.metadata, b.resource.metadata));

const compareRefs = (a: { namespace: string; name: string }, b: { namespace: string; name: string }): number =>
  a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1;

/**
 * `state` without the workloads at `keys` (`namespace/name`): what a replay gives once every event
 * of their subjects was purged from MESH_REGISTRY, which no event announces.
 */
export const withoutWorkloads = (state: MeshState, keys: Iterable<string>): MeshState => {
  const workloads = new Map(state.workloads);
  for (const key of keys) workloads.delete(key);
  return { ...state, workloads };
};
