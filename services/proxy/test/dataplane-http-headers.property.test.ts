import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { endToEndHeaders, responseHeadersToRelay } from '../src/dataplane/http-headers.js';

/*
 * endToEndHeaders and responseHeadersToRelay run on every request, so they loop with for-in and
 * skip the Connection token set when Connection names nothing. These are the plain forms they
 * replaced (entries, a token set always): the fast ones must give the same headers.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te', 'host']);

function plainEndToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set((typeof headers.connection === 'string' ? headers.connection : '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''));
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  if (typeof headers.te === 'string' && headers.te.split(',').some((v) => v.trim().toLowerCase() === 'trailers')) out.te = 'trailers';
  return out;
}

function plainRelay(headers: Record<string, string | string[] | number | undefined>): Record<string, string | string[] | number> {
  const out: Record<string, string | string[] | number> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

// Names a request really carries, the hop-by-hop ones, pseudo-headers, and ones a Connection header may list.
const names = fc.oneof(
  fc.constantFrom('content-type', 'x-request-id', 'user-agent', 'traceparent', 'close', 'x-custom', 'keep-alive', 'connection', 'te', 'host', 'upgrade', 'transfer-encoding', ':authority', ':path', ':status'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
);
const values = fc.oneof(fc.stringMatching(/^[ -~]{0,20}$/), fc.array(fc.stringMatching(/^[ -~]{0,8}$/), { minLength: 1, maxLength: 3 }), fc.constant(undefined));
const connection = fc.oneof(
  fc.constantFrom('', 'keep-alive', 'close', 'Keep-Alive', 'keep-alive, x-custom', 'close,  X-Custom ,', 'upgrade', ' , '),
  fc.array(names, { maxLength: 3 }).map((ns) => ns.join(', ')),
);
const te = fc.constantFrom('trailers', 'gzip, trailers', 'TRAILERS', 'gzip', ' trailers ');
const requestHeaders: fc.Arbitrary<IncomingHttpHeaders> = fc
  .tuple(fc.dictionary(names, values, { maxKeys: 12 }), fc.option(connection, { nil: undefined }), fc.option(te, { nil: undefined }))
  .map(([h, c, t]) => ({ ...h, ...(c !== undefined ? { connection: c } : {}), ...(t !== undefined ? { te: t } : {}) }) as IncomingHttpHeaders);

describe('dataplane.http-headers', () => {
  it('endToEndHeaders equals the plain form for any request headers, Connection and TE included (property)', () => {
    fc.assert(
      fc.property(requestHeaders, (headers) => {
        assert.deepEqual(endToEndHeaders(headers), plainEndToEnd(headers));
      }),
      { numRuns: 2000 },
    );
  });

  it('responseHeadersToRelay equals the plain form for any response headers (property)', () => {
    const responseValues = fc.oneof(values, fc.integer({ min: 0, max: 1 << 20 }));
    fc.assert(
      fc.property(fc.dictionary(names, responseValues, { maxKeys: 12 }), (headers) => {
        assert.deepEqual(responseHeadersToRelay(headers), plainRelay(headers));
      }),
      { numRuns: 2000 },
    );
  });

  it('a Connection header drops the headers it names, and TE keeps only trailers', () => {
    const out = endToEndHeaders({ connection: 'keep-alive, X-Hop', 'x-hop': '1', 'x-kept': '2', te: 'gzip, trailers', host: 'a' });
    assert.deepEqual(out, { 'x-kept': '2', te: 'trailers' });
  });
});
