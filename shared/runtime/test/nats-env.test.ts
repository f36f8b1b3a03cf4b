import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { decodeEnv, formatEnvError, MAX_STREAM_REPLICAS, NatsEnv } from '../src/index.js';

const replicasOf = (value: string | undefined) => {
  const decoded = decodeEnv(NatsEnv, value === undefined ? {} : { JETMESH_STREAM_REPLICAS: value });
  return E.isRight(decoded) ? E.right(decoded.right.streamReplicas) : E.left(decoded.left.map(formatEnvError));
};

test('env.nats.replicas: one copy unless set (a single server has no other)', () => {
  assert.deepEqual(replicasOf(undefined), E.right(1));
  assert.deepEqual(replicasOf(''), E.right(1));
});

test('env.nats.replicas: every count JetStream can place decodes to itself', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: MAX_STREAM_REPLICAS }), (n) => {
      assert.deepEqual(replicasOf(String(n)), E.right(n));
      assert.deepEqual(replicasOf(` ${n} `), E.right(n));
    }),
  );
});

test('env.nats.replicas: anything else stops the service, naming the variable and the range', () => {
  const outside = fc.oneof(
    fc.integer({ min: MAX_STREAM_REPLICAS + 1 }).map(String),
    fc.constantFrom('0', '-1', '3.0', '1e1', 'three', '0x3', '3,'),
  );
  fc.assert(
    fc.property(outside, (text) => {
      assert.deepEqual(replicasOf(text), E.left([`invalid environment: JETMESH_STREAM_REPLICAS=${JSON.stringify(text)}: must be an integer from 1 to ${MAX_STREAM_REPLICAS}`]));
    }),
  );
});

const readyTimeoutOf = (value: string | undefined) => {
  const decoded = decodeEnv(NatsEnv, value === undefined ? {} : { JETMESH_NATS_READY_TIMEOUT: value });
  return E.isRight(decoded) ? E.right(decoded.right.natsReadyTimeoutMs) : E.left(decoded.left.map(formatEnvError));
};

test('env.nats.ready-timeout: a service waits a minute for NATS and its leaders unless told otherwise; a duration needs its unit', () => {
  assert.deepEqual(readyTimeoutOf(undefined), E.right(60_000));
  assert.deepEqual(readyTimeoutOf('90s'), E.right(90_000));
  assert.deepEqual(readyTimeoutOf('2m'), E.right(120_000));
  assert.deepEqual(readyTimeoutOf('60'), E.left(['invalid environment: JETMESH_NATS_READY_TIMEOUT="60": must be a duration such as 500ms, 90s, 30m, 1h or 1d']));
});
