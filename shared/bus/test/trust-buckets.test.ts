import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { headers } from '@nats-io/transport-node';
import { eventually, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import * as t from 'io-ts';
import {
  Buckets,
  bucketStream,
  connectBus,
  followTrustKey,
  Limits,
  openJsonBucket,
  provisionTrustBuckets,
  Subjects,
  TrustKeys,
  type BucketEntry,
  type Bus,
  type JsonBucket,
} from '../src/index.js';
import { CuttableLink, connectTestBus, RecordingLogger } from './bus-fixture.js';

const Roots = t.type({ roots: t.array(t.string) });
type Roots = t.TypeOf<typeof Roots>;

const valuesOf = (seen: readonly (BucketEntry<Roots> | undefined)[]): (string[] | undefined)[] => seen.map((e) => e?.value.roots);

describe('trust-buckets.follow', () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let log: RecordingLogger;
  let trust: JsonBucket<Roots>;

  before(async () => {
    server = await startNatsServer();
    ({ bus, log } = await connectTestBus(server.url));
    await provisionTrustBuckets(bus);
    trust = await openJsonBucket(bus, Buckets.trust, Roots);
  });

  after(async () => {
    await bus.close();
    await server.dispose();
  });

  test('a follower gets the current value, then every newer one, then undefined on delete', async () => {
    const seen: (BucketEntry<Roots> | undefined)[] = [];
    const follow = await followTrustKey(bus, TrustKeys.roots, Roots, (entry) => seen.push(entry));
    try {
      await eventually(() => (seen.length === 1) || undefined, 'the initial state');
      assert.equal(seen[0], undefined);
      const created = await trust.create(TrustKeys.roots, { roots: ['a'] });
      assert.ok(created._tag === 'Right');
      await eventually(() => (seen.length === 2) || undefined, 'the first root');
      await trust.update(TrustKeys.roots, { roots: ['a', 'b'] }, created.right.revision);
      await eventually(() => (seen.length === 3) || undefined, 'the rotation');
      assert.deepEqual(valuesOf(seen), [undefined, ['a'], ['a', 'b']]);
      assert.ok((seen[2]?.revision ?? 0) > (seen[1]?.revision ?? 0));
      await new Kvm(bus.js).open(Buckets.trust).then((kv) => kv.delete(TrustKeys.roots));
      await eventually(() => (seen.length === 4) || undefined, 'the delete');
      assert.equal(seen[3], undefined);
    } finally {
      follow.stop();
    }
  });

  test('a republished update that is not newer is ignored; one past a gap is applied', async () => {
    const latest = await new Kvm(bus.js).open(Buckets.trust).then((kv) => kv.put(TrustKeys.jwks, JSON.stringify({ roots: ['k1'] })));
    const seen: (BucketEntry<Roots> | undefined)[] = [];
    const follow = await followTrustKey(bus, TrustKeys.jwks, Roots, (entry) => seen.push(entry));
    try {
      await eventually(() => (seen.length === 1) || undefined, 'the current keys');
      // Hand-made republished messages: what the stream would send, with chosen revisions.
      const republish = (revision: number, previous: number, roots: string[]): void => {
        const h = headers();
        h.set('Nats-Sequence', String(revision));
        h.set('Nats-Last-Sequence', String(previous));
        bus.nc.publish(Subjects.trustUpdates(TrustKeys.jwks), JSON.stringify({ roots }), { headers: h });
      };
      republish(latest, latest - 1, ['replayed']);
      republish(latest - 1, 0, ['stale']);
      republish(latest + 5, latest + 3, ['after a gap']);
      await eventually(() => (seen.length === 2) || undefined, 'the update after the gap');
      await sleep(100);
      assert.deepEqual(valuesOf(seen), [['k1'], ['after a gap']]);
      assert.equal(seen[1]?.revision, latest + 5);
      assert.ok(log.entries.some((e) => e.msg === 'followed key missed revisions; applying the latest'));
    } finally {
      follow.stop();
    }
  });

  test('a follower catches up on a write it missed while its link was down', async () => {
    const link = await CuttableLink.start(server.port);
    const cutLog = new RecordingLogger();
    const proxy = await connectBus(link.url, cutLog, { name: 'cut-proxy', timeoutMs: 2_000 });
    try {
      const kv = await new Kvm(bus.js).open(Buckets.trust);
      await kv.put(TrustKeys.roots, JSON.stringify({ roots: ['r1'] }));
      const seen: (BucketEntry<Roots> | undefined)[] = [];
      const follow = await followTrustKey(proxy, TrustKeys.roots, Roots, (entry) => seen.push(entry));
      await eventually(() => (seen.length === 1) || undefined, 'the current roots');
      link.sever();
      await eventually(() => cutLog.messages('warn').includes('NATS disconnected') || undefined, 'the follower to notice the cut');
      await kv.put(TrustKeys.roots, JSON.stringify({ roots: ['r1', 'r2'] }));
      await sleep(200);
      assert.equal(seen.length, 1, 'nothing arrives while the link is down');
      link.restore();
      await eventually(() => (seen.length === 2) || undefined, 'the missed rotation, fetched after reconnect', 15_000);
      assert.deepEqual(valuesOf(seen), [['r1'], ['r1', 'r2']]);
      follow.stop();
    } finally {
      await proxy.close();
      await link.close();
    }
  });
});

