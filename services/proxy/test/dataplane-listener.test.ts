import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { rawExchange as raw } from '@jetmesh/testing';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@jetmesh/log';
import { listenHttp, type HttpListener } from '../src/dataplane/http-listener.js';

const log = createLogger('proxy-test', 'silent');

describe('dataplane.listener', () => {
  let listener: HttpListener;
  before(async () => {
    listener = await listenHttp({
      name: 'test',
      host: '127.0.0.1',
      port: 0,
      log,
      headersTimeoutMs: 500,
      handler: (req, res) => {
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => res.end(`HTTP/${req.httpVersion} ${req.method} ${req.url} ${n}`));
      },
    });
  });
  after(() => listener.close(100));

  it('speaks HTTP/1.1 and h2c on one port', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: listener.port, path: '/one' }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    assert.equal(body, 'HTTP/1.1 GET /one 0');
    const session = http2.connect(`http://127.0.0.1:${listener.port}`);
    const h2body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/two', ':method': 'POST' });
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => resolve(b));
      req.on('error', reject);
      req.end('abc');
    });
    session.close();
    assert.equal(h2body, 'HTTP/2.0 POST /two 3');
  });

  it('answers oversized headers with 431 and malformed requests with 400, and keeps serving', async () => {
    const big = await raw(listener.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431/);
    const garbage = await raw(listener.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(garbage, /^HTTP\/1\.1 400/);
    const ok = await raw(listener.port, 'GET /still HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(ok, /HTTP\/1\.1 GET \/still 0/);
  });

  it('refuses a request smuggling attempt (Content-Length with Transfer-Encoding) with 400', async () => {
    const smuggled = await raw(
      listener.port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    assert.match(smuggled, /^HTTP\/1\.1 400/);
    assert.doesNotMatch(smuggled, /\/admin/);
  });

  it('drops a slowloris client that never finishes its headers', async () => {
    const started = Date.now();
    const socket = net.connect(listener.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => socket.write('X-Slow: y\r\n'), 100);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(timer);
    assert.ok(Date.now() - started < 3_000, `closed after ${Date.now() - started} ms`);
  });
});
