import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { connectBus, provisionMesh, readStream, streamLastSequence, Streams, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { ChangeSetCodec, type ChangeSet } from '@jetmesh/model';
import { createConfigClient, errorLinesOf, isServiceError, type ConfigClient } from '@jetmesh/rpc';
import { repoRoot, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import type { GalleyAuthMode } from '../src/caller-identity.js';
import { startGalley, type Galley } from '../src/galley.js';

/** A private nats-server, `replicas` in-process galleys on free ports, and a client for each. */
export interface GalleyHarness {
  readonly nats: NatsServerHandle;
  readonly bus: Bus;
  readonly galleys: readonly Galley[];
  /** Each replica's metrics registry (what its admin /metrics serves). */
  readonly registries: readonly Registry[];
  readonly clients: readonly ConfigClient[];
  /** The first replica's client. */
  readonly client: ConfigClient;
  lastSequence(): Promise<number>;
  /** Every ChangeSet in MESH_CONFIG, with its sequence. */
  changeSets(): Promise<Array<{ seq: number; changeSet: ChangeSet }>>;
  /** Sequences of MESH_CONFIG messages that are not valid ChangeSets (must always be none). */
  invalidChangeSets(): Promise<number[]>;
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  readonly replicas?: number;
  readonly maxDocumentBytes?: number;
  readonly publishAttempts?: number;
  readonly maxChangeSetDocuments?: number;
  readonly maxChangeSetBytes?: number;
  /** Default disabled: only the auth tests need tokens. */
  readonly auth?: GalleyAuthMode;
}

export async function startGalleyHarness(opts: HarnessOptions = {}): Promise<GalleyHarness> {
  const nats = await startNatsServer();
  const log = createLogger('galley-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');
  const bus = await connectBus(nats.url, log, { name: 'galley-test' });
  await provisionMesh(bus);
  const galleys: Galley[] = [];
  // Each replica has its own connection, as separate processes would.
  const replicaBuses: Bus[] = [];
  const registries: Registry[] = [];
  for (let i = 0; i < (opts.replicas ?? 1); i++) {
    const replicaBus = await connectBus(nats.url, log, { name: `galley-${i}` });
    replicaBuses.push(replicaBus);
    const registry = new Registry();
    registries.push(registry);
    galleys.push(
      await startGalley(
        replicaBus,
        {
          host: '127.0.0.1',
          port: 0,
          maxDocumentBytes: opts.maxDocumentBytes ?? 512 * 1024,
          maxRequestBytes: 4 * 1024 * 1024,
          publishAttempts: opts.publishAttempts ?? 5,
          ...(opts.maxChangeSetDocuments !== undefined ? { maxChangeSetDocuments: opts.maxChangeSetDocuments } : {}),
          ...(opts.maxChangeSetBytes !== undefined ? { maxChangeSetBytes: opts.maxChangeSetBytes } : {}),
          registry,
          auth: opts.auth ?? 'disabled',
        },
        log,
      ),
    );
  }
  const clients = galleys.map((g, i) => createConfigClient(g.address, { actor: `tester-${i}@test`, deadlineMs: 20_000 }));
  const [client] = clients;
  if (client === undefined) throw new Error('a harness needs at least one replica');
  return {
    nats,
    bus,
    galleys,
    registries,
    clients,
    client,
    lastSequence: () => streamLastSequence(bus, Streams.config),
    changeSets: async () => {
      const entries: Array<{ seq: number; changeSet: ChangeSet }> = [];
      for await (const e of readStream(bus, { stream: Streams.config, codec: ChangeSetCodec, fromSequence: 1 })) {
        entries.push({ seq: e.seq, changeSet: e.value });
      }
      return entries;
    },
    invalidChangeSets: async () => {
      const invalid: number[] = [];
      const stream = readStream(bus, { stream: Streams.config, codec: ChangeSetCodec, fromSequence: 1, onInvalid: (meta) => invalid.push(meta.seq) });
      for await (const _entry of stream) void _entry;
      return invalid;
    },
    dispose: async () => {
      for (const c of clients) c.close();
      for (const g of galleys) await g.close();
      for (const b of [...replicaBuses, bus]) await b.close();
      await nats.dispose();
    },
  };
}

export const bookinfoYaml = (): string => readFileSync(join(repoRoot, 'examples', 'bookinfo-reviews.yaml'), 'utf8');

/** The gRPC status code and error lines of a call that must fail. */
export async function failureOf(call: Promise<unknown>): Promise<{ code: number; lines: string[] }> {
  try {
    await call;
  } catch (err) {
    if (isServiceError(err)) return { code: err.code, lines: errorLinesOf(err) };
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** reviews-route splitting `v1` percent to subset v1, the rest to v2. */
export const reweight = (v1: number): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-route}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${v1}}
    - {destination: {host: reviews, subset: v2}, weight: ${100 - v1}}
`;
