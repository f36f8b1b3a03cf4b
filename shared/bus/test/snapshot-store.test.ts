import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import {
  connectBus,
  openSnapshotStore,
  provisionMesh,
  snapshotKeyForHost,
  type Bus,
  type SnapshotEntry,
  type SnapshotStore,
} from '../src/index.js';
import { Kvm, type KV } from '@nats-io/kv';
import { Buckets, Subjects } from '../src/names.js';
import { followRepublishedKey } from '../src/republished-key.js';
import { CuttableLink, connectTestBus, RecordingLogger } from './bus-fixture.js';

const MiB = 1024 * 1024;

describe('snapshot-store', () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let store: SnapshotStore;

  before(async () => {
    server = await startNatsServer();
    ({ bus } = await connectTestBus(server.url));
    await provisionMesh(bus);
    store = await openSnapshotStore(bus);
  });

  after(async () => {
    await bus.close();
    await server.dispose();
  });

  test('create and update are guarded by revision', async () => {
    const key = snapshotKeyForHost('reviews.default.svc.cluster.local');
    assert.equal(await store.get(key), undefined);
    assert.deepEqual(await store.put(key, { routes: ['v1'] }, 'absent'), { _tag: 'Right', right: { revision: 1 } });
    assert.deepEqual(await store.put(key, { routes: ['v9'] }, 'absent'), {
      _tag: 'Left',
      left: { code: 'REVISION_CONFLICT', current: 1 },
    });
    assert.deepEqual(await store.put(key, { routes: ['v2'] }, 1), { _tag: 'Right', right: { revision: 2 } });
    assert.deepEqual(await store.put(key, { routes: ['stale'] }, 1), {
      _tag: 'Left',
      left: { code: 'REVISION_CONFLICT', current: 2 },
    });
    assert.deepEqual(await store.get(key), { value: { routes: ['v2'] }, revision: 2 });
  });

  test('remove is guarded by revision and a removed key can be created again', async () => {
    const key = snapshotKeyForHost('*.example.com');
    await store.put(key, { n: 1 }, 'absent');
    const current = (await store.get(key))?.revision ?? 0;
    assert.deepEqual(await store.remove(key, current - 1), {
      _tag: 'Left',
      left: { code: 'REVISION_CONFLICT', current },
    });
    const removed = await store.remove(key, current);
    assert.deepEqual(removed, { _tag: 'Right', right: { revision: current + 1 } });
    assert.equal(await store.get(key), undefined);
    assert.ok(!(await store.keys()).includes(key));
    assert.deepEqual(await store.put(key, { n: 2 }, 'absent'), { _tag: 'Right', right: { revision: current + 2 } });
    assert.ok((await store.keys()).includes(key));
  });

  test('a value over the size limit is TOO_LARGE and nothing is written', async () => {
    const key = snapshotKeyForHost('huge.default.svc.cluster.local');
    const result = await store.put(key, { blob: 'z'.repeat(MiB) }, 'absent');
    assert.equal(result._tag, 'Left');
    assert.equal(result._tag === 'Left' && result.left.code, 'TOO_LARGE');
    assert.equal(await store.get(key), undefined);
  });

  test('watchKey reports the current value, then each stored write, and never a rejected one', async () => {
    const key = snapshotKeyForHost('ratings.default.svc.cluster.local');
    await store.put(key, { v: 1 }, 'absent');
    const seen: (SnapshotEntry | undefined)[] = [];
    const watch = store.watchKey(key, (entry) => seen.push(entry));
    try {
      await eventually(() => (seen.length === 1) || undefined, 'the initial value');
      const revision = seen[0]?.revision ?? 0;
      assert.deepEqual(seen[0], { value: { v: 1 }, revision });
      await store.put(key, { v: 2 }, revision);
      await store.put(key, { v: 'rejected' }, revision);
      await store.remove(key, revision + 1);
      await eventually(() => (seen.length === 3) || undefined, 'the update and the delete');
      await sleep(100);
      assert.deepEqual(seen, [{ value: { v: 1 }, revision }, { value: { v: 2 }, revision: revision + 1 }, undefined]);
    } finally {
      watch.stop();
    }
  });

  test('watchKey on an absent key reports undefined first, then the first write', async () => {
    const key = snapshotKeyForHost('details.default.svc.cluster.local');
    const seen: (SnapshotEntry | undefined)[] = [];
    const watch = store.watchKey(key, (entry) => seen.push(entry));
    try {
      await eventually(() => (seen.length === 1) || undefined, 'the initial state');
      assert.equal(seen[0], undefined);
      await store.put(key, { first: true }, 'absent');
      await eventually(() => (seen.length === 2) || undefined, 'the first write');
      assert.deepEqual(seen[1]?.value, { first: true });
    } finally {
      watch.stop();
    }
    await store.put(key, { after: 'stop' }, (await store.get(key))?.revision ?? 0);
    await sleep(100);
    assert.equal(seen.length, 2, 'a stopped watch reports nothing');
  });

  test('followRepublishedKey: a first write whose update overtakes the answer of the get read before it is kept', async () => {
    // The server answers a get and republishes a write on different paths, so "absent" can arrive
    // after the update of a write made just after the read. Here the answer is held back until then.
    const key = snapshotKeyForHost('overtaken.default.svc.cluster.local');
    const kv = await new Kvm(bus.js).open(Buckets.snapshots);
    let readDone!: () => void;
    const read = new Promise<void>((r) => (readDone = r));
    let releaseAnswer!: () => void;
    const answerHeld = new Promise<void>((r) => (releaseAnswer = r));
    const lateKv = {
      get: async (k: string) => {
        const answer = await kv.get(k);
        readDone();
        await answerHeld;
        return answer;
      },
    } as unknown as KV;
    const seen: Array<{ value: unknown; revision: number } | undefined> = [];
    const follow = followRepublishedKey(bus, { kv: lateKv, key, updates: Subjects.snapshotUpdates(key), decode: (data) => JSON.parse(new TextDecoder().decode(data)) as unknown }, (e) => seen.push(e));
    try {
      await read;
      await store.put(key, { first: true }, 'absent');
      await eventually(() => (seen.length === 1) || undefined, 'the update of the write');
      releaseAnswer();
      await sleep(100);
      assert.deepEqual(seen.map((e) => e?.value), [{ first: true }], 'the stale "absent" does not clear the written value');
    } finally {
      follow.stop();
    }
  });
});

