import { type Bus, type CheckpointStore, streamLastSequence, Streams } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { contentHash, decodeCheckpoint, stateFromCheckpoint, type MeshState } from '@jetmesh/model';

/**
 * The latest config checkpoint as a starting state, or undefined (replay the whole log) when
 * there is none or it cannot be trusted: unreadable, an unknown version, a resource today's
 * rules reject, or not a checkpoint of this log (its ChangeSet N does not hash to what the
 * checkpoint recorded: the stream was recreated, or the checkpoint is from another mesh).
 * Anything but "none" is logged as a warning: the replay is slower, never different.
 */
export async function loadCheckpoint(bus: Bus, store: CheckpointStore, log: Logger): Promise<MeshState | undefined> {
  const started = performance.now();
  const ignore = (reason: string, fields: object = {}): undefined => {
    log.warn({ ...fields, reason }, 'checkpoint ignored: replaying the whole log');
    return undefined;
  };
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