describe('trust-buckets.upgrade', () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let log: RecordingLogger;

  before(async () => {
    server = await startNatsServer();
    ({ bus, log } = await connectTestBus(server.url));
  });

  beforeEach(async () => {
    for (const name of [Buckets.trust, Buckets.ca].map(bucketStream)) await bus.jsm.streams.delete(name).catch(() => false);
  });

  after(async () => {
    await bus.close();
    await server.dispose();
  });

  test('a trust bucket made by an older version (no republish) is recreated with its values, revisions moving on', async () => {
    // What provisionTrustBuckets created before mesh_trust was republished.
    const old = await new Kvm(bus.js).create(Buckets.trust, { history: Limits.trustHistory, maxValueSize: Limits.trustMaxValueBytes, storage: StorageType.File, replicas: 1 });
    await old.put(TrustKeys.roots, JSON.stringify({ roots: ['old'] }));
    await old.put(TrustKeys.jwks, JSON.stringify({ roots: ['keys'] }));
    const lastOld = await old.put(TrustKeys.roots, JSON.stringify({ roots: ['old', 'new'] }));

    await provisionTrustBuckets(bus);

    const { config, state } = await bus.jsm.streams.info(bucketStream(Buckets.trust));
    assert.deepEqual(config.republish, { src: Subjects.trustKeyAll, dest: Subjects.trustUpdatesAll });
    assert.equal(state.messages, 2);
    const trust = await openJsonBucket(bus, Buckets.trust, Roots);
    const roots = await trust.get(TrustKeys.roots);
    assert.deepEqual(roots?.value, { roots: ['old', 'new'] });
    assert.ok((roots?.revision ?? 0) > lastOld, `revision ${roots?.revision} must be past the old stream's ${lastOld}`);
    assert.deepEqual((await trust.get(TrustKeys.jwks))?.value, { roots: ['keys'] });
    assert.ok(log.entries.some((e) => e.msg?.startsWith('nats-server cannot change these fields in place') === true));

    // And the cheap path works on it now.
    const seen: (BucketEntry<Roots> | undefined)[] = [];
    const follow = await followTrustKey(bus, TrustKeys.roots, Roots, (entry) => seen.push(entry));
    try {
      await eventually(() => (seen.length === 1) || undefined, 'the copied roots');
      await trust.update(TrustKeys.roots, { roots: ['new'] }, roots?.revision ?? 0);
      await eventually(() => (seen.length === 2) || undefined, 'the next rotation, republished');
      assert.deepEqual(valuesOf(seen), [['old', 'new'], ['new']]);
    } finally {
      follow.stop();
    }
    await provisionTrustBuckets(bus);
    assert.equal((await bus.jsm.streams.info(bucketStream(Buckets.trust))).state.messages, 2, 'a second run finds nothing to fix');
  });

  test('a CA bucket that republishes its keys stops provisioning with a reason', async () => {
    await new Kvm(bus.js).create(Buckets.ca, {
      history: Limits.caHistory,
      maxValueSize: Limits.caMaxValueBytes,
      storage: StorageType.File,
      replicas: 1,
      republish: { src: `$KV.${Buckets.ca}.>`, dest: 'leak.>' },
    });
    await assert.rejects(provisionTrustBuckets(bus), /stream KV_mesh_ca has a different republish than this version needs, and nats-server cannot change that/);
  });
});
