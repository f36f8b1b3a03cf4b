import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { eventually, startNatsCluster, startNatsServer, type NatsClusterHandle } from '@jetmesh/testing';
import { Buckets, bucketStream, openCheckpointStore, provisionMesh, publishEvent, streamLastSequence, Streams, StreamReplicasError, Subjects, type Bus, type PublishOptions } from '../src/index.js';
import { connectTestBus, Greeting, type RecordingLogger } from './bus-fixture.js';

const allStreams = [Streams.config, Streams.registry, Streams.audit, ...[Buckets.snapshots, Buckets.trust, Buckets.ca, Buckets.checkpoints].map(bucketStream)];
const galleyOwns = [Streams.config, Streams.registry, Streams.audit];

describe('stream-replicas (a three-node cluster)', () => {
  let cluster: NatsClusterHandle;
  let bus: Bus;
  let log: RecordingLogger;

  const replicasOf = async (names: readonly string[]): Promise<number[]> =>
    Promise.all(names.map(async (name) => (await bus.jsm.streams.info(name)).config.num_replicas));
  /** Every follower of `name` has caught up with its leader. */
  const allCurrent = (name: string, followers: number) =>
    eventually(async () => {
      const replicas = (await bus.jsm.streams.info(name)).cluster?.replicas ?? [];
      return replicas.length === followers && replicas.every((r) => r.current) ? true : undefined;
    }, `${name}: ${followers} current followers`);

  before(async () => {
    cluster = await startNatsCluster();
    ({ bus, log } = await connectTestBus(cluster.urls));
  });
  after(async () => {
    await bus?.close();
    await cluster?.dispose();
  });

  test('replicas.default: without a count every stream has one copy', async () => {
    await provisionMesh(bus);
    assert.deepEqual(await replicasOf(allStreams), allStreams.map(() => 1));
  });

  test('replicas.drift: an owner scales its streams 1 → 3 in place, keeping what they hold; the fix is logged', async () => {
    const snapshots = await new Kvm(bus.js).open(Buckets.snapshots);
    await snapshots.put('host.reviews', new TextEncoder().encode('before scaling'));
    await provisionMesh(bus, 'galley', { replicas: 3 });
    // Only galley's streams: pilot's and citadel's belong to their owners.
    assert.deepEqual(await replicasOf(galleyOwns), [3, 3, 3]);
    assert.deepEqual(await replicasOf([bucketStream(Buckets.snapshots)]), [1]);
    const fixes = log.entries.filter((e) => e.msg === 'stream config drifted, updating').map((e) => e.obj);
    assert.deepEqual(fixes, galleyOwns.map((stream) => ({ stream, fields: ['num_replicas'] })));

    await provisionMesh(bus, undefined, { replicas: 3 });
    assert.deepEqual(await replicasOf(allStreams), allStreams.map(() => 3));
    for (const name of allStreams) await allCurrent(name, 2);
    assert.equal(new TextDecoder().decode((await snapshots.get('host.reviews'))?.value), 'before scaling');
  });

  test('replicas.unset: a caller that does not name a count leaves scaled streams alone', async () => {
    await provisionMesh(bus);
    await openCheckpointStore(bus);
    assert.deepEqual(await replicasOf(allStreams), allStreams.map(() => 3));
  });

  test('serialized: of writers racing on one expected sequence of a replicated stream exactly one is stored, every round', async (t) => {
    // MESH_CONFIG is on 3 replicas here (replicas.drift). Each writer has its own connection, so
    // the writes reach the leader together, as two galleys' do.
    const writers = await Promise.all(Array.from({ length: 4 }, async () => (await connectTestBus(cluster.urls)).bus));
    try {
      const race = async (guard: (last: number) => Omit<PublishOptions, 'msgId'>, round: number): Promise<number> => {
        const last = await streamLastSequence(bus, Streams.config);
        const results = await Promise.all(
          writers.map((w, i) => publishEvent(w, Greeting, Subjects.config, { n: round, text: `writer ${i}` }, { msgId: `race-${round}-${i}-${Math.random()}`, ...guard(last) })),
        );
        return results.filter((r) => r._tag === 'Right').length;
      };
      const rounds = 40;
      const stored: number[] = [];
      for (let round = 0; round < rounds; round++) stored.push(await race((last) => ({ expectedLastSequence: last }), round));
      assert.deepEqual(stored, stored.map(() => 1), 'one write per round with the stream-wide guard');
      // What the per-subject guard alone lets through on this server (not asserted: it depends on timing
      // and on the server version; 2.10+ checks it again when applying).
      let subjectOnly = 0;
      for (let round = 0; round < rounds; round++) subjectOnly += await race((last) => ({ expectedLastSubjectSequence: last }), rounds + round);
      t.diagnostic(`per-subject guard alone: ${subjectOnly} writes stored in ${rounds} rounds of ${writers.length} racing writers (serialized would be ${rounds})`);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
  });

  test('replicas.too-many: more replicas than nodes fails, naming the variable and the server answer, and changes nothing', async () => {
    const err = await provisionMesh(bus, 'galley', { replicas: 5 }).then(
      () => assert.fail('5 replicas were accepted on 3 nodes'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StreamReplicasError, String(err));
    assert.equal(err.code, 'REPLICAS');
    assert.match(err.message, /^cannot place stream MESH_CONFIG on 5 replicas \(JETMESH_STREAM_REPLICAS=5\): nats-server says "no suitable peers for placement"/);
    assert.deepEqual(await replicasOf(galleyOwns), [3, 3, 3]);
  });

  test('replicas.create-too-many: a new stream with more replicas than nodes is refused the same way', async () => {
    await bus.jsm.streams.delete(Streams.audit);
    await assert.rejects(provisionMesh(bus, 'citadel', { replicas: 4 }), /cannot place stream MESH_AUDIT on 4 replicas \(JETMESH_STREAM_REPLICAS=4\)/);
    await provisionMesh(bus, 'citadel', { replicas: 3 });
    assert.deepEqual(await replicasOf([Streams.audit]), [3]);
  });
});

describe('stream-replicas (a single server)', () => {
  test('replicas.standalone: more than one replica on a server without a cluster fails before creating anything', async () => {
    // nats-server 2.9 refuses such a create but accepts the same count in an update (keeping one copy).
    const server = await startNatsServer();
    const { bus } = await connectTestBus(server.url);
    try {
      await assert.rejects(provisionMesh(bus, 'galley', { replicas: 3 }), (err: unknown) => {
        assert.ok(err instanceof StreamReplicasError);
        assert.match(err.message, /on 3 replicas \(JETMESH_STREAM_REPLICAS=3\): nats-server says "server .* is not part of a cluster"/);
        return true;
      });
      assert.deepEqual(await bus.jsm.streams.names().next(), []);
    } finally {
      await bus.close();
      await server.dispose();
    }
  });
});
