import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { freePort, startMeshNatsServer, startNatsServer } from '@jetmesh/testing';
import { bootstrapPermissions, BusPermissionError, connectBus, createMeshAccount, isJetStreamElecting, JetStreamNotReadyError, mintNatsUser, startDeadline, untilJetStreamReady, type NatsUserCredentials } from '../src/index.js';
import { RecordingLogger } from './bus-fixture.js';

const fast = { initialDelayMs: 5, maxDelayMs: 20 };
/** A user signed by another account's key: the server refuses it (Authorization Violation). */
const strangerUser = (): NatsUserCredentials => {
  const stranger = createMeshAccount();
  return mintNatsUser(stranger.accountPublicKey, stranger.signingKeySeed, { name: 'galley', permissions: bootstrapPermissions() });
};
const noMetaLeader = (): JetStreamApiError => new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' });

describe('jetstream-ready', () => {
  test('ready.classify: timeouts, no responders and leader elections are worth a retry; permissions, credentials and bad requests are not', () => {
    assert.ok(isJetStreamElecting(new errors.TimeoutError()));
    assert.ok(isJetStreamElecting(new errors.RequestError('no responders', { cause: new errors.NoRespondersError('$JS.API.INFO') })));
    assert.ok(isJetStreamElecting(noMetaLeader()));
    assert.ok(isJetStreamElecting(new Error('cannot update stream X', { cause: noMetaLeader() })));
    assert.ok(!isJetStreamElecting(new BusPermissionError('pilot', 'publish', 'mesh.config')));
    assert.ok(!isJetStreamElecting(new errors.AuthorizationError('Authorization Violation')));
    assert.ok(!isJetStreamElecting(new JetStreamApiError({ code: 400, err_code: 10058, description: 'stream name already in use' })));
    assert.ok(!isJetStreamElecting(new Error('a bug')));
  });

  test('ready.retry: an attempt failing while leaders are elected is retried until it succeeds; the reason is logged at warn, not every time', async () => {
    const log = new RecordingLogger();
    let attempts = 0;
    const value = await untilJetStreamReady(
      'stream MESH_CONFIG',
      async () => {
        attempts += 1;
        if (attempts < 6) throw noMetaLeader();
        return 'led';
      },
      log,
      { ...fast, logEvery: 4 },
    );
    assert.equal(value, 'led');
    assert.equal(attempts, 6);
    const warnings = log.entries.filter((e) => e.level === 'warn');
    assert.deepEqual(
      warnings.map((w) => (w.obj as { attempts: number }).attempts),
      [1, 5],
    );
    assert.match(warnings[0]?.msg ?? '', /^stream MESH_CONFIG: not available yet/);
    assert.equal((warnings[0]?.obj as { reason: string }).reason, 'JetStream system temporarily unavailable');
  });

  test('ready.fatal: any other error rejects at the first attempt', async () => {
    let attempts = 0;
    const denied = new BusPermissionError('pilot', 'publish', 'mesh.config');
    await assert.rejects(
      untilJetStreamReady(
        'provisioning',
        async () => {
          attempts += 1;
          throw denied;
        },
        new RecordingLogger(),
        fast,
      ),
      (err) => err === denied,
    );
    assert.equal(attempts, 1);
  });

  test('ready.bound: past the bound it rejects with JetStreamNotReadyError naming what never became available and why', async () => {
    const started = Date.now();
    const err = await untilJetStreamReady('stream MESH_AUDIT', () => Promise.reject(noMetaLeader()), new RecordingLogger(), { ...fast, timeoutMs: 300 }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof JetStreamNotReadyError);
    assert.equal(err.code, 'UNAVAILABLE');
    assert.ok(Date.now() - started < 2_000);
    assert.match(
      err.message,
      /^stream MESH_AUDIT did not become available within 0\.\d s \(\d+ attempts; JETMESH_NATS_READY_TIMEOUT sets how long to wait\): last error: JetStream system temporarily unavailable$/,
    );
  });

  test('ready.deadline: the waits of one start share one bound: a wait begun after it has passed tries once', async () => {
    const wait = startDeadline({ ...fast, timeoutMs: 200 });
    let attempts = 0;
    const failing = async (): Promise<never> => {
      attempts += 1;
      throw noMetaLeader();
    };
    await assert.rejects(untilJetStreamReady('NATS', failing, new RecordingLogger(), wait), JetStreamNotReadyError);
    const first = attempts;
    assert.ok(first > 1, `retried within the bound (${first} attempts)`);
    await assert.rejects(untilJetStreamReady('stream MESH_CONFIG', failing, new RecordingLogger(), wait), JetStreamNotReadyError);
    assert.equal(attempts, first + 1);
  });

  test('ready.connect: a service started before its NATS server connects once the server is up', async () => {
    const port = await freePort();
    const log = new RecordingLogger();
    const connecting = connectBus(`nats://127.0.0.1:${port}`, log, { name: 'early', timeoutMs: 1_000, readyWait: { timeoutMs: 20_000, initialDelayMs: 100 } });
    await sleep(1_000);
    const server = await startNatsServer({ port });
    try {
      const bus = await connecting;
      await bus.jsm.getAccountInfo();
      await bus.close();
      assert.ok(log.entries.some((e) => e.level === 'warn' && /^NATS with JetStream at .*: not available yet/.test(e.msg ?? '')));
    } finally {
      await connecting.then((bus) => bus.close()).catch(() => undefined);
      await server.dispose();
    }
  });

  test('ready.connect.credentials: a user the server does not trust is not waited for', async () => {
    const server = await startMeshNatsServer();
    try {
      const started = Date.now();
      await assert.rejects(
        connectBus(server.url, new RecordingLogger(), { credentials: strangerUser(), readyWait: { timeoutMs: 30_000 } }),
        /Authorization Violation/i,
      );
      assert.ok(Date.now() - started < 5_000, `rejected after ${Date.now() - started} ms`);
    } finally {
      await server.dispose();
    }
  });
});
