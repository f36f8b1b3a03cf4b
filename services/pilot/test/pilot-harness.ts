import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import {
  connectBus,
  openSnapshotStore,
  provisionMesh,
  publishEvent,
  snapshotKeyForHost,
  Subjects,
  type Bus,
  type SnapshotStore,
} from '@jetmesh/bus';
import { createLogger, type Logger } from '@jetmesh/log';
import {
  changeSetHash,
  ChangeSetCodec,
  decodeResource,
  formatInvalid,
  GENESIS_HASH,
  RegistryEventCodec,
  type Change,
  type ChangeSet,
  type MeshResource,
  type RegistryEvent,
  type ResourceRef,
  type VersionedSnapshot,
  type WorkloadEntrySpec,
} from '@jetmesh/model';
import { eventually, repoRoot, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { startPilot, type Pilot } from '../src/pilot.js';
import { createPilotMetrics } from '../src/pilot-metrics.js';

export const REVIEWS = 'reviews.default.svc.cluster.local';
export const RATINGS = 'ratings.default.svc.cluster.local';

export const testLogger = (component: string): Logger => createLogger(component, process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');

/** Decodes documents the test knows to be valid; a failure is a bug in the fixture. */
export function resourcesOf(yamlText: string): MeshResource[] {
  return parseAllDocuments(yamlText).map((doc) => {
    const decoded = decodeResource(doc.toJS());
    if (isLeft(decoded)) throw new Error(`fixture does not decode:\n${decoded.left.map(formatInvalid).join('\n')}`);
    return decoded.right.resource;
  });
}

export const bookinfo = (): MeshResource[] => resourcesOf(readFileSync(join(repoRoot, 'examples', 'bookinfo-reviews.yaml'), 'utf8'));

/** A second service, so a test can see that changing reviews leaves it alone. */
export const ratings = (): MeshResource[] =>
  resourcesOf(`
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: ratings}
spec: {hosts: [ratings], ports: [{number: 9080, name: http}], workloadSelector: {labels: {app: ratings}}}
---
apiVersion: networking.istio.io/v1beta1
kind: WorkloadEntry
metadata: {name: ratings-v1}
spec: {address: 127.0.0.1, ports: {http: 19091}, labels: {app: ratings, version: v1}}
`);

/** The Bookinfo VirtualService with other v1/v2 weights for everyone but jason. */
export const reviewsRoute = (v1: number, v2: number): MeshResource[] =>
  resourcesOf(`
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews-route}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${v1}}
    - {destination: {host: reviews, subset: v2}, weight: ${v2}}
`);

export const refOf = (r: MeshResource): ResourceRef => ({ kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name });

/** Writes the event log the way galley does: ChangeSets chained by `prev`, registry events per workload subject. */
export class MeshLog {
  private prev = GENESIS_HASH;

  constructor(private readonly bus: Bus) {}

  /** Publishes one ChangeSet; returns its sequence in MESH_CONFIG. */
  async change(changes: Change[], reason?: string): Promise<number> {
    const changeSet: ChangeSet = {
      id: randomUUID(),
      type: 'ChangeSet',
      at: new Date().toISOString(),
      actor: 'user:pilot-test',
      ...(reason === undefined ? {} : { reason }),
      prev: this.prev,
      changes,
    };
    this.prev = changeSetHash(changeSet);
    const ack = await publishEvent(this.bus, ChangeSetCodec, Subjects.config, changeSet, { msgId: changeSet.id });
    if (isLeft(ack)) throw new Error(`publish failed: ${JSON.stringify(ack.left)}`);
    return ack.right.seq;
  }

  apply(resources: MeshResource[], reason?: string): Promise<number> {
    return this.change(resources.map((resource) => ({ op: 'apply', resource })), reason);
  }

  delete(refs: ResourceRef[]): Promise<number> {
    return this.change(refs.map((ref) => ({ op: 'delete', ref })));
  }

  /** Publishes one registry event; returns its sequence in MESH_REGISTRY. */
  async registry(event: RegistryEvent): Promise<number> {
    const ack = await publishEvent(this.bus, RegistryEventCodec, Subjects.registry(event.namespace, event.name), event, { msgId: event.id });
    if (isLeft(ack)) throw new Error(`publish failed: ${JSON.stringify(ack.left)}`);
    return ack.right.seq;
  }

  register(namespace: string, name: string, workload: WorkloadEntrySpec): Promise<number> {
    return this.registry({ id: randomUUID(), type: 'WorkloadRegistered', at: new Date().toISOString(), actor: 'agent:test', namespace, name, workload });
  }

  unregister(namespace: string, name: string): Promise<number> {
    return this.registry({ id: randomUUID(), type: 'WorkloadRemoved', at: new Date().toISOString(), actor: 'agent:test', namespace, name });
  }
}

/** A pilot replica in this process, with its own NATS connection (as a separate process would have). */
export interface PilotInstance {
  readonly pilot: Pilot;
  readonly bus: Bus;
  readonly registry: Registry;
  stop(): Promise<void>;
}

export async function startPilotInstance(url: string, name = 'pilot-test'): Promise<PilotInstance> {
  const log = testLogger(name);
  const bus = await connectBus(url, log, { name });
  const registry = new Registry();
  const pilot = await startPilot(bus, log, createPilotMetrics(registry));
  return {
    pilot,
    bus,
    registry,
    stop: async () => {
      await pilot.stop();
      await bus.close();
    },
  };
}

/** A stored snapshot as a proxy reads it. */
export interface StoredSnapshot {
  readonly value: VersionedSnapshot;
  readonly revision: number;
}

/** A private nats-server with the mesh provisioned, a bus to write the log and read the bucket. */
export interface PilotHarness {
  readonly nats: NatsServerHandle;
  readonly bus: Bus;
  readonly log: MeshLog;
  readonly store: SnapshotStore;
  snapshot(host: string): Promise<StoredSnapshot | undefined>;
  /** Every key of the bucket with its value and revision. */
  bucket(): Promise<Map<string, StoredSnapshot>>;
  dispose(): Promise<void>;
}

export async function startPilotHarness(): Promise<PilotHarness> {
  const nats = await startNatsServer();
  const bus = await connectBus(nats.url, testLogger('pilot-test-bus'), { name: 'pilot-test-bus' });
  await provisionMesh(bus);
  const store = await openSnapshotStore(bus);
  const snapshot = async (host: string): Promise<StoredSnapshot | undefined> => {
    const entry = await store.get(snapshotKeyForHost(host));
    return entry === undefined ? undefined : { value: entry.value as VersionedSnapshot, revision: entry.revision };
  };
  return {
    nats,
    bus,
    log: new MeshLog(bus),
    store,
    snapshot,
    bucket: async () => {
      const out = new Map<string, StoredSnapshot>();
      for (const key of (await store.keys()).sort()) {
        const entry = await store.get(key);
        if (entry !== undefined) out.set(key, { value: entry.value as VersionedSnapshot, revision: entry.revision });
      }
      return out;
    },
    dispose: async () => {
      await bus.close();
      await nats.dispose();
    },
  };
}

/** The stored snapshot of `host` once it reflects at least config sequence `configSeq` (and registry `registrySeq`). */
export function snapshotAt(h: PilotHarness, host: string, configSeq: number, registrySeq = 0): Promise<StoredSnapshot> {
  return eventually(async () => {
    const s = await h.snapshot(host);
    return s !== undefined && s.value.version.config >= configSeq && s.value.version.registry >= registrySeq ? s : undefined;
  }, `${host} at ${configSeq}.${registrySeq}`);
}

/** `address:port` of each endpoint, sorted: what a user checks routing against. */
export const addresses = (endpoints: ReadonlyArray<{ address: string; port: number }>): string[] =>
  endpoints.map((e) => `${e.address}:${e.port}`).sort();

/** Resolves once `instance` has published a derivation at or past these sequences. */
export function publishedAt(instance: PilotInstance, configSeq: number, registrySeq = 0): Promise<true> {
  return eventually(() => {
    const v = instance.pilot.publisher.lastPublished();
    return v !== undefined && v.config >= configSeq && v.registry >= registrySeq ? true : undefined;
  }, `pilot publish at ${configSeq}.${registrySeq}`);
}
