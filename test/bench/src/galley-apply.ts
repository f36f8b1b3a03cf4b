import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import { connectBus, provisionMesh, publishEvent, Streams, Subjects, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { ChangeSetCodec, GENESIS_HASH, decodeResource, type ChangeSet } from '@jetmesh/model';
import { createConfigClient } from '@jetmesh/rpc';
import { startMeshProcesses, startNatsServer } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';
import { percentile } from './stats.js';
import { benchQuick } from './bench-mode.js';

const CLIENTS = 4;
const DURATION_MS = benchQuick() ? 3_000 : 10_000;

/** Client `c`'s n-th version of its own WorkloadEntry: every apply changes it, so every apply is a ChangeSet. */
const entryDoc = (c: number, n: number) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'WorkloadEntry',
  metadata: { name: `bench-${c}`, namespace: 'default', labels: { app: 'bench' } },
  spec: { address: `10.${c}.${(n >> 8) & 255}.${n & 255}`, ports: { http: 8080 }, labels: { app: 'bench', version: 'v1' } },
});

interface Run {
  readonly changeSets: number;
  readonly latenciesMs: number[];
  readonly elapsedMs: number;
}

/** Applies through galley's gRPC API from CLIENTS concurrent clients (one connection each) for DURATION_MS. */
const galleyApplies = async (address: string): Promise<Run> => {
  const clients = Array.from({ length: CLIENTS }, (_, c) => createConfigClient(address, { actor: `bench-${c}` }));
  const latenciesMs: number[] = [];
  let changeSets = 0;
  const start = performance.now();
  try {
    await Promise.all(
      clients.map(async (client, c) => {
        for (let n = 0; performance.now() - start < DURATION_MS; n++) {
          const t0 = performance.now();
          // JSON is YAML: the request is what `jetmesh apply -f` sends for this document.
          const res = await client.apply({ yaml: JSON.stringify(entryDoc(c, n)) });
          latenciesMs.push(performance.now() - t0);
          if (res.sequence > 0) changeSets++;
        }
      }),
    );
  } finally {
    for (const client of clients) client.close();
  }
  return { changeSets, latenciesMs, elapsedMs: performance.now() - start };
};

/**
 * The floor: the same ChangeSets published straight to MESH_CONFIG of a second private server,
 * by CLIENTS concurrent publishers each expecting the last subject sequence it saw and retrying
 * on a conflict — galley's write protocol without gRPC, YAML, validation, planning or analysis.
 */
const rawPublishes = async (bus: Bus): Promise<Run> => {
  const latenciesMs: number[] = [];
  let changeSets = 0;
  let lastSeq = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let n = 0; performance.now() - start < DURATION_MS; n++) {
        const decoded = decodeResource(entryDoc(c, n));
        if (isLeft(decoded)) throw new Error('bench resource does not decode');
        const t0 = performance.now();
        for (;;) {
          const expected = lastSeq;
          const changeSet: ChangeSet = {
            id: randomUUID(),
            type: 'ChangeSet',
            at: new Date().toISOString(),
            actor: `bench-${c}`,
            prev: GENESIS_HASH,
            changes: [{ op: 'apply', resource: decoded.right.resource }],
          };
          const r = await publishEvent(bus, ChangeSetCodec, Subjects.config, changeSet, { msgId: changeSet.id, expectedLastSequence: expected, expectedStream: Streams.config });
          if (isLeft(r)) {
            if (r.left.code !== 'SEQUENCE_CONFLICT') throw new Error(`raw publish refused: ${r.left.code}`);
            lastSeq = Math.max(lastSeq, r.left.actual ?? lastSeq);
            continue;
          }
          lastSeq = Math.max(lastSeq, r.right.seq);
          break;
        }
        latenciesMs.push(performance.now() - t0);
        changeSets++;
      }
    }),
  );
  return { changeSets, latenciesMs, elapsedMs: performance.now() - start };
};

/** galley-apply: ChangeSets/s and latency of single-resource applies, beside raw expected-sequence publishes. */
export const galleyApplyBench = async (): Promise<BenchRow[]> => {
  const mesh = await startMeshProcesses({ services: ['galley'] });
  let galley: Run;
  try {
    galley = await galleyApplies(mesh.env.JETMESH_GALLEY_ADDRESS as string);
  } finally {
    await mesh.stop();
  }
  const nats = await startNatsServer();
  const bus = await connectBus(nats.url, createLogger('bench', 'silent'));
  let raw: Run;
  try {
    await provisionMesh(bus);
    raw = await rawPublishes(bus);
  } finally {
    await bus.close();
    await nats.dispose();
  }
  const rate = (r: Run): number => (r.changeSets * 1000) / r.elapsedMs;
  const baselineName = `raw JetStream publish, expected-seq, ${CLIENTS} publishers`;
  return [
    { bench: 'galley-apply', metric: `ChangeSets/s (${CLIENTS} gRPC clients, ${DURATION_MS / 1000} s)`, value: rate(galley), baselineName, baseline: rate(raw), unit: '/s' },
    ...[50, 99].map((p) => ({
      bench: 'galley-apply',
      metric: `apply latency p${p}`,
      value: percentile(galley.latenciesMs, p),
      baselineName: `${baselineName} p${p}`,
      baseline: percentile(raw.latenciesMs, p),
      unit: 'ms',
    })),
  ];
};
