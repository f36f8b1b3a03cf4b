import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { Buckets, bucketStream, Limits, openCheckpointStore, type Bus, type CheckpointStore } from '../src/index.js';
import { connectTestBus } from './bus-fixture.js';

describe('checkpoint-store', () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let store: CheckpointStore;

  before(async () => {
    server = await startNatsServer();
    ({ bus } = await connectTestBus(server.url));
    store = await openCheckpointStore(bus);
  });

  after(async () => {
    await bus.close();
    await server.dispose();
  });

  test('checkpoint.none: an empty bucket has no latest checkpoint', async () => {
    assert.deepEqual(await store.readLatest(), { _tag: 'Right', right: undefined });
  });

  test('checkpoint.chunked: a checkpoint larger than one message reads back byte for byte', async () => {
    const data = randomBytes(Math.floor(2.5 * Limits.checkpointChunkBytes));
    const written = await store.write(100, data);
    assert.equal(written._tag, 'Right');
    assert.equal(written._tag === 'Right' && written.right.chunks, 3);
    const read = await store.readLatest();
    assert.ok(read._tag === 'Right' && read.right !== undefined);
    assert.equal(read.right.manifest.position, 100);
    assert.ok(Buffer.from(read.right.data).equals(data));
  });

  test('checkpoint.replace: a newer checkpoint replaces the older one and its chunks are removed', async () => {
    const written = await store.write(200, new TextEncoder().encode('state at 200'));
    assert.equal(written._tag, 'Right');
    const read = await store.readLatest();
    assert.ok(read._tag === 'Right' && read.right !== undefined);
    assert.equal(new TextDecoder().decode(read.right.data), 'state at 200');
    // One chunk and the manifest: the three chunks of the checkpoint at 100 are gone.
    const info = await bus.jsm.streams.info(bucketStream(Buckets.checkpoints));
    assert.equal(info.state.messages, 2);
  });

  test('checkpoint.superseded: a slower replica never moves the checkpoint backwards', async () => {
    const written = await store.write(150, new TextEncoder().encode('state at 150'));
    assert.deepEqual(written, { _tag: 'Left', left: { code: 'SUPERSEDED', current: 200 } });
    const read = await store.readLatest();
    assert.ok(read._tag === 'Right' && read.right?.manifest.position === 200);
  });

  test('checkpoint.corrupt: a manifest that is not ours reads as unreadable, with the reason', async () => {
    const kv = await new Kvm(bus.js).open(Buckets.checkpoints);
    await kv.put('latest', new TextEncoder().encode('{"name":"x"'));
    const read = await store.readLatest();
    assert.deepEqual(read, { _tag: 'Left', left: { code: 'UNREADABLE', reason: 'the manifest is not JSON' } });
    // The next writer heals it.
    assert.equal((await store.write(300, new TextEncoder().encode('state at 300')))._tag, 'Right');
    const healed = await store.readLatest();
    assert.ok(healed._tag === 'Right' && healed.right?.manifest.position === 300);
  });

  test('checkpoint.kinds: the registry checkpoint is kept apart: a lower position is not superseded by the config one, and replacing it leaves the config one whole', async () => {
    const registry = await openCheckpointStore(bus, 'registry');
    assert.deepEqual(await registry.readLatest(), { _tag: 'Right', right: undefined });
    assert.equal((await registry.write(5, new TextEncoder().encode('registry at 5')))._tag, 'Right');
    assert.equal((await registry.write(7, new TextEncoder().encode('registry at 7')))._tag, 'Right');
    const read = await registry.readLatest();
    assert.ok(read._tag === 'Right' && read.right !== undefined);
    assert.equal(new TextDecoder().decode(read.right.data), 'registry at 7');
    const config = await store.readLatest();
    assert.ok(config._tag === 'Right' && config.right !== undefined);
    assert.equal(new TextDecoder().decode(config.right.data), 'state at 300');
  });
});