describe('snapshot-store.recovery', () => {
  let server: NatsServerHandle;
  let writer: Bus;
  let writerStore: SnapshotStore;

  before(async () => {
    server = await startNatsServer();
    ({ bus: writer } = await connectTestBus(server.url));
    await provisionMesh(writer);
    writerStore = await openSnapshotStore(writer);
  });

  after(async () => {
    await writer.close();
    await server.dispose();
  });

  test('watchKey keeps working after a server restart', async () => {
    const { bus } = await connectTestBus(server.url);
    const key = snapshotKeyForHost('productpage.default.svc.cluster.local');
    try {
      const store = await openSnapshotStore(bus);
      const first = await writerStore.put(key, { v: 1 }, 'absent');
      assert.equal(first._tag, 'Right');
      const seen: (SnapshotEntry | undefined)[] = [];
      const watch = store.watchKey(key, (entry) => seen.push(entry));
      await eventually(() => (seen.length === 1) || undefined, 'the initial value');
      await server.restart();
      const current = (await writerStore.get(key))?.revision ?? 0;
      await writerStore.put(key, { v: 2 }, current);
      await eventually(() => (seen.at(-1)?.value !== undefined && (seen.at(-1)?.value as { v: number }).v === 2) || undefined, 'the write after the restart', 15_000);
      watch.stop();
    } finally {
      await bus.close();
    }
  });

  test('watchKey catches up on a write it missed while its link was down', async () => {
    const link = await CuttableLink.start(server.port);
    const log = new RecordingLogger();
    const bus = await connectBus(link.url, log, { name: 'cut-proxy', timeoutMs: 2_000 });
    const key = snapshotKeyForHost('cut.default.svc.cluster.local');
    try {
      const store = await openSnapshotStore(bus);
      await writerStore.put(key, { v: 1 }, 'absent');
      const seen: (SnapshotEntry | undefined)[] = [];
      const watch = store.watchKey(key, (entry) => seen.push(entry));
      await eventually(() => (seen.length === 1) || undefined, 'the initial value');
      link.sever();
      await eventually(() => log.messages('warn').includes('NATS disconnected') || undefined, 'the watcher to notice the cut');
      const missed = await writerStore.put(key, { v: 2 }, seen[0]?.revision ?? 0);
      assert.equal(missed._tag, 'Right');
      await sleep(200);
      assert.equal(seen.length, 1, 'nothing arrives while the link is down');
      link.restore();
      await eventually(() => (seen.length === 2) || undefined, 'the missed write, fetched after reconnect', 15_000);
      assert.deepEqual(seen[1]?.value, { v: 2 });
      watch.stop();
    } finally {
      await bus.close();
      await link.close();
    }
  });
});
