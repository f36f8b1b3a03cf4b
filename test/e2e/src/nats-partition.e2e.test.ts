import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Bus, Buckets, bucketStream, connectBus, Streams } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { type ConfigClient, createConfigClient } from '@jetmesh/rpc';
import { eventually, type MeshProcesses, type NatsClusterHandle, startMeshProcesses, startNatsCluster } from '@jetmesh/testing';
import { checkHistoryAndState, resourceName, retrySummary, runWriters, serviceEntriesYaml, type Write } from './fixtures/acknowledged-writers.js';
import { convergence, type VersionWatcher, watchXds } from './fixtures/version-watchers.js';

/*
 * Issue 12's partition: a 3-node cluster with every stream at 3 replicas; one node (a follower of
 * MESH_CONFIG) is killed while writers keep applying through galley, then started again on its
 * store. It catches up (its own copy of each stream, read from that node, equals the others'),
 * nothing acknowledged is lost, and the xDS clients hold the last writes.
 */

const NAMESPACE = 'partition';
const WRITERS = 2;
const CHANGES_PER_WRITER = 40;
const RESOURCES_PER_WRITER = 5;
const KILL_AT_ACKS = 15;
/** Writes acknowledged while the node is down, before it is started again. */
const WRITES_WHILE_DOWN = 30;
const CONVERGE_MS = 5_000;
/** How long a test that missed CONVERGE_MS still waits, to say how late the clients converged. */
const CONVERGE_GIVE_UP_MS = 30_000;
/** The log streams every node holds a copy of (R3): the source of truth, which must be the same everywhere. */
const replicated = [Streams.config, Streams.registry, Streams.audit];
/**
 * The snapshots bucket (max one message per key): every node must hold every key. Its last
 * sequence is not compared: in about one run in five, nats-server 2.9.x leaves the restarted
 * node's copy of this bucket at a higher last sequence than the leader's, for good (seen 72 vs
 * 62), while the logs agree. The likely cause (nats-server's own fixes describe it; not proven
 * here): pilot's KV writes are conditional on the key's last revision, which 2.9 checks on each
 * replica as it applies the write: a create (expected last subject sequence 0) is not prechecked
 * by the leader at all (nats-server PR 5794, fixed in 2.10), and a replica catching up after a
 * restart counts a mismatch as a failed write (PR 5821), so its sequence numbering drifts from
 * the leader's. MESH_REGISTRY's writes carry the same condition, but this test makes none.
 */
const snapshotsStream = bucketStream(Buckets.snapshots);

const names = Array.from({ length: WRITERS * RESOURCES_PER_WRITER }, (_, i) => resourceName(Math.floor(i / RESOURCES_PER_WRITER), i, RESOURCES_PER_WRITER));

