import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { connectBus, type Bus, type BusLogger } from '@jetmesh/bus';
import { freePort, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { statusOfException } from '../src/error-status.js';
import { ConfigStateLagError } from '../src/config-state.js';

const quiet: BusLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

/** What a call rejected with; fails the test when it resolved. */
const rejection = async (call: () => Promise<unknown>): Promise<unknown> =>
  call().then(
    (value) => assert.fail(`expected a rejection, got ${String(value)}`),
    (e: unknown) => e,
  );

const codeOf = (err: unknown): status | undefined => statusOfException(err).code;

describe('error-status.errors', () => {
  let server: NatsServerHandle;
  let bus: Bus;

  before(async () => {
    server = await startNatsServer();
    bus = await connectBus(server.url, quiet, { name: 'galley-error-status-test' });
  });

  after(async () => {
    await bus.close();
    await server.dispose();
  });

  test('error-status.errors: JetStream answering no one (JetStreamNotEnabled) is UNAVAILABLE', async () => {
    const err = await rejection(() => bus.js.publish('nobody.stores.this', 'x', { retries: 1 }));
    assert.equal((err as Error).name, 'JetStreamNotEnabled');
    assert.equal(codeOf(err), status.UNAVAILABLE);
  });

  test('error-status.errors: a request nobody answers is UNAVAILABLE', async () => {
    assert.equal(codeOf(await rejection(() => bus.nc.request('nobody.listens', 'x', { timeout: 2_000 }))), status.UNAVAILABLE);
  });

  test('error-status.errors: no NATS at the url is UNAVAILABLE, its message in the details', async () => {
    const err = await rejection(async () => connectBus(`nats://127.0.0.1:${await freePort()}`, quiet, { timeoutMs: 500 }));
    const answer = statusOfException(err);
    assert.equal(answer.code, status.UNAVAILABLE);
    assert.match(String(answer.details), /cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+/);
  });

  test('error-status.errors: a plain Error is INTERNAL and says nothing of it', () => {
    const err = new Error('secret detail of a bug');
    const answer = statusOfException(err);
    assert.equal(answer.code, status.INTERNAL);
    assert.doesNotMatch(String(answer.details), /secret/);
  });
});

test('error-status.errors: galley projection lagging (ConfigStateLagError) is UNAVAILABLE', () => {
  assert.equal(codeOf(new ConfigStateLagError(7, 3)), status.UNAVAILABLE);
});
