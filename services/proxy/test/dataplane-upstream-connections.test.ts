import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { freePort, startEchoApp, type EchoApp } from '@jetmesh/testing';
import { Http1Upstream } from '../src/dataplane/http1-upstream.js';
import { ReplayableBody } from '../src/dataplane/request-body.js';
import type { AttemptResult } from '../src/dataplane/upstream.js';

const get = (authority: string) => ({ method: 'GET', path: '/', authority, headers: {}, body: new ReplayableBody(Readable.from([]), 1) });

/** Reads the body so the keep-alive socket goes back to the pool. */
const drained = async (r: AttemptResult): Promise<AttemptResult> => {
  if (r.ok) for await (const _chunk of r.response.body) void _chunk;
  return r;
};

describe('upstream connections are counted as dialled, not per request', () => {
  let app: EchoApp;
  before(async () => {
    app = await startEchoApp('reviews', 'v1');
  });
  after(() => app?.close());

  it('connections.http1: one dial for keep-alive requests in turn; a refused port counts as a failed dial', async () => {
    const seen: boolean[] = [];
    const upstream = new Http1Upstream(2_000, (ok) => seen.push(ok));
    try {
      const target = { host: '127.0.0.1', port: app.port };
      for (let i = 0; i < 3; i++) {
        const r = await drained(await upstream.send(target, get(`127.0.0.1:${app.port}`), new AbortController().signal));
        assert.ok(r.ok, JSON.stringify(r.ok ? '' : r.failure));
      }
      assert.deepEqual(seen, [true], 'the socket was reused');
      const closed = await freePort();
      const refused = await upstream.send({ host: '127.0.0.1', port: closed }, get(`127.0.0.1:${closed}`), new AbortController().signal);
      assert.equal(refused.ok ? 'ok' : refused.failure.kind, 'connect-failure');
      assert.deepEqual(seen, [true, false]);
    } finally {
      upstream.destroy();
    }
  });
});