describe('a NATS node partitioned away (killed) while galley keeps writing, then back (3 nodes, JETMESH_STREAM_REPLICAS=3)', () => {
  let cluster: NatsClusterHandle | undefined;
  let mesh: MeshProcesses | undefined;
  let bus: Bus | undefined;
  const clients: ConfigClient[] = [];
  const watchers: VersionWatcher[] = [];
  after(async () => {
    for (const w of watchers) await w.close();
    for (const c of clients) c.close();
    await bus?.close();
    await mesh?.stop();
    await cluster?.dispose();
  });

  it('partition.catch-up: the node back holds every stream as the others do, every acknowledged write is in history once, the xDS clients converge within 5 s and never go back', { timeout: 60_000 }, async (t) => {
    const startedAt = Date.now();
    cluster = await startNatsCluster({ meshUsers: true });
    const c = cluster;
    mesh = await startMeshProcesses({ cluster: c, natsUsers: true, replicas: { galley: 2, pilot: 2 }, serviceEnv: { JETMESH_STREAM_REPLICAS: '3' }, readyTimeoutMs: 30_000 });
    const m = mesh;
    bus = await connectBus(c.urls, createLogger('e2e', 'silent'), { name: 'e2e-admin', ...c.credentials('admin') });
    const admin = bus;
    const setup = await m.cli(['apply', '-f', '-'], serviceEntriesYaml(NAMESPACE, names));
    assert.equal(setup.code, 0, setup.stderr);
    for (let w = 0; w < WRITERS; w++) clients.push(createConfigClient(m.galleyAddresses[w % m.galleyAddresses.length] as string, { actor: `writer-${w}`, deadlineMs: 5_000 }));
    m.pilotXdsAddresses.forEach((_, p) => watchers.push(watchXds(`xds-client-${p}`, m.pilotXdsAddresses, NAMESPACE, names, p)));
    const setUpAt = Date.now();

    let acks = 0;
    const waiters: { at: number; wake: () => void }[] = [];
    const ackedAt = (at: number): Promise<void> => (acks >= at ? Promise.resolve() : new Promise((wake) => waiters.push({ at, wake })));
    const onAck = (): void => {
      acks += 1;
      for (const w of waiters.filter((x) => acks >= x.at)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.wake();
      }
    };

    let victim = '';
    let acksWhileDown = 0;
    let restartedAt = 0;
    const partition = (async () => {
      await ackedAt(KILL_AT_ACKS);
      const info = await admin.jsm.streams.info(Streams.config);
      const leader = info.cluster?.leader ?? assert.fail('MESH_CONFIG has no leader');
      victim = c.nodes.find((n) => n.name !== leader)?.name ?? assert.fail('no follower');
      const killedAcks = acks;
      await c.kill(victim);
      await ackedAt(killedAcks + WRITES_WHILE_DOWN);
      acksWhileDown = acks - killedAcks;
      await c.restart(victim);
      restartedAt = Date.now();
    })();
    partition.catch(() => undefined);

    const writes: Write[] = [];
    const writing = runWriters(clients, { namespace: NAMESPACE, writers: WRITERS, changesPerWriter: CHANGES_PER_WRITER, resourcesPerWriter: RESOURCES_PER_WRITER, giveUpMs: 20_000, paceMs: 20, onAck }, writes);
    writing.catch(() => undefined);
    await Promise.all([writing, partition]);
    assert.ok(acksWhileDown >= WRITES_WHILE_DOWN, `${acksWhileDown} writes acknowledged while ${victim} was down`);
    const writtenAt = Date.now();

    // The node back catches up: its own copy of every replicated stream, read from it, equals the others'.
    let lastSeen = '';
    const states = await eventually(
      async () => {
        const all = await Promise.all(replicated.map(async (stream) => ({ stream, copies: await Promise.all(c.nodes.map(async (n) => ({ node: n.name, state: await n.streamState(stream) }))) })));
        lastSeen = JSON.stringify(all);
        const same = all.every(({ copies }) => copies.every((x) => x.state !== undefined && x.state.lastSeq === copies[0]?.state?.lastSeq && x.state.messages === copies[0]?.state?.messages));
        return same ? all : undefined;
      },
      `${victim}'s copy of every stream equal to the other nodes'`,
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last seen: ${lastSeen}`);
    });
    const caughtUpAt = Date.now();
    let keysSeen = '';
    const keys = await eventually(
      async () => {
        const all = await Promise.all(c.nodes.map(async (n) => ({ node: n.name, state: await n.streamState(snapshotsStream) })));
        keysSeen = JSON.stringify(all);
        return all.every((k) => k.state !== undefined && k.state.messages === all[0]?.state?.messages) ? all : undefined;
      },
      'every node holding every snapshot key',
      10_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last seen: ${keysSeen}`);
    });
    const snapshotsDiverged = new Set(keys.map((k) => k.state?.lastSeq)).size > 1 ? ` (snapshots bucket last sequences differ: ${JSON.stringify(keys.map((k) => [k.node, k.state?.lastSeq]))})` : '';
    const configCopy = states.find((s) => s.stream === Streams.config)?.copies.find((x) => x.node === victim)?.state;
    const lastAcked = Math.max(...writes.map((w) => w.sequence));
    assert.ok((configCopy?.lastSeq ?? 0) >= lastAcked, `${victim} holds MESH_CONFIG up to #${configCopy?.lastSeq}, the last acknowledged write is #${lastAcked}`);

    // The mesh converges on the last writes, never going back.
    const expected = new Map<string, { index: number; seq: number }>();
    for (const w of writes) if ((expected.get(w.resource)?.index ?? -1) < w.index) expected.set(w.resource, { index: w.index, seq: w.sequence });
    const settledFrom = Math.max(restartedAt, ...writes.map((w) => w.ackedAt));
    await convergence(watchers, expected, {
      settledFrom,
      targetMs: CONVERGE_MS,
      giveUpMs: CONVERGE_GIVE_UP_MS,
      context: () => `victim ${victim}, restarted ${Date.now() - restartedAt} ms ago\n${m.pilotXdsAddresses.map((_, p) => `pilot ${p}:\n${m.output('pilot', p).slice(-3000)}`).join('\n')}`,
    });
    for (const w of watchers) assert.deepEqual(w.backwards(), [], `${w.name}: no version goes backwards`);

    // Nothing lost, nothing twice.
    await checkHistoryAndState(m, NAMESPACE, writes, WRITERS * CHANGES_PER_WRITER);
    t.diagnostic(
      `${Date.now() - startedAt} ms (set-up ${setUpAt - startedAt} ms, writes ${writtenAt - setUpAt} ms); killed ${victim} at ${KILL_AT_ACKS} acks, ${acksWhileDown} acks while down; ` +
        `${retrySummary(writes)}; its copies equal ${caughtUpAt - restartedAt} ms after its restart; MESH_CONFIG at #${configCopy?.lastSeq} on every node${snapshotsDiverged}`,
    );
  });
});
