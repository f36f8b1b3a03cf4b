import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostMatches } from '../src/dataplane/gateway-handler.js';

// Envoy's virtual host domains: a leading `*` stands for at least one character, before a label or inside one.
test('gateway.host-match: `*` prefixes match as Envoy matches domains, partial wildcards (`*-api.foo.com`) too', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'anything.example.com', true],
    ['reviews.example.com', 'Reviews.Example.com', true],
    ['*.foo.com', 'a.foo.com', true],
    ['*.foo.com', 'a.b.foo.com', true],
    ['*.foo.com', 'foo.com', false],
    ['*.foo.com', '.foo.com', false],
    ['*-api.foo.com', 'orders-api.foo.com', true],
    ['*-api.foo.com', '-api.foo.com', false],
    ['*x.foo.com', 'ax.foo.com', true],
    ['*x.foo.com', 'x.foo.com', false],
    ['*x.foo.com', 'ay.foo.com', false],
  ];
  for (const [pattern, host, expected] of cases) assert.equal(hostMatches(pattern, host), expected, `${pattern} ~ ${host}`);
});
