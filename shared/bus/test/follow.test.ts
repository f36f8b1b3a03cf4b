import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { isLeft } from 'fp-ts/lib/Either.js';
import { followStream, publishEvent, readStream, streamLastSequence, type Bus, type EventMeta } from '../src/index.js';
import { connectTestBus, createTestStream, Greeting, type RecordingLogger } from './bus-fixture.js';

async function publishGreetings(bus: Bus, subject: string, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) {
    const result = await publishEvent(bus, Greeting, subject, { n, text: `hello ${n}` }, { msgId: `${subject}-${n}` });
    assert.ok(!isLeft(result), `publish ${n}`);
  }
}

describe('follow', () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let log: RecordingLogger;

  before(async () => {
    server = await startNatsServer();
    ({ bus, log } = await connectTestBus(server.url));
  });

  after(async () => {
    await bus.close();
    await server.dispose();
  });

  test('a follower replays from sequence N, is caught up, then follows live events', async () => {
    const { stream, subject } = await createTestStream(bus);
    await publishGreetings(bus, subject('a'), 1, 5);
    const seen: number[] = [];
    const follower = await followStream(bus, {
      stream,
      codec: Greeting,
      fromSequence: 3,
      onEvent: async (value, meta) => {
        assert.equal(value.n, meta.seq);
        // A slow handler must still see events one at a time, in order.
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push(value.n);
      },
    });
    try {
      await follower.caughtUp;
      assert.deepEqual(seen, [3, 4, 5]);
      assert.equal(follower.isCaughtUp(), true);
      assert.equal(follower.lastSequence(), 5);
      await publishGreetings(bus, subject('a'), 6, 7);
      await eventually(() => (seen.length === 5) || undefined, 'live events');
      assert.deepEqual(seen, [3, 4, 5, 6, 7]);
      assert.equal(follower.lastSequence(), 7);
    } finally {
      await follower.stop();
    }
    await follower.closed;
  });

  test('a follower on an empty stream is caught up at once', async () => {
    const { stream, subject } = await createTestStream(bus);
    const seen: number[] = [];
    const follower = await followStream(bus, { stream, codec: Greeting, fromSequence: 1, onEvent: (value) => void seen.push(value.n) });
    try {
      assert.equal(follower.isCaughtUp(), true);
      await follower.caughtUp;
      assert.equal(follower.lastSequence(), 0);
      await publishGreetings(bus, subject('a'), 1, 1);
      await eventually(() => (seen.length === 1) || undefined, 'the first live event');
    } finally {
      await follower.stop();
    }
  });

  test('a follower starting past the end is caught up at once', async () => {
    const { stream, subject } = await createTestStream(bus);
    await publishGreetings(bus, subject('a'), 1, 3);
    const follower = await followStream(bus, { stream, codec: Greeting, fromSequence: 4, onEvent: () => undefined });
    assert.equal(follower.isCaughtUp(), true);
    await follower.stop();
  });

  test('a filtered follower sees only its subject and catches up on the last match', async () => {
    const { stream, subject } = await createTestStream(bus);
    await publishGreetings(bus, subject('a'), 1, 2);
    await publishGreetings(bus, subject('b'), 3, 3);
    await publishGreetings(bus, subject('a'), 4, 4);
    await publishGreetings(bus, subject('b'), 5, 6);
    const seen: number[] = [];
    const follower = await followStream(bus, {
      stream,
      filterSubject: subject('a'),
      codec: Greeting,
      fromSequence: 1,
      onEvent: (value) => void seen.push(value.n),
    });
    try {
      await follower.caughtUp;
      assert.deepEqual(seen, [1, 2, 4]);
      assert.equal(follower.lastSequence(), 4);
    } finally {
      await follower.stop();
    }
  });

  test('an undecodable message reaches onInvalid, is logged with its seq, and following continues', async () => {
    const { stream, subject } = await createTestStream(bus);
    await publishGreetings(bus, subject('a'), 1, 1);
    await bus.js.publish(subject('a'), 'not json');
    await bus.js.publish(subject('a'), JSON.stringify({ n: 'three', text: 'wrong type' }));
    await publishGreetings(bus, subject('a'), 4, 4);
    const seen: number[] = [];
    const invalid: { meta: EventMeta; reason: string }[] = [];
    const follower = await followStream(bus, {
      stream,
      codec: Greeting,
      fromSequence: 1,
      onEvent: (value) => void seen.push(value.n),
      onInvalid: (meta, reason) => void invalid.push({ meta, reason }),
    });
    try {
      await follower.caughtUp;
      assert.deepEqual(seen, [1, 4]);
      assert.deepEqual(
        invalid.map(({ meta }) => meta.seq),
        [2, 3],
      );
      assert.match(invalid[0]?.reason ?? '', /^not JSON/);
      assert.equal(invalid[1]?.reason, 'n: expected number, got "three"');
      const logged = log.entries.filter((entry) => entry.msg === 'undecodable event skipped').map((entry) => (entry.obj as { seq: number }).seq);
      assert.deepEqual(logged, [2, 3]);
      await publishGreetings(bus, subject('a'), 5, 5);
      await eventually(() => (seen.length === 3) || undefined, 'the event after the bad ones');
    } finally {
      await follower.stop();
    }
  });

  test('a handler that throws stops the follower and rejects closed', async () => {
    const { stream, subject } = await createTestStream(bus);
    await publishGreetings(bus, subject('a'), 1, 2);
    const follower = await followStream(bus, {
      stream,
      codec: Greeting,
      fromSequence: 1,
      onEvent: (value) => {
        if (value.n === 2) throw new Error('reducer bug');
      },
    });
    await assert.rejects(follower.closed, /reducer bug/);
    await assert.rejects(follower.caughtUp, /reducer bug/);
    assert.equal(follower.lastSequence(), 1);
    await follower.stop();
  });

  test('readStream replays a bounded range and stops at the end of the stream', async () => {
    const { stream, subject } = await createTestStream(bus);
    const empty = [];
    for await (const entry of readStream(bus, { stream, codec: Greeting, fromSequence: 1 })) empty.push(entry);
    assert.deepEqual(empty, []);
    await publishGreetings(bus, subject('a'), 1, 5);
    const range = [];
    for await (const entry of readStream(bus, { stream, codec: Greeting, fromSequence: 2, toSequence: 4 })) range.push(entry.seq);
    assert.deepEqual(range, [2, 3, 4]);
    const rest = [];
    for await (const entry of readStream(bus, { stream, codec: Greeting, fromSequence: 3 })) rest.push(entry.value.n);
    assert.deepEqual(rest, [3, 4, 5]);
    assert.equal(await streamLastSequence(bus, stream), 5);
    const consumers = await bus.jsm.consumers.list(stream).next();
    assert.deepEqual(consumers, [], 'readStream leaves no consumer behind');
  });
});

describe('follow.restart', () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let publisher: Bus;

  before(async () => {
    server = await startNatsServer();
    ({ bus } = await connectTestBus(server.url));
    ({ bus: publisher } = await connectTestBus(server.url));
  });

  after(async () => {
    await bus.close();
    await publisher.close();
    await server.dispose();
  });

  test('a follower survives a server restart and a crash, missing and repeating nothing', async () => {
    const { stream, subject } = await createTestStream(publisher);
    await publishGreetings(publisher, subject('a'), 1, 3);
    const seen: number[] = [];
    const follower = await followStream(bus, { stream, codec: Greeting, fromSequence: 1, onEvent: (value) => void seen.push(value.n) });
    try {
      await follower.caughtUp;
      await server.restart();
      await publishGreetings(publisher, subject('a'), 4, 6);
      await eventually(() => (seen.length === 6) || undefined, 'events published after the restart', 15_000);
      await server.kill();
      await server.restart();
      await publishGreetings(publisher, subject('a'), 7, 8);
      await eventually(() => (seen.length === 8) || undefined, 'events published after the crash', 15_000);
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal(follower.lastSequence(), 8);
    } finally {
      await follower.stop();
    }
  });
});
