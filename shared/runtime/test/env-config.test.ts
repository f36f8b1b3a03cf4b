import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import {
  decodeEnv,
  durationMs,
  envVar,
  formatEnvError,
  hostPort,
  logLevel,
  NatsCredentialsEnv,
  NatsEnv,
  natsUrl,
  nonEmptyString,
  optionalEnvVar,
  port,
  positiveInt,
} from '../src/index.js';

const GalleyEnv = {
  natsUrl: envVar('JETMESH_NATS_URL', natsUrl, 'nats://127.0.0.1:4222'),
  grpcPort: envVar('JETMESH_GALLEY_PORT', port, 15017),
  adminPort: envVar('JETMESH_ADMIN_PORT', port, 0),
  logLevel: envVar('JETMESH_LOG_LEVEL', logLevel, 'info'),
};

test('env.defaults: unset and empty variables take their defaults', () => {
  const decoded = decodeEnv(GalleyEnv, { JETMESH_ADMIN_PORT: '' });
  assert.deepEqual(decoded, E.right({ natsUrl: 'nats://127.0.0.1:4222', grpcPort: 15017, adminPort: 0, logLevel: 'info' }));
});

test('env.happy: set variables are decoded to typed values', () => {
  const decoded = decodeEnv(GalleyEnv, {
    JETMESH_NATS_URL: 'nats://a:4222, tls://b:4222',
    JETMESH_GALLEY_PORT: '25017',
    JETMESH_LOG_LEVEL: 'debug',
  });
  assert.ok(E.isRight(decoded));
  assert.equal(decoded.right.natsUrl, 'nats://a:4222,tls://b:4222');
  assert.equal(decoded.right.grpcPort, 25017);
  assert.equal(decoded.right.logLevel, 'debug');
});

test('env.errors: every bad variable is reported at once, naming variable and value', () => {
  const decoded = decodeEnv(GalleyEnv, {
    JETMESH_NATS_URL: 'http://x',
    JETMESH_ADMIN_PORT: 'abc',
    JETMESH_GALLEY_PORT: '70000',
    JETMESH_LOG_LEVEL: 'loud',
  });
  assert.ok(E.isLeft(decoded));
  assert.deepEqual(decoded.left.map(formatEnvError), [
    'invalid environment: JETMESH_NATS_URL="http://x": must be a nats:// or tls:// URL (or a comma-separated list of them)',
    'invalid environment: JETMESH_GALLEY_PORT="70000": must be an integer between 0 and 65535',
    'invalid environment: JETMESH_ADMIN_PORT="abc": must be an integer between 0 and 65535',
    'invalid environment: JETMESH_LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent',
  ]);
});

test('env.errors: a required variable that is unset says so', () => {
  const decoded = decodeEnv({ token: envVar('JETMESH_TOKEN', nonEmptyString) }, {});
  assert.ok(E.isLeft(decoded));
  assert.deepEqual(decoded.left, [{ variable: 'JETMESH_TOKEN', value: undefined, reason: 'must be set' }]);
  assert.equal(formatEnvError(decoded.left[0]!), 'invalid environment: JETMESH_TOKEN (unset): must be set');
});

test('env.optional: an optional variable left unset is undefined', () => {
  const decoded = decodeEnv({ creds: optionalEnvVar('JETMESH_NATS_CREDS', nonEmptyString) }, {});
  assert.deepEqual(decoded, E.right({ creds: undefined }));
});

test('env.codecs: durations take a unit', () => {
  assert.deepEqual(durationMs.decode('500ms'), E.right(500));
  assert.deepEqual(durationMs.decode('2s'), E.right(2000));
  assert.deepEqual(durationMs.decode('1.5m'), E.right(90_000));
  assert.deepEqual(durationMs.decode('1h'), E.right(3_600_000));
  assert.ok(E.isLeft(durationMs.decode('1500')));
  assert.ok(E.isLeft(durationMs.decode('2 days')));
});

test('env.codecs: host:port', () => {
  assert.deepEqual(hostPort.decode('127.0.0.1:15017'), E.right('127.0.0.1:15017'));
  assert.deepEqual(hostPort.decode('[::1]:15010'), E.right('[::1]:15010'));
  assert.deepEqual(hostPort.decode('galley.jetmesh-system.svc:15017'), E.right('galley.jetmesh-system.svc:15017'));
  for (const bad of ['15017', 'host:', ':15017', 'host:99999', 'a b:1']) assert.ok(E.isLeft(hostPort.decode(bad)), bad);
});

