import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  decodeEvent,
  encodeEvent,
  Limits,
  provisionMesh,
  publishEvent,
  readStream,
  streamLastSequence,
  Streams,
  Subjects,
  type Bus,
} from '../src/index.js';
import { connectTestBus, Greeting } from './bus-fixture.js';

const MiB = 1024 * 1024;

describe('publish', () => {
  let server: NatsServerHandle;
  let bus: Bus;

  before(async () => {
    server = await startNatsServer();
    ({ bus } = await connectTestBus(server.url));
    await provisionMesh(bus);
  });

  after(async () => {
    await bus.close();
    await server.dispose();
  });

  test('expected last subject sequence: in-order writes succeed, a stale one is SEQUENCE_CONFLICT', async () => {
    const subject = Subjects.registry('default', 'reviews-v1');
    const first = await publishEvent(bus, Greeting, subject, { n: 1, text: 'a' }, { msgId: 'seq-1', expectedLastSubjectSequence: 0 });
    assert.deepEqual(first, { _tag: 'Right', right: { stream: Streams.registry, seq: 1, duplicate: false } });
    const second = await publishEvent(bus, Greeting, subject, { n: 2, text: 'b' }, { msgId: 'seq-2', expectedLastSubjectSequence: 1 });
    assert.deepEqual(second, { _tag: 'Right', right: { stream: Streams.registry, seq: 2, duplicate: false } });
    const stale = await publishEvent(bus, Greeting, subject, { n: 3, text: 'c' }, { msgId: 'seq-3', expectedLastSubjectSequence: 1 });
    assert.deepEqual(stale, { _tag: 'Left', left: { code: 'SEQUENCE_CONFLICT', expected: 1, actual: 2 } });
    assert.equal(await streamLastSequence(bus, Streams.registry), 2);
  });

  test('the same msgId within the dedupe window is stored once', async () => {
    const before = await streamLastSequence(bus, Streams.config);
    const event = { n: 7, text: 'retry me' };
    const first = await publishEvent(bus, Greeting, Subjects.config, event, { msgId: 'apply-7' });
    const retry = await publishEvent(bus, Greeting, Subjects.config, event, { msgId: 'apply-7' });
    assert.deepEqual(first, { _tag: 'Right', right: { stream: Streams.config, seq: before + 1, duplicate: false } });
    assert.deepEqual(retry, { _tag: 'Right', right: { stream: Streams.config, seq: before + 1, duplicate: true } });
    assert.equal(await streamLastSequence(bus, Streams.config), before + 1);
  });

  test('a payload over max_payload is TOO_LARGE and nothing is stored', async () => {
    const before = await streamLastSequence(bus, Streams.config);
    const huge = { n: 1, text: 'x'.repeat(1.5 * MiB) };
    const result = await publishEvent(bus, Greeting, Subjects.config, huge, { msgId: 'huge' });
    assert.ok(isLeft(result));
    assert.equal(result.left.code, 'TOO_LARGE');
    assert.ok(result.left.code === 'TOO_LARGE' && result.left.bytes > MiB && result.left.max === MiB);
    assert.equal(await streamLastSequence(bus, Streams.config), before);
  });

  test('a payload just under max_payload whose headers push it over is TOO_LARGE', async () => {
    const nearlyFull = { n: 1, text: 'x'.repeat(MiB - 40) };
    const result = await publishEvent(bus, Greeting, Subjects.config, nearlyFull, { msgId: 'nearly-full-with-a-long-id' });
    assert.ok(isLeft(result) && result.left.code === 'TOO_LARGE');
  });

  test('codec.encode is applied before JSON and decode reports the path that failed', async () => {
    const DateFromIso = new t.Type<Date, string, unknown>(
      'DateFromIso',
      (u): u is Date => u instanceof Date,
      (u, c) => (typeof u === 'string' && !Number.isNaN(Date.parse(u)) ? t.success(new Date(u)) : t.failure(u, c)),
      (d) => d.toISOString(),
    );
    const Stamped = t.type({ at: DateFromIso });
    const bytes = encodeEvent(Stamped, { at: new Date('2024-01-02T03:04:05.000Z') });
    assert.equal(new TextDecoder().decode(bytes), '{"at":"2024-01-02T03:04:05.000Z"}');
    const decoded = decodeEvent(Stamped, bytes);
    assert.ok(!isLeft(decoded) && decoded.right.at.getTime() === Date.parse('2024-01-02T03:04:05.000Z'));
    const bad = decodeEvent(Stamped, new TextEncoder().encode('{"at":"yesterday"}'));
    assert.ok(isLeft(bad));
    assert.equal(bad.left.reason, 'at: expected DateFromIso, got "yesterday"');
    const notJson = decodeEvent(Stamped, new TextEncoder().encode('{'));
    assert.ok(isLeft(notJson) && notJson.left.reason.startsWith('not JSON'));

    const seq = await publishEvent(bus, Stamped, Subjects.audit('clock'), { at: new Date(0) }, { msgId: 'clock-1' });
    assert.ok(!isLeft(seq));
    const read = [];
    for await (const entry of readStream(bus, { stream: Streams.audit, codec: Stamped, fromSequence: 1 })) read.push(entry);
    assert.equal(read.length, 1);
    assert.equal(read[0]?.value.at.getTime(), 0);
    assert.equal(read[0]?.subject, 'mesh.audit.clock');
  });
});

describe('publish.stream-limit', () => {
  test('an event over the stream max_msg_size is TOO_LARGE with the stream limit', async () => {
    const server = await startNatsServer({ maxPayload: 4 * MiB });
    const { bus } = await connectTestBus(server.url);
    try {
      await provisionMesh(bus);
      const result = await publishEvent(bus, Greeting, Subjects.config, { n: 1, text: 'y'.repeat(2 * MiB) }, { msgId: 'big' });
      assert.ok(isLeft(result));
      assert.equal(result.left.code, 'TOO_LARGE');
      assert.ok(result.left.code === 'TOO_LARGE' && result.left.max === Limits.configMaxMsgBytes);
      assert.equal(await streamLastSequence(bus, Streams.config), 0);
    } finally {
      await bus.close();
      await server.dispose();
    }
  });
});
