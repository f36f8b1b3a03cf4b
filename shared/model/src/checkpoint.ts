import { type Either, isLeft, left, right } from 'fp-ts/lib/Either.js';
import { sha256Hex } from './canonical-json.js';
import { formatInvalid } from './invalid.js';
import { decodeWith } from './codec/schema.js';
import { emptyMeshState, type MeshState, type RegisteredWorkload, type StoredResource } from './mesh-state.js';
import { decodeResource, encodeResource, refOf, resourceKey } from './resource.js';
import { WorkloadEntrySpec } from './resources/workload-entry.js';

/*
 * A checkpoint is the CONFIG part of MeshState at MESH_CONFIG sequence N: every stored resource
 * with its resourceVersion and createdAt, and the hash of ChangeSet N. It never holds registry
 * workloads: MESH_REGISTRY is compacted and operators may purge it, so its state is checkpointed
 * apart (below) with checks of its own. The config and registry folds are independent, so
 * checkpoint(N) + config replay from N+1 + the registry (whole, or its checkpoint and tail) gives
 * exactly the state of a full replay (property-tested).
 *
 * Format: one header line of JSON, a newline, the body JSON. The header names the format and
 * version and carries the SHA-256 of the body, so a torn or edited checkpoint is detected.
 */

export const CHECKPOINT_FORMAT = 'jetmesh.config-checkpoint';
/** Bump when the body changes shape or stored events are validated differently: older checkpoints are then ignored. */
export const CHECKPOINT_VERSION = 1;

export interface ConfigCheckpoint {
  readonly configSeq: number;
  /** Hash of ChangeSet `configSeq`: lets a reader check the checkpoint belongs to the log it replays. */
  readonly lastChangeSetHash: string;
  /** In the state's own order, so a restored state iterates as the replayed one does. */
  readonly resources: readonly StoredResource[];
}

interface CheckpointHeader {
  readonly format: string;
  readonly version: number;
  readonly sha256: string;
  readonly configSeq: number;
}

/** Why a checkpoint cannot be used; the caller replays the whole log instead. */
export interface CheckpointProblem {
  readonly code: 'MALFORMED' | 'UNKNOWN_VERSION' | 'DIGEST_MISMATCH' | 'INVALID';
  readonly reason: string;
}

export const checkpointOf = (state: MeshState): ConfigCheckpoint => ({
  configSeq: state.configSeq,
  lastChangeSetHash: state.lastChangeSetHash,
  resources: [...state.resources.values()],
});

/** The state a checkpoint stands for; its registry part is empty (see the module comment). */
export const stateFromCheckpoint = (cp: ConfigCheckpoint): MeshState => ({
  ...emptyMeshState,
  configSeq: cp.configSeq,
  lastChangeSetHash: cp.lastChangeSetHash,
  resources: new Map(cp.resources.map((s) => [resourceKey(refOf(s.resource)), s])),
});

export const encodeCheckpoint = (cp: ConfigCheckpoint): string => {
  const body = JSON.stringify({
    configSeq: cp.configSeq,
    lastChangeSetHash: cp.lastChangeSetHash,
    resources: cp.resources.map((s) => ({ resource: encodeResource(s.resource), resourceVersion: s.resourceVersion, createdAt: s.createdAt })),
  });
  const header: CheckpointHeader = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, sha256: sha256Hex(body), configSeq: cp.configSeq };
  return `${JSON.stringify(header)}\n${body}`;
};

const problem = (code: CheckpointProblem['code'], reason: string): Either<CheckpointProblem, never> => left({ code, reason });

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
const isSeq = (u: unknown): u is number => Number.isSafeInteger(u) && (u as number) >= 0;

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Resources are decoded with today's rules, as the events they came from would be on a replay. */
export const decodeCheckpoint = (text: string): Either<CheckpointProblem, ConfigCheckpoint> => {
  const newline = text.indexOf('\n');
  const header = parseJson(newline < 0 ? text : text.slice(0, newline));
  if (!isObject(header) || header.format !== CHECKPOINT_FORMAT) return problem('MALFORMED', 'not a Jetmesh config checkpoint (bad header)');
  if (header.version !== CHECKPOINT_VERSION) {
    return problem('UNKNOWN_VERSION', `checkpoint version ${JSON.stringify(header.version)} is not ${CHECKPOINT_VERSION}, the one this build reads`);
  }
  if (newline < 0) return problem('MALFORMED', 'checkpoint has no body');
  const bodyText = text.slice(newline + 1);
  if (sha256Hex(bodyText) !== header.sha256) return problem('DIGEST_MISMATCH', 'checkpoint body does not match its SHA-256 (torn or edited)');
  const body = parseJson(bodyText);
  if (!isObject(body) || !isSeq(body.configSeq) || typeof body.lastChangeSetHash !== 'string' || !Array.isArray(body.resources)) {
    return problem('MALFORMED', 'checkpoint body lacks configSeq, lastChangeSetHash or resources');
  }
  if (body.configSeq !== header.configSeq) return problem('MALFORMED', 'checkpoint header and body name different sequences');
  const resources: StoredResource[] = [];
  for (const [i, entry] of (body.resources as unknown[]).entries()) {
    if (!isObject(entry) || !isSeq(entry.resourceVersion) || !isSeq(entry.createdAt)) return problem('MALFORMED', `resources[${i}] lacks resourceVersion or createdAt`);
    const decoded = decodeResource(entry.resource, '');
    if (isLeft(decoded)) return problem('INVALID', `resources[${i}]: ${decoded.left.map(formatInvalid).join('; ')}`);
    if (decoded.right.resource.metadata.namespace === '') return problem('INVALID', `resources[${i}]: metadata.namespace: required in a stored resource`);
    resources.push({ resource: decoded.right.resource, resourceVersion: entry.resourceVersion, createdAt: entry.createdAt });
  }
  return right({ configSeq: body.configSeq, lastChangeSetHash: body.lastChangeSetHash, resources });
};

