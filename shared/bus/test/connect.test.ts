import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, freePort, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { BusUnavailableError, connectBus } from '../src/index.js';
import { RecordingLogger } from './bus-fixture.js';

describe('connect', () => {
  let server: NatsServerHandle;

  before(async () => {
    server = await startNatsServer();
  });

  after(async () => {
    await server.dispose();
  });

  test('an unreachable server rejects with BusUnavailableError naming the url', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const err = await connectBus(url, new RecordingLogger(), { timeoutMs: 1_000 }).then(
      () => assert.fail('connected to nothing'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BusUnavailableError);
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, new RegExp(`^cannot reach NATS at ${url}: `));
    assert.ok(err.cause !== undefined);
  });

  test('disconnect and reconnect are logged, and the bus works again', async () => {
    const log = new RecordingLogger();
    const bus = await connectBus(server.url, log, { name: 'connect-test' });
    try {
      await server.restart();
      await eventually(() => log.messages('info').includes('NATS reconnected') || undefined, 'the reconnect log line');
      assert.ok(log.messages('warn').includes('NATS disconnected'));
      await bus.jsm.getAccountInfo();
    } finally {
      await bus.drain();
      await bus.drain();
      await bus.close();
    }
  });
});
