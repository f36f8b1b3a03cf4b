import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import * as E from 'fp-ts/lib/Either.js';
import { createLogger } from '@jetmesh/log';
import { AdminEnv, createMetricsRegistry, decodeEnv, formatEnvError, serveAdmin } from '../src/index.js';

test('env.admin: loopback and a free port unless set', () => {
  assert.deepEqual(decodeEnv(AdminEnv, {}), E.right({ adminPort: 0, adminHost: '127.0.0.1' }));
  assert.deepEqual(decodeEnv(AdminEnv, { JETMESH_ADMIN_PORT: '15020', JETMESH_ADMIN_HOST: '0.0.0.0' }), E.right({ adminPort: 15020, adminHost: '0.0.0.0' }));
});

test('env.admin: a bad port stops the service naming the variable', () => {
  const decoded = decodeEnv(AdminEnv, { JETMESH_ADMIN_PORT: 'http' });
  assert.ok(E.isLeft(decoded));
  assert.match(decoded.left.map(formatEnvError).join('\n'), /JETMESH_ADMIN_PORT/);
});

test('env.admin: with JETMESH_ADMIN_HOST=0.0.0.0 /readyz answers on an address other than loopback (a kubelet probe)', async () => {
  const env = decodeEnv(AdminEnv, { JETMESH_ADMIN_HOST: '0.0.0.0' });
  assert.ok(E.isRight(env));
  const admin = await serveAdmin({ port: 0, host: env.right.adminHost, registry: createMetricsRegistry('test'), ready: () => ({ ready: true }) }, createLogger('test', 'silent'));
  try {
    // 127.0.0.2 is loopback too but not the address a 127.0.0.1-only listener accepts.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.2', port: admin.port, path: '/readyz' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once('error', reject);
      req.end();
    });
    assert.equal(status, 200);
  } finally {
    await admin.close();
  }
});