/*
 * A registry checkpoint is the REGISTRY part of MeshState at MESH_REGISTRY sequence M: every
 * registered workload with the sequence of the event that last set it. It is sound because a
 * workload's state is its subject's last event and the stream keeps one message per subject:
 * compaction only drops a message once a later one on the same subject exists, and a later one
 * is either folded into the checkpoint (≤ M) or replayed after it (> M). What compaction does
 * not explain (the stream recreated, purged past a workload's event) the loader checks against
 * the stream before using it; a subject purge of a live registration is checked after start.
 */

export const REGISTRY_CHECKPOINT_FORMAT = 'jetmesh.registry-checkpoint';
export const REGISTRY_CHECKPOINT_VERSION = 1;

export interface RegistryCheckpoint {
  readonly registrySeq: number;
  /** When MESH_REGISTRY was created (its stream info): a recreated stream's sequences name other events. */
  readonly streamCreated: string;
  /** In the state's own order, so a restored state iterates as the replayed one does. */
  readonly workloads: readonly RegisteredWorkload[];
}

export const registryCheckpointOf = (state: MeshState, streamCreated: string): RegistryCheckpoint => ({
  registrySeq: state.registrySeq,
  streamCreated,
  workloads: [...state.workloads.values()],
});

/** `state` with its registry part replaced by the checkpoint's; the config part is kept (the folds are independent). */
export const withRegistryCheckpoint = (state: MeshState, cp: RegistryCheckpoint): MeshState => ({
  ...state,
  registrySeq: cp.registrySeq,
  workloads: new Map(cp.workloads.map((w) => [`${w.namespace}/${w.name}`, w])),
});

export const encodeRegistryCheckpoint = (cp: RegistryCheckpoint): string => {
  const body = JSON.stringify({
    registrySeq: cp.registrySeq,
    streamCreated: cp.streamCreated,
    workloads: cp.workloads.map((w) => ({ namespace: w.namespace, name: w.name, workload: WorkloadEntrySpec.encode(w.workload), registrySeq: w.registrySeq })),
  });
  const header: RegistryCheckpointHeader = { format: REGISTRY_CHECKPOINT_FORMAT, version: REGISTRY_CHECKPOINT_VERSION, sha256: sha256Hex(body), registrySeq: cp.registrySeq };
  return `${JSON.stringify(header)}\n${body}`;
};

interface RegistryCheckpointHeader {
  readonly format: string;
  readonly version: number;
  readonly sha256: string;
  readonly registrySeq: number;
}

/** Workloads are decoded with today's rules, as the registry events they came from would be on a replay. */
export const decodeRegistryCheckpoint = (text: string): Either<CheckpointProblem, RegistryCheckpoint> => {
  const newline = text.indexOf('\n');
  const header = parseJson(newline < 0 ? text : text.slice(0, newline));
  if (!isObject(header) || header.format !== REGISTRY_CHECKPOINT_FORMAT) return problem('MALFORMED', 'not a Jetmesh registry checkpoint (bad header)');
  if (header.version !== REGISTRY_CHECKPOINT_VERSION) {
    return problem('UNKNOWN_VERSION', `registry checkpoint version ${JSON.stringify(header.version)} is not ${REGISTRY_CHECKPOINT_VERSION}, the one this build reads`);
  }
  if (newline < 0) return problem('MALFORMED', 'registry checkpoint has no body');
  const bodyText = text.slice(newline + 1);
  if (sha256Hex(bodyText) !== header.sha256) return problem('DIGEST_MISMATCH', 'registry checkpoint body does not match its SHA-256 (torn or edited)');
  const body = parseJson(bodyText);
  if (!isObject(body) || !isSeq(body.registrySeq) || typeof body.streamCreated !== 'string' || !Array.isArray(body.workloads)) {
    return problem('MALFORMED', 'registry checkpoint body lacks registrySeq, streamCreated or workloads');
  }
  if (body.registrySeq !== header.registrySeq) return problem('MALFORMED', 'registry checkpoint header and body name different sequences');
  const workloads: RegisteredWorkload[] = [];
  for (const [i, entry] of (body.workloads as unknown[]).entries()) {
    if (!isObject(entry) || typeof entry.namespace !== 'string' || typeof entry.name !== 'string' || !isSeq(entry.registrySeq)) {
      return problem('MALFORMED', `workloads[${i}] lacks namespace, name or registrySeq`);
    }
    if (entry.registrySeq > body.registrySeq) return problem('MALFORMED', `workloads[${i}]: registrySeq ${entry.registrySeq} is past the checkpoint's ${body.registrySeq}`);
    const decoded = decodeWith(WorkloadEntrySpec, entry.workload);
    if (isLeft(decoded)) return problem('INVALID', `workloads[${i}].workload: ${decoded.left.map(formatInvalid).join('; ')}`);
    workloads.push({ namespace: entry.namespace, name: entry.name, workload: decoded.right, registrySeq: entry.registrySeq });
  }
  return right({ registrySeq: body.registrySeq, streamCreated: body.streamCreated, workloads });
};
