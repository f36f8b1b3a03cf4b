import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '../src/index.js';

interface ServerInfo {
  readonly port: number;
  readonly jetstream?: boolean;
  readonly max_payload: number;
}

/** Connects with a raw socket and parses the INFO line every NATS server sends first. */
function readInfo(port: number): Promise<ServerInfo> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error('no INFO within 5 s'));
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n');
      if (end === -1) return;
      socket.destroy();
      const line = received.slice(0, end);
      assert.match(line, /^INFO /);
      resolve(JSON.parse(line.slice('INFO '.length)) as ServerInfo);
    });
    socket.on('error', reject);
  });
}

describe('nats-server.lifecycle', () => {
  let server: NatsServerHandle;

  before(async () => {
    server = await startNatsServer();
  });

  after(async () => {
    await server.dispose();
  });

  test('a started server answers INFO on its url with JetStream enabled', async () => {
    assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
    const info = await readInfo(server.port);
    assert.equal(info.port, server.port);
    assert.equal(info.jetstream, true);
  });

  test('restart keeps the same port and store', async () => {
    await server.restart();
    const info = await readInfo(server.port);
    assert.equal(info.port, server.port);
    assert.ok(existsSync(server.storeDir));
  });

  test('a killed server refuses connections, then restarts on the same port', async () => {
    await server.kill();
    await assert.rejects(readInfo(server.port));
    await server.restart();
    assert.equal((await readInfo(server.port)).port, server.port);
  });
});

describe('nats-server.options', () => {
  test('maxPayload reaches the server', async () => {
    const server = await startNatsServer({ maxPayload: 2 * 1024 * 1024 });
    try {
      assert.equal((await readInfo(server.port)).max_payload, 2 * 1024 * 1024);
    } finally {
      await server.dispose();
    }
  });

  test('dispose stops the server and removes the store dir it created', async () => {
    const server = await startNatsServer();
    assert.ok(existsSync(server.storeDir));
    await server.dispose();
    assert.equal(existsSync(server.storeDir), false);
    await assert.rejects(readInfo(server.port));
  });

  test('a missing binary fails with the fix in the message', async () => {
    const saved = process.env['JETMESH_NATS_SERVER_BIN'];
    process.env['JETMESH_NATS_SERVER_BIN'] = '/nonexistent/nats-server';
    try {
      await assert.rejects(startNatsServer(), /nats-server not found.*JETMESH_NATS_SERVER_BIN/);
    } finally {
      if (saved === undefined) delete process.env['JETMESH_NATS_SERVER_BIN'];
      else process.env['JETMESH_NATS_SERVER_BIN'] = saved;
    }
  });
});
