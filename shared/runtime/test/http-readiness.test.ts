import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntilReady } from '../src/index.js';

/** A /readyz that says 503 for the first `notReadyFor` requests, then 200. */
async function readyAfter(notReadyFor: number): Promise<{ url: string; server: Server }> {
  let asked = 0;
  const server = createServer((_req, res) => {
    asked++;
    if (asked > notReadyFor) res.writeHead(200).end('ok');
    else res.writeHead(503).end('not ready: replaying');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`, server };
}

test('http-readiness: a service that turns ready after three 503s is ready', async () => {
  const { url, server } = await readyAfter(3);
  try {
    assert.deepEqual(await waitUntilReady(url, { timeoutMs: 10_000, pollMs: 10 }), { ready: true });
  } finally {
    server.close();
  }
});

test('http-readiness: one that never turns ready is not, with what it said last', async () => {
  const { url, server } = await readyAfter(Number.POSITIVE_INFINITY);
  try {
    assert.deepEqual(await waitUntilReady(url, { timeoutMs: 200, pollMs: 10 }), { ready: false, last: '503 not ready: replaying' });
  } finally {
    server.close();
  }
});

test('http-readiness: nothing listening reports the connection error; an aborted wait stops', async () => {
  const { url, server } = await readyAfter(0);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const result = await waitUntilReady(url, { timeoutMs: 100, pollMs: 10 });
  assert.deepEqual(result, { ready: false, last: 'ECONNREFUSED' });
  const aborted = new AbortController();
  aborted.abort();
  assert.deepEqual(await waitUntilReady(url, { timeoutMs: 60_000, signal: aborted.signal }), { ready: false, last: 'no answer yet' });
});
