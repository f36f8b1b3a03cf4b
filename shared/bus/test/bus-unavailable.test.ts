import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors, PermissionViolationError, RequestError } from '@nats-io/transport-node';
import { freePort, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { connectBus, gatherReplies, isBusUnavailable, isNoResponders, isRequestTimeout, JetStreamNotReadyError, untilJetStreamReady, type Bus } from '../src/index.js';
import { RecordingLogger } from './bus-fixture.js';

/** What a call rejected with; fails the test when it resolved. */
const rejection = async (call: () => Promise<unknown>): Promise<unknown> =>
  call().then(
    (value) => assert.fail(`expected a rejection, got ${String(value)}`),
    (e: unknown) => e,
  );

describe('bus-unavailable', () => {
  let server: NatsServerHandle;
  let bus: Bus;

  before(async () => {
    server = await startNatsServer();
    bus = await connectBus(server.url, new RecordingLogger(), { name: 'bus-unavailable-test' });
  });

  after(async () => {
    await bus.close();
    await server.dispose();
  });

  test('bus-unavailable: a JetStream publish no stream answers (JetStreamNotEnabled) is unavailable', async () => {
    const err = await rejection(() => bus.js.publish('nobody.stores.this', 'x', { retries: 1 }));
    assert.equal((err as Error).name, 'JetStreamNotEnabled');
    assert.ok(isBusUnavailable(err));
  });

  test('bus-unavailable: a request nobody answers (no responders) is unavailable', async () => {
    const err = await rejection(() => bus.nc.request('nobody.listens', 'x', { timeout: 2_000 }));
    assert.ok(err instanceof RequestError && err.isNoResponders());
    assert.ok(isBusUnavailable(err));
    assert.ok(isNoResponders(err));
    assert.equal(isRequestTimeout(err), false);
  });

  test('bus-unavailable: a request a silent subscriber lets time out is unavailable', async () => {
    const silent = bus.nc.subscribe('silent.subscriber');
    try {
      await bus.nc.flush();
      const err = await rejection(() => bus.nc.request('silent.subscriber', 'x', { timeout: 100 }));
      assert.ok(err instanceof Error && /timeout/i.test(`${err.name} ${err.message}`), String(err));
      assert.ok(isBusUnavailable(err));
      assert.ok(isRequestTimeout(err));
      assert.equal(isNoResponders(err), false);
    } finally {
      silent.unsubscribe();
    }
  });

  test('bus-unavailable: gathering replies where nobody subscribed is no replies, not an error', async () => {
    assert.deepEqual(await gatherReplies(bus, 'nobody.gathers', '{}', 500, () => assert.fail('no reply to decode')), { replies: [], invalid: [] });
  });

  test('bus-unavailable: a request on a closed connection is unavailable', async () => {
    const closed = await connectBus(server.url, new RecordingLogger(), { name: 'closed' });
    await closed.close();
    const err = await rejection(() => closed.nc.request('anything', 'x'));
    assert.ok(err instanceof errors.ClosedConnectionError, String(err));
    assert.ok(isBusUnavailable(err));
  });

  test('bus-unavailable: no server at the url (BusUnavailableError) is unavailable', async () => {
    const err = await rejection(async () => connectBus(`nats://127.0.0.1:${await freePort()}`, new RecordingLogger(), { timeoutMs: 500 }));
    assert.ok(isBusUnavailable(err));
  });

  test('bus-unavailable: JetStream still electing past the wait (JetStreamNotReadyError) is unavailable', async () => {
    const err = await rejection(() => untilJetStreamReady('stream X', () => Promise.reject(new errors.TimeoutError()), new RecordingLogger(), { timeoutMs: 0 }));
    assert.ok(err instanceof JetStreamNotReadyError, String(err));
    assert.ok(isBusUnavailable(err));
  });

  test('bus-unavailable: a JetStream API 503 (no meta leader) is unavailable, a 400 is not', () => {
    assert.ok(isBusUnavailable(new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' })));
    assert.equal(isBusUnavailable(new JetStreamApiError({ code: 400, err_code: 10058, description: 'stream name already in use' })), false);
  });

  test('bus-unavailable: an error of ours saying code UNAVAILABLE is unavailable, also as a cause', () => {
    const lag = Object.assign(new Error('projection did not reach 7'), { code: 'UNAVAILABLE' });
    assert.ok(isBusUnavailable(lag));
    assert.ok(isBusUnavailable(new Error('write failed', { cause: lag })));
  });

  test('bus-unavailable: a plain Error, a string and a permission refusal are not', () => {
    assert.equal(isBusUnavailable(new Error('bug')), false);
    assert.equal(isBusUnavailable('TimeoutError'), false);
    const denied = new RequestError('permissions', { cause: new PermissionViolationError('Permissions Violation for Publish to "x"', 'publish', 'x') });
    assert.equal(isBusUnavailable(denied), false);
  });
});