test('env.codecs: positive integers exclude zero', () => {
  assert.deepEqual(positiveInt.decode('3'), E.right(3));
  assert.ok(E.isLeft(positiveInt.decode('0')));
  assert.ok(E.isLeft(positiveInt.decode('-1')));
  assert.ok(E.isLeft(positiveInt.decode('1.5')));
});

test('env.codecs: every port decodes back to itself and nothing outside 0..65535 decodes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 65535 }), (n) => {
      assert.deepEqual(port.decode(port.encode(n)), E.right(n));
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 65536 }), (n) => {
      assert.ok(E.isLeft(port.decode(String(n))));
    }),
  );
});

test('env.codecs: durations encode and decode back', () => {
  fc.assert(
    fc.property(fc.nat(), (ms) => {
      assert.deepEqual(durationMs.decode(durationMs.encode(ms)), E.right(ms));
    }),
  );
});

test('env.nats: no credentials by default; a user and its password together, or a creds file', () => {
  assert.deepEqual(decodeEnv(NatsEnv, {}), E.right({ natsUrl: 'nats://127.0.0.1:4222', natsUser: undefined, natsPassword: undefined, natsCreds: undefined, streamReplicas: 1, natsReadyTimeoutMs: 60_000 }));
  assert.deepEqual(
    decodeEnv(NatsEnv, { JETMESH_NATS_URL: 'nats://nats:4222', JETMESH_NATS_USER: 'pilot', JETMESH_NATS_PASSWORD: 's3cret' }),
    E.right({ natsUrl: 'nats://nats:4222', natsUser: 'pilot', natsPassword: 's3cret', natsCreds: undefined, streamReplicas: 1, natsReadyTimeoutMs: 60_000 }),
  );
  assert.deepEqual(
    decodeEnv(NatsEnv, { JETMESH_NATS_CREDS: '/etc/jetmesh/pilot.creds' }),
    E.right({ natsUrl: 'nats://127.0.0.1:4222', natsUser: undefined, natsPassword: undefined, natsCreds: '/etc/jetmesh/pilot.creds', streamReplicas: 1, natsReadyTimeoutMs: 60_000 }),
  );
});

test('env.nats: one without the other is an error, and a password is never printed', () => {
  const userOnly = decodeEnv(NatsCredentialsEnv, { JETMESH_NATS_USER: 'pilot' });
  assert.ok(E.isLeft(userOnly));
  assert.deepEqual(userOnly.left.map(formatEnvError), ['invalid environment: JETMESH_NATS_USER="pilot": needs JETMESH_NATS_PASSWORD set too']);
  const passwordOnly = decodeEnv(NatsCredentialsEnv, { JETMESH_NATS_PASSWORD: 'hunter2', JETMESH_NATS_USER: ' ' });
  assert.ok(E.isLeft(passwordOnly));
  assert.deepEqual(passwordOnly.left.map(formatEnvError), ['invalid environment: JETMESH_NATS_PASSWORD (set, not shown): needs JETMESH_NATS_USER set too']);
});

test('env.nats: a user name is one subject token (it names the reply inboxes)', () => {
  for (const bad of ['a.b', 'a b', '*', '>']) {
    const decoded = decodeEnv(NatsCredentialsEnv, { JETMESH_NATS_USER: bad, JETMESH_NATS_PASSWORD: 'x' });
    assert.ok(E.isLeft(decoded), bad);
    assert.match(formatEnvError(decoded.left[0]!), /JETMESH_NATS_USER=.*: must be a NATS user name/);
  }
});

test('env.secret: a secret that fails its codec is reported without its value', () => {
  const decoded = decodeEnv({ key: optionalEnvVar('JETMESH_KEY', port, { secret: true }) }, { JETMESH_KEY: 'hunter2' });
  assert.ok(E.isLeft(decoded));
  assert.equal(formatEnvError(decoded.left[0]!), 'invalid environment: JETMESH_KEY (set, not shown): must be an integer between 0 and 65535');
  assert.equal(decoded.left[0]?.value, undefined);
});
