import { type ChangeSet, changeSetHash, type LogEvent, type RegistryEvent } from './events.js';
import type { MeshState, RegisteredWorkload, StoredResource } from './mesh-state.js';
import { plainObject } from './plain-value.js';
import { refOf, resourceKey } from './resource.js';

/** A config event for `replay`; made so that a batch of them dies young (see plain-value.ts). */
export const configLogEvent = (seq: number, event: ChangeSet): LogEvent => {
  const e = plainObject<Extract<LogEvent, { stream: 'config' }>>();
  e.stream = 'config';
  e.seq = seq;
  e.event = event;
  return e;
};

/** A registry event for `replay`; made so that a batch of them dies young (see plain-value.ts). */
export const registryLogEvent = (seq: number, event: RegistryEvent): LogEvent => {
  const e = plainObject<Extract<LogEvent, { stream: 'registry' }>>();
  e.stream = 'registry';
  e.seq = seq;
  e.event = event;
  return e;
};

/**
 * The only way state is built: pilot, galley and the CLI's replay all fold the log with this.
 * Pure: the input state is never modified. Events at or below the state's position in their
 * stream are ignored, so redelivery after a reconnect cannot apply a change twice.
 */
export const reduce = (state: MeshState, e: LogEvent): MeshState => replay(state, [e]);

/** Folds many events with one copy of the maps (a long replay must not copy per event). */
export const replay = (state: MeshState, events: Iterable<LogEvent>): MeshState => {
  let resources: Map<string, StoredResource> | undefined;
  let workloads: Map<string, RegisteredWorkload> | undefined;
  let { configSeq, registrySeq, lastChangeSetHash } = state;
  // Only the last ChangeSet's hash survives a fold: hashing each one would dominate a long replay.
  let lastChangeSet: ChangeSet | undefined;
  for (const e of events) {
    if (e.stream === 'config') {
      if (e.seq <= configSeq) continue;
      resources ??= new Map(state.resources);
      for (const change of e.event.changes) {
        if (change.op === 'apply') {
          const key = resourceKey(refOf(change.resource));
          const existing = resources.get(key);
          resources.set(key, { resource: change.resource, resourceVersion: e.seq, createdAt: existing?.createdAt ?? e.seq });
        } else {
          resources.delete(resourceKey(change.ref));
        }
      }
      configSeq = e.seq;
      lastChangeSet = e.event;
    } else {
      if (e.seq <= registrySeq) continue;
      workloads ??= new Map(state.workloads);
      const key = `${e.event.namespace}/${e.event.name}`;
      if (e.event.type === 'WorkloadRemoved') workloads.delete(key);
      else workloads.set(key, { namespace: e.event.namespace, name: e.event.name, workload: e.event.workload, registrySeq: e.seq });
      registrySeq = e.seq;
    }
  }
  if (lastChangeSet !== undefined) lastChangeSetHash = changeSetHash(lastChangeSet);
  return {
    configSeq,
    registrySeq,
    lastChangeSetHash,
    resources: resources ?? state.resources,
    workloads: workloads ?? state.workloads,
  };
};
