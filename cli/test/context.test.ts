import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { ContextFileError, loadContext, resolveContext, writeContext } from '../src/context.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'jetmesh-context-'));
}

test('context.defaults: with no env and no file, the local defaults', () => {
  const ctx = resolveContext({}, tempDir());
  assert.deepEqual(ctx, {
    natsUrl: 'nats://127.0.0.1:4222',
    galleyAddress: '127.0.0.1:15017',
    pilotXdsAddress: '127.0.0.1:15010',
    citadelAddress: '127.0.0.1:15012',
    source: 'default',
  });
});

test('context.file: the nearest .jetmesh/context.json from a parent directory is used', () => {
  const root = tempDir();
  const file = writeContext(root, {
    natsUrl: 'nats://127.0.0.1:41234',
    galleyAddress: '127.0.0.1:25017',
    pilotXdsAddress: '127.0.0.1:25010',
    citadelAddress: '127.0.0.1:25012',
  });
  const nested = join(root, 'a', 'b');
  mkdirSync(nested, { recursive: true });
  assert.deepEqual(resolveContext({}, nested), {
    natsUrl: 'nats://127.0.0.1:41234',
    galleyAddress: '127.0.0.1:25017',
    pilotXdsAddress: '127.0.0.1:25010',
    citadelAddress: '127.0.0.1:25012',
    source: 'context-file',
    file,
  });
});

test('context.env: variables win over the file, field by field', () => {
  const root = tempDir();
  writeContext(root, { natsUrl: 'nats://127.0.0.1:41234', galleyAddress: '127.0.0.1:25017', pilotXdsAddress: '127.0.0.1:25010' });
  const ctx = resolveContext({ JETMESH_GALLEY_ADDRESS: 'galley.mesh:15017' }, root);
  assert.equal(ctx.galleyAddress, 'galley.mesh:15017');
  assert.equal(ctx.natsUrl, 'nats://127.0.0.1:41234');
  assert.equal(ctx.source, 'env');
});

test('context.explicit: JETMESH_CONTEXT names the file; a partial file keeps defaults for the rest', () => {
  const dir = tempDir();
  const file = join(dir, 'staging.json');
  writeFileSync(file, JSON.stringify({ natsUrl: 'tls://nats.staging:4222' }));
  const ctx = resolveContext({ JETMESH_CONTEXT: file }, tempDir());
  assert.equal(ctx.natsUrl, 'tls://nats.staging:4222');
  assert.equal(ctx.galleyAddress, '127.0.0.1:15017');
  assert.equal(ctx.file, file);
});

test('context.errors: a missing explicit file is an error naming it', () => {
  const file = join(tempDir(), 'nope.json');
  const loaded = loadContext({ JETMESH_CONTEXT: file }, tempDir());
  assert.ok(E.isLeft(loaded));
  assert.equal(loaded.left.message, `context file ${file}: does not exist`);
});

test('context.errors: malformed JSON and wrong field types name the file and the problem', () => {
  const root = tempDir();
  const file = join(root, '.jetmesh', 'context.json');
  mkdirSync(join(root, '.jetmesh'));
  writeFileSync(file, '{ "natsUrl": ');
  assert.throws(
    () => resolveContext({}, root),
    (err) => err instanceof ContextFileError && err.file === file && /is not valid JSON/.test(err.message),
  );
  writeFileSync(file, JSON.stringify({ natsUrl: 4222, services: { galley: { pid: 'x', adminUrl: 'y' } } }));
  assert.throws(() => resolveContext({}, root), {
    message: `context file ${file}: invalid natsUrl, services.galley.pid (expected strings for addresses, numbers for pids)`,
  });
  writeFileSync(file, '[]');
  assert.throws(() => resolveContext({}, root), { message: `context file ${file}: must be a JSON object` });
});
