import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { type Bus, connectBus, Streams } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import type { HistoryEntry } from '@jetmesh/model';
import { type ConfigClient, createConfigClient } from '@jetmesh/rpc';
import { type MeshProcesses, type NatsClusterHandle, eventually, startMeshProcesses, startNatsCluster } from '@jetmesh/testing';

// Issue 16: 4 writers x 100 changes over 2 galleys (and 2 pilots folding the log) on 3 nodes,
// the MESH_CONFIG leader's node SIGKILLed mid-run and restarted; five runs, each on a fresh cluster.
const ROUNDS = 5;
const WRITERS = 4;
const CHANGES_PER_WRITER = 100;
/** Each writer edits this many resources of its own in turn, so every resource has a last write. */
const RESOURCES_PER_WRITER = 10;
/** The kill lands once this many writes of the round are acknowledged, the restart after as many more (or RESTART_AFTER_MS). */
const KILL_AFTER_ACKS = 100;
const RESTART_AFTER_MS = 8_000;
/** One Apply call; a call that runs out may or may not have been stored. */
const CALL_DEADLINE_MS = 15_000;
/** A write still not recorded after this long fails the round. */
const WRITE_GIVE_UP_MS = 60_000;
const ROUND_TIMEOUT_MS = 150_000;

/** What a writer may see while the stream elects a leader; it sends the same content again. */
const retryable = new Set([grpc.status.UNAVAILABLE, grpc.status.ABORTED, grpc.status.DEADLINE_EXCEEDED]);

interface Write {
  readonly writer: number;
  readonly index: number;
  readonly resource: string;
  readonly reason: string;
  /** The sequence galley answered; 0 when the write was found already stored by an attempt whose answer was lost. */
  sequence: number;
  attempts: number;
  /** Error codes of failed attempts, for the diagnostics. */
  readonly errors: number[];
}

const resourceName = (writer: number, index: number): string => `w${writer}-r${index % RESOURCES_PER_WRITER}`;
const virtualService = (namespace: string, name: string, index: number): string => `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  hosts: [${name}]
  http:
  - name: write-${index}
    route:
    - destination: {host: ${name}}
`;

const grpcCode = (err: unknown): number | undefined => (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined);

/** One writer: its changes in order, each sent until galley records it (or finds it recorded). */
async function runWriter(client: ConfigClient, namespace: string, writer: number, writes: Write[], onAck: () => void): Promise<void> {
  for (let index = 0; index < CHANGES_PER_WRITER; index++) {
    const resource = resourceName(writer, index);
    const write: Write = { writer, index, resource, reason: `${namespace} writer ${writer} change ${index}`, sequence: -1, attempts: 0, errors: [] };
    writes.push(write);
    const yaml = virtualService(namespace, resource, index);
    const giveUpAt = Date.now() + WRITE_GIVE_UP_MS;
    for (;;) {
      write.attempts += 1;
      try {
        // Every attempt carries the write's request id: a retry after a lost answer gets the recorded change back.
        const res = await client.apply({ yaml, reason: write.reason, requestId: `${namespace}.w${writer}.c${index}` });
        if (res.sequence === 0) assert.fail(`${write.reason}: galley answered "nothing recorded" (attempt ${write.attempts}): ${JSON.stringify(res.changes)}`);
        write.sequence = res.sequence;
        onAck();
        break;
      } catch (err) {
        const code = grpcCode(err);
        if (code === undefined || !retryable.has(code)) throw new Error(`${write.reason}: ${(err as Error).message}`, { cause: err });
        if (Date.now() > giveUpAt) throw new Error(`${write.reason}: still failing after ${WRITE_GIVE_UP_MS} ms (${write.attempts} attempts): ${(err as Error).message}`, { cause: err });
        write.errors.push(code);
        await sleep(50 + Math.random() * 150);
      }
    }
  }
}

/** Every ChangeSet in MESH_CONFIG as stored, straight from the stream (not through the CLI's replay). */
async function storedChangeSets(bus: Bus): Promise<{ seq: number; prev: string; reason?: string }[]> {
  const last = (await bus.jsm.streams.info(Streams.config)).state.last_seq;
  const consumer = await bus.js.consumers.get(Streams.config, { opt_start_seq: 1 });
  const stored: { seq: number; prev: string; reason?: string }[] = [];
  const messages = await consumer.consume({ max_messages: 512 });
  const timer = setTimeout(() => messages.stop(), 30_000);
  try {
    for await (const msg of messages) {
      const cs = msg.json<{ prev: string; reason?: string }>();
      stored.push({ seq: msg.seq, prev: cs.prev, ...(cs.reason === undefined ? {} : { reason: cs.reason }) });
      if (msg.seq >= last) break;
    }
  } finally {
    clearTimeout(timer);
    messages.stop();
  }
  assert.equal(stored.at(-1)?.seq, last, `read MESH_CONFIG up to #${last}`);
  return stored;
}

