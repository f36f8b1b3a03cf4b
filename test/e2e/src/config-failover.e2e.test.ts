import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, Streams } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { type ConfigClient, createConfigClient } from '@jetmesh/rpc';
import { type MeshProcesses, type NatsClusterHandle, type ProxyProcess, eventually, freePort, startMeshProcesses, startNatsCluster, startProxyProcess } from '@jetmesh/testing';
import { checkHistoryAndState, resourceName, retrySummary, runWriters, serviceEntriesYaml, type Write } from './fixtures/acknowledged-writers.js';
import { convergence, followHosts, type VersionWatcher, watchProxy, watchXds } from './fixtures/version-watchers.js';

// Issue 16: 4 writers x 100 changes over 2 galleys (and 2 pilots folding the log) on 3 nodes,
// the MESH_CONFIG leader's node SIGKILLed mid-run and restarted; five runs, each on a fresh cluster.
// Beside them 2 xDS clients (one per pilot, moving on when a stream ends) and a `jetmesh proxy`
// record every version they get: they must hold the last writes within 5 s and never go back.
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
const CONVERGE_MS = 5_000;
/** How long a test that missed CONVERGE_MS still waits, to say how late the clients converged. */
const CONVERGE_GIVE_UP_MS = 30_000;
const resourceNames = Array.from({ length: WRITERS * RESOURCES_PER_WRITER }, (_, i) => resourceName(Math.floor(i / RESOURCES_PER_WRITER), i, RESOURCES_PER_WRITER));

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
  /** The xDS clients and the proxy, recording versions from before the first write. */
  readonly watchers: readonly VersionWatcher[];
  dispose(): Promise<void>;
}

async function startRig(namespace: string): Promise<FailoverRig> {
  const cluster = await startNatsCluster({ meshUsers: true });
  let mesh: MeshProcesses | undefined;
  let bus: Bus | undefined;
  let proxy: ProxyProcess | undefined;
  const clients: ConfigClient[] = [];
  const watchers: VersionWatcher[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'jetmesh-failover-'));
  const dispose = async (): Promise<void> => {
    for (const w of watchers) await w.close();
    for (const client of clients) client.close();
    await proxy?.stop();
    await bus?.close();
    await mesh?.stop();
    await cluster.dispose();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    mesh = await startMeshProcesses({
      cluster,
      natsUsers: true,
      services: ['galley', 'pilot', 'citadel'],
      replicas: { galley: 2, pilot: 2 },
      serviceEnv: { JETMESH_STREAM_REPLICAS: '3' },
      readyTimeoutMs: 60_000,
    });
    const m = mesh;
    bus = await connectBus(cluster.urls, createLogger('e2e', 'silent'), { name: 'e2e-admin', ...cluster.credentials('admin') });
    for (let writer = 0; writer < WRITERS; writer++) {
      // Writers alternate between the two galleys.
      const address = mesh.galleyAddresses[writer % mesh.galleyAddresses.length] ?? assert.fail('no galley');
      clients.push(createConfigClient(address, { actor: `writer-${writer}`, deadlineMs: CALL_DEADLINE_MS }));
    }
    const services = await mesh.cli(['apply', '-f', '-'], serviceEntriesYaml(namespace, resourceNames));
    assert.equal(services.code, 0, services.stderr);
    mesh.pilotXdsAddresses.forEach((_, p) => watchers.push(watchXds(`xds-client-${p}`, m.pilotXdsAddresses, namespace, resourceNames, p)));
    const token = await mesh.cli(['token', 'create', '--namespace', namespace, '--service-account', 'client', '--ttl', '1h']);
    assert.equal(token.code, 0, token.stderr);
    proxy = await startProxyProcess(mesh, {
      service: 'client',
      namespace,
      labels: { app: 'client' },
      port: 9080,
      appPort: await freePort(),
      token: token.stdout.trim(),
      stateDir: join(dir, 'proxy'),
      // The proxy's own NATS user, on every node.
      env: cluster.envFor('proxy'),
    });
    await followHosts(proxy, namespace, resourceNames);
    watchers.push(watchProxy(proxy, namespace, resourceNames));
    return { cluster, mesh, bus, clients, watchers, dispose };
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
    it(`failover.round-${round}: every acknowledged write is in history exactly once, no two ChangeSets share a predecessor, audit verify passes, the state is each resource's last write, the xDS clients and the proxy converge within 5 s and never go back`, { timeout: ROUND_TIMEOUT_MS }, async (t) => {
      const startedAt = Date.now();
      await rig?.dispose();
      rig = undefined;
      const namespace = `failover-${round}`;
      rig = await startRig(namespace);
      const { cluster, mesh, bus, clients, watchers } = rig;
      const setUpAt = Date.now();
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
      const writing = runWriters(clients, { namespace, writers: WRITERS, changesPerWriter: CHANGES_PER_WRITER, resourcesPerWriter: RESOURCES_PER_WRITER, giveUpMs: WRITE_GIVE_UP_MS, onAck }, writes).catch((err: unknown) => {
        const replica = Number(/writer (\d+)/.exec((err as Error).message)?.[1] ?? 0) % mesh.galleyAddresses.length;
        throw new Error(`${(err as Error).message}\ngalley ${replica} (${mesh.galleyAddresses[replica]}) output:\n${mesh.output('galley', replica).slice(-3000)}`);
      });
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
      const restartedAt = Date.now();
      const downMs = restartedAt - killedAt;
      await writing;
      const writtenAt = Date.now();

      // Every xDS client and the proxy hold each resource's last acknowledged write within 5 s of the restart (or the last ack), never going back.
      const acknowledged = new Map<string, { index: number; seq: number }>();
      for (const w of writes) if ((acknowledged.get(w.resource)?.index ?? -1) < w.index) acknowledged.set(w.resource, { index: w.index, seq: w.sequence });
      const settledFrom = Math.max(restartedAt, ...writes.map((w) => w.ackedAt));
      const convergedMs = await convergence(watchers, acknowledged, { settledFrom, targetMs: CONVERGE_MS, giveUpMs: CONVERGE_GIVE_UP_MS });
      for (const w of watchers) {
        assert.ok(w.seen.length > 0, `${w.name} received versions`);
        assert.deepEqual(w.backwards(), [], `${w.name}: no version goes backwards`);
      }

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

      // Every write exactly once in history at the sequence galley answered; the stored state is each resource's last write.
      const expected = await checkHistoryAndState(mesh, namespace, writes, WRITERS * CHANGES_PER_WRITER);
      assert.deepEqual(Object.fromEntries([...expected].sort()), Object.fromEntries([...acknowledged].sort()));

      const checkedAt = Date.now();
      await rig.dispose();
      rig = undefined;
      t.diagnostic(
        `round ${round}: ${Date.now() - startedAt} ms (cluster and mesh start ${setUpAt - startedAt} ms, writes ${writtenAt - setUpAt} ms, checks ${checkedAt - writtenAt} ms, teardown ${Date.now() - checkedAt} ms); killed leader ${leader} at ${killedAtAcks} acks, ` +
          `${acksWhileDown} acks while it was down, restarted after ${downMs} ms; ${retrySummary(writes)}; clients converged ${convergedMs} ms after the restart or last ack; log at #${stored.length}`,
      );
    });
  }
});
