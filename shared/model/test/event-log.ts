import { isLeft } from 'fp-ts/lib/Either.js';
import {
  type Change,
  type ChangeSet,
  type LogEvent,
  type MeshResource,
  type MeshState,
  type RegistryEvent,
  GENESIS_HASH,
  changeSetHash,
  decodeResource,
  emptyMeshState,
  formatInvalid,
  replay,
} from '../src/index.js';

/** A ChangeSet before it is placed in the log: galley fills `prev` when it appends. */
export type ChangeSetBody = Omit<ChangeSet, 'prev'>;

/** Decodes a document the test knows to be valid; a failure is a bug in the test's fixture. */
export const mustDecode = (doc: unknown, namespace?: string): MeshResource => {
  const r = decodeResource(doc, namespace);
  if (isLeft(r)) throw new Error(`fixture does not decode:\n${r.left.map(formatInvalid).join('\n')}`);
  return r.right.resource;
};

/** Places ChangeSets in MESH_CONFIG: consecutive sequences and a correct `prev` hash chain. */
export const chainConfigLog = (bodies: readonly ChangeSetBody[], firstSeq = 1, prev: string = GENESIS_HASH): LogEvent[] => {
  const out: LogEvent[] = [];
  let last = prev;
  bodies.forEach((body, i) => {
    const event: ChangeSet = { ...body, prev: last };
    last = changeSetHash(event);
    out.push({ stream: 'config', seq: firstSeq + i, event });
  });
  return out;
};

/** Places registry events in MESH_REGISTRY with consecutive sequences. */
export const registryLog = (events: readonly RegistryEvent[], firstSeq = 1): LogEvent[] =>
  events.map((event, i) => ({ stream: 'registry', seq: firstSeq + i, event }));

let counter = 0;

/** A ChangeSet body applying these resources, as one `jetmesh apply -f` would. */
export const applying = (resources: readonly MeshResource[]): ChangeSetBody => ({
  id: `cs-${++counter}`,
  type: 'ChangeSet',
  at: '2024-05-01T12:00:00.000Z',
  actor: 'user:alice',
  changes: resources.map((resource): Change => ({ op: 'apply', resource })),
});

export const deleting = (resource: MeshResource): ChangeSetBody => ({
  id: `cs-${++counter}`,
  type: 'ChangeSet',
  at: '2024-05-01T12:00:00.000Z',
  actor: 'user:alice',
  changes: [{ op: 'delete', ref: { kind: resource.kind, namespace: resource.metadata.namespace, name: resource.metadata.name } }],
});

/** The state after these ChangeSets, in order, starting at sequence 1. */
export const stateAfter = (...bodies: ChangeSetBody[]): MeshState => replay(emptyMeshState, chainConfigLog(bodies));
