import { type Bus, type CheckpointStore, streamLastSequence, Streams } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import {
  contentHash,
  decodeCheckpoint,
  decodeRegistryCheckpoint,
  emptyMeshState,
  stateFromCheckpoint,
  withRegistryCheckpoint,
  type MeshState,
  type RegistryCheckpoint,
} from '@jetmesh/model';

/** Pilot's two checkpoint stores: the config fold's and the registry fold's. */
export interface CheckpointStores {
  readonly config: CheckpointStore;
  readonly registry: CheckpointStore;
}

export interface LoadedCheckpoints {
  /** Where the replay starts: each part from its checkpoint, or empty (replay that stream whole) when it has none usable. */
  readonly state: MeshState;
  /** MESH_REGISTRY's creation time, recorded in the registry checkpoints written from here on. */
  readonly registryStreamCreated: string;
  /** The registry checkpoint used, if any: its workloads are checked against the stream once the replay is done. */
  readonly registry?: RegistryCheckpoint;
}

/** Both checkpoints, read and checked side by side; either one failing only means its stream is replayed whole. */
export async function loadCheckpoints(bus: Bus, stores: CheckpointStores, log: Logger): Promise<LoadedCheckpoints> {
  const [config, registry] = await Promise.all([loadConfigCheckpoint(bus, stores.config, log), loadRegistryCheckpoint(bus, stores.registry, log)]);
  const state = registry.checkpoint === undefined ? (config ?? emptyMeshState) : withRegistryCheckpoint(config ?? emptyMeshState, registry.checkpoint);
  return { state, registryStreamCreated: registry.streamCreated, ...(registry.checkpoint === undefined ? {} : { registry: registry.checkpoint }) };
}

type Ignore = (reason: string, fields?: object) => undefined;

const ignorer =
  (log: Logger, what: 'config' | 'registry'): Ignore =>
  (reason, fields = {}) => {
    // The config wording predates registry checkpoints; operators' log searches rely on it.
    log.warn({ ...fields, reason }, what === 'config' ? 'checkpoint ignored: replaying the whole log' : 'registry checkpoint ignored: replaying the whole MESH_REGISTRY stream');
    return undefined;
  };

/**
 * The latest config checkpoint as a starting state, or undefined (replay the whole log) when
 * there is none or it cannot be trusted: unreadable, an unknown version, a resource today's
 * rules reject, or not a checkpoint of this log (its ChangeSet N does not hash to what the
 * checkpoint recorded: the stream was recreated, or the checkpoint is from another mesh).
 * Anything but "none" is logged as a warning: the replay is slower, never different.
 */
async function loadConfigCheckpoint(bus: Bus, store: CheckpointStore, log: Logger): Promise<MeshState | undefined> {
  const started = performance.now();
  const ignore = ignorer(log, 'config');
  const stored = await store.readLatest();
  if (stored._tag === 'Left') return ignore(stored.left.reason);
  if (stored.right === undefined) {
    log.info({}, 'no checkpoint: replaying the whole log');
    return undefined;
  }
  const { manifest, data } = stored.right;
  const decoded = decodeCheckpoint(new TextDecoder().decode(data));
  if (decoded._tag === 'Left') return ignore(decoded.left.reason, { checkpoint: manifest.name, code: decoded.left.code });
  const cp = decoded.right;
  if (cp.configSeq === 0) return undefined;
  const end = await streamLastSequence(bus, Streams.config);
  if (cp.configSeq > end) return ignore(`it is at #${cp.configSeq} but MESH_CONFIG ends at #${end}`, { checkpoint: manifest.name });
  let anchor: string;
  try {
    const msg = await bus.jsm.streams.getMessage(Streams.config, { seq: cp.configSeq });
    anchor = msg === null ? '(missing)' : contentHash(JSON.parse(new TextDecoder().decode(msg.data)));
  } catch (err) {
    return ignore(`ChangeSet #${cp.configSeq} cannot be read: ${(err as Error).message}`, { checkpoint: manifest.name });
  }
  if (anchor !== cp.lastChangeSetHash) {
    return ignore(`ChangeSet #${cp.configSeq} of MESH_CONFIG does not hash to what the checkpoint recorded: it belongs to another log`, { checkpoint: manifest.name });
  }
  log.info({ checkpoint: manifest.name, configSeq: cp.configSeq, resources: cp.resources.length, bytes: data.length, loadMs: Math.round(performance.now() - started) }, 'checkpoint loaded: replaying MESH_CONFIG from the next change');
  return stateFromCheckpoint(cp);
}

/**
 * The latest registry checkpoint, or undefined (replay MESH_REGISTRY whole) when there is none or
 * the stream lost messages compaction does not explain: it was recreated (another creation time),
 * ends before the checkpoint, drops messages by age or count, or was purged past a workload's event.
 */
async function loadRegistryCheckpoint(bus: Bus, store: CheckpointStore, log: Logger): Promise<{ streamCreated: string; checkpoint?: RegistryCheckpoint }> {
  const started = performance.now();
  const ignore = ignorer(log, 'registry');
  const [stored, info] = await Promise.all([store.readLatest(), bus.jsm.streams.info(Streams.registry)]);
  const streamCreated = info.created;
  const usable = (): RegistryCheckpoint | undefined => {
    if (stored._tag === 'Left') return ignore(stored.left.reason);
    if (stored.right === undefined) {
      log.info({}, 'no registry checkpoint: replaying the whole MESH_REGISTRY stream');
      return undefined;
    }
    const { manifest, data } = stored.right;
    const decoded = decodeRegistryCheckpoint(new TextDecoder().decode(data));
    if (decoded._tag === 'Left') return ignore(decoded.left.reason, { checkpoint: manifest.name, code: decoded.left.code });
    const cp = decoded.right;
    const fields = { checkpoint: manifest.name };
    if (cp.registrySeq === 0) return undefined;
    if (cp.streamCreated !== streamCreated) return ignore(`MESH_REGISTRY was created at ${streamCreated}, the checkpoint's at ${cp.streamCreated}: it belongs to another stream`, fields);
    const { state, config } = info;
    if (cp.registrySeq > state.last_seq) return ignore(`it is at #${cp.registrySeq} but MESH_REGISTRY ends at #${state.last_seq}`, fields);
    if (config.max_age !== 0 || config.max_msgs !== -1 || config.max_bytes !== -1) {
      return ignore('MESH_REGISTRY drops messages by age, count or size, not only by compaction', fields);
    }
    const oldest = cp.workloads.reduce((min, w) => Math.min(min, w.registrySeq), Infinity);
    if (oldest < state.first_seq) return ignore(`MESH_REGISTRY now starts at #${state.first_seq}, past workload events the checkpoint holds (#${oldest}): it was purged`, fields);
    log.info({ ...fields, registrySeq: cp.registrySeq, workloads: cp.workloads.length, bytes: data.length, loadMs: Math.round(performance.now() - started) }, 'registry checkpoint loaded: replaying MESH_REGISTRY from the next event');
    return cp;
  };
  const checkpoint = usable();
  return checkpoint === undefined ? { streamCreated } : { streamCreated, checkpoint };
}