/** One fresh run's cluster, mesh, admin bus and a config client per writer. */
interface FailoverRig {
  readonly cluster: NatsClusterHandle;
  readonly mesh: MeshProcesses;
  readonly bus: Bus;
  readonly clients: readonly ConfigClient[];
  dispose(): Promise<void>;
}

async function startRig(): Promise<FailoverRig> {
  const cluster = await startNatsCluster({ meshUsers: true });
  let mesh: MeshProcesses | undefined;
  let bus: Bus | undefined;
  const clients: ConfigClient[] = [];
  const dispose = async (): Promise<void> => {
    for (const client of clients) client.close();
    await bus?.close();
    await mesh?.stop();
    await cluster.dispose();
  };
  try {
    mesh = await startMeshProcesses({ cluster, natsUsers: true, replicas: { galley: 2, pilot: 2 }, serviceEnv: { JETMESH_STREAM_REPLICAS: '3' }, readyTimeoutMs: 60_000 });
    bus = await connectBus(cluster.urls, createLogger('e2e', 'silent'), { name: 'e2e-admin', ...cluster.credentials('admin') });
    for (let writer = 0; writer < WRITERS; writer++) {
      // Writers alternate between the two galleys.
      const address = mesh.galleyAddresses[writer % mesh.galleyAddresses.length] ?? assert.fail('no galley');
      clients.push(createConfigClient(address, { actor: `writer-${writer}`, deadlineMs: CALL_DEADLINE_MS }));
    }
    return { cluster, mesh, bus, clients, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

describe('config failover: 4 writers on 2 galleys while the MESH_CONFIG leader is SIGKILLed (3 nodes, JETMESH_STREAM_REPLICAS=3, 2 pilots), five fresh runs', () => {
  let rig: FailoverRig | undefined;
  after(async () => {
    await rig?.dispose();
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`failover.round-${round}: every acknowledged write is in history exactly once, no two ChangeSets share a predecessor, audit verify passes, the state is each resource's last write`, { timeout: ROUND_TIMEOUT_MS }, async (t) => {
      const startedAt = Date.now();
      await rig?.dispose();
      rig = undefined;
      rig = await startRig();
      const { cluster, mesh, bus, clients } = rig;
      const setUpAt = Date.now();
      const namespace = `failover-${round}`;
      const writes: Write[] = [];
      let acks = 0;
      const ackWaiters = new Set<{ at: number; wake: () => void }>();
      const onAck = (): void => {
        acks += 1;
        for (const waiter of ackWaiters) if (acks >= waiter.at) waiter.wake();
      };
      const acked = (at: number, timeoutMs: number): Promise<void> =>
        new Promise((resolve) => {
          const waiter = { at, wake: () => done() };
          const timer = setTimeout(() => done(), timeoutMs);
          const done = (): void => {
            clearTimeout(timer);
            ackWaiters.delete(waiter);
            resolve();
          };
          if (acks >= at) return done();
          ackWaiters.add(waiter);
        });
      // A writer that gives up names the galley it wrote to and that galley's last output (did it exit, and why).
      const writing = Promise.all(
        clients.map((client, writer) =>
          runWriter(client, namespace, writer, writes, onAck).catch((err: unknown) => {
            const replica = writer % mesh.galleyAddresses.length;
            throw new Error(`${(err as Error).message}\ngalley ${replica} (${mesh.galleyAddresses[replica]}) output:\n${mesh.output('galley', replica).slice(-3000)}`);
          }),
        ),
      );
      // Surfaces a writer's failure even while the kill below is still waiting.
      writing.catch(() => undefined);

      // A writer that fails ends the round at once rather than after the waits below.
      const unlessWritingFails = <A>(p: Promise<A>): Promise<A | void> => Promise.race([p, writing.then(() => undefined)]);
      await unlessWritingFails(acked(KILL_AFTER_ACKS, 60_000));
      const leader = (await bus.jsm.streams.info(Streams.config)).cluster?.leader ?? assert.fail('MESH_CONFIG has no leader');
      const killedAtAcks = acks;
      await cluster.kill(leader);
      const killedAt = Date.now();
      await unlessWritingFails(acked(killedAtAcks + KILL_AFTER_ACKS, RESTART_AFTER_MS));
      const acksWhileDown = acks - killedAtAcks;
      await cluster.restart(leader);
      const downMs = Date.now() - killedAt;
      await writing;
      const writtenAt = Date.now();

      // The restarted node catches up before anything is read (and before the next round kills a leader).
      await eventually(
        async () => {
          const replicas = (await bus.jsm.streams.info(Streams.config).catch(() => undefined))?.cluster?.replicas ?? [];
          return replicas.length === 2 && replicas.every((r) => r.current) ? true : undefined;
        },
        'MESH_CONFIG: both followers current again',
        30_000,
      );

      // No two ChangeSets stored on one predecessor, read from the stream itself.
      const stored = await storedChangeSets(bus);
      const byPrev = new Map<string, number[]>();
      for (const cs of stored) byPrev.set(cs.prev, [...(byPrev.get(cs.prev) ?? []), cs.seq]);
      const forks = [...byPrev.values()].filter((seqs) => seqs.length > 1);
      assert.deepEqual(forks, [], 'sequences stored on one predecessor');

      const verify = await mesh.cli(['audit', 'verify']);
      assert.equal(verify.code, 0, `${verify.stdout}${verify.stderr}`);
      assert.match(verify.stdout, new RegExp(`^chain intact \\(${stored.length} changes\\)`, 'm'));

      // Every write exactly once in history: at the sequence galley answered, or (its answer lost) once under its reason.
      const history = await mesh.cli(['history', '-o', 'json']);
      assert.equal(history.code, 0, history.stderr);
      const entries = (JSON.parse(history.stdout) as HistoryEntry[]).filter((e) => e.reason?.startsWith(`${namespace} `));
      const byReason = new Map<string, HistoryEntry[]>();
      for (const e of entries) byReason.set(e.reason ?? '', [...(byReason.get(e.reason ?? '') ?? []), e]);
      assert.equal(writes.length, WRITERS * CHANGES_PER_WRITER);
      for (const write of writes) {
        const found = byReason.get(write.reason) ?? [];
        assert.equal(found.length, 1, `${write.reason} (answered #${write.sequence}) is in history ${found.length} times: ${found.map((e) => `#${e.seq}`).join(', ')}`);
        if (write.sequence > 0) assert.equal(found[0]?.seq, write.sequence, `${write.reason}: history has it at #${found[0]?.seq}, galley answered #${write.sequence}`);
      }
      assert.equal(entries.length, writes.length, 'history holds no write of this round that no writer made');

      // The stored state is each resource's last write, at the sequence that wrote it.
      const seqOf = new Map(entries.map((e) => [e.reason ?? '', e.seq]));
      const expected = new Map<string, { index: number; seq: number }>();
      for (const write of writes) {
        const seq = seqOf.get(write.reason) ?? assert.fail(`${write.reason} not in history`);
        const current = expected.get(write.resource);
        if (current === undefined || write.index > current.index) expected.set(write.resource, { index: write.index, seq });
      }
      const listed = await mesh.cli(['get', 'virtualservices', '-n', namespace, '-o', 'json']);
      assert.equal(listed.code, 0, listed.stderr);
      type StoredVs = { metadata: { name: string; resourceVersion?: string }; spec: { http?: { name?: string }[] } };
      const items = (JSON.parse(listed.stdout) as { items: StoredVs[] }).items;
      const actual = new Map(items.map((vs) => [vs.metadata.name, { write: vs.spec.http?.[0]?.name, version: vs.metadata.resourceVersion }]));
      const wanted = new Map([...expected].map(([name, last]) => [name, { write: `write-${last.index}`, version: String(last.seq) }]));
      assert.deepEqual(Object.fromEntries([...actual].sort()), Object.fromEntries([...wanted].sort()));

      const checkedAt = Date.now();
      await rig.dispose();
      rig = undefined;
      const retried = writes.filter((w) => w.errors.length > 0);
      const answerLost = writes.filter((w) => w.sequence === 0).length;
      const codes = retried.flatMap((w) => w.errors).reduce<Record<string, number>>((acc, code) => ({ ...acc, [grpc.status[code] ?? code]: (acc[grpc.status[code] ?? code] ?? 0) + 1 }), {});
      t.diagnostic(
        `round ${round}: ${Date.now() - startedAt} ms (cluster and mesh start ${setUpAt - startedAt} ms, writes ${writtenAt - setUpAt} ms, checks ${checkedAt - writtenAt} ms, teardown ${Date.now() - checkedAt} ms); killed leader ${leader} at ${killedAtAcks} acks, ` +
          `${acksWhileDown} acks while it was down, restarted after ${downMs} ms; ${retried.length} writes retried (${JSON.stringify(codes)}), ${answerLost} found stored after a lost answer; log at #${stored.length}`,
      );
    });
  }
});
