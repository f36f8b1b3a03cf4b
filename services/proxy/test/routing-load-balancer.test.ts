import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LoadBalancerSettings } from '@jetmesh/model';
import { createBalancer, endpointKey, hashKeyFor, lbPolicyOf, murmur3 } from '../src/routing/index.js';
import { endpoint, request } from './routing-fixtures.js';

const eps = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((a) => endpoint(a));
const ringHash: LoadBalancerSettings = { consistentHash: { httpHeaderName: 'x-user' } };
const maglevLb: LoadBalancerSettings = { consistentHash: { httpHeaderName: 'x-user', maglev: { tableSize: 65537 } } };

describe('routing: load balancer policy', () => {
  test("Istio's default (simple unset) is LEAST_REQUEST; LEAST_CONN is its alias; PASSTHROUGH balances round robin", () => {
    assert.equal(lbPolicyOf(undefined), 'LEAST_REQUEST');
    assert.equal(lbPolicyOf({ simple: 'UNSPECIFIED' }), 'LEAST_REQUEST');
    assert.equal(lbPolicyOf({ simple: 'LEAST_CONN' }), 'LEAST_REQUEST');
    assert.equal(lbPolicyOf({ simple: 'PASSTHROUGH' }), 'ROUND_ROBIN');
    assert.equal(lbPolicyOf(ringHash), 'RING_HASH');
    assert.equal(lbPolicyOf(maglevLb), 'MAGLEV');
  });
  test('murmur3 matches the reference vectors', () => {
    assert.equal(murmur3(''), 0);
    assert.equal(murmur3('hello'), 0x248bfa47);
    assert.equal(murmur3('The quick brown fox jumps over the lazy dog'), 0x2e4ff723);
  });
});

describe('routing: round robin', () => {
  test('rotates through endpoints in order and skips excluded ones', () => {
    const b = createBalancer({ simple: 'ROUND_ROBIN' }, eps);
    const picks = Array.from({ length: 6 }, () => b.pick({ random01: 0 })?.address);
    assert.deepEqual(picks, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
    const skip = (k: string) => k === endpointKey(eps[1] ?? endpoint('x'));
    assert.deepEqual(Array.from({ length: 4 }, () => b.pick({ random01: 0, excluded: skip })?.address), ['10.0.0.1', '10.0.0.3', '10.0.0.1', '10.0.0.3']);
  });
  test('endpoint weights interleave (smooth weighted round robin)', () => {
    const b = createBalancer({ simple: 'ROUND_ROBIN' }, [endpoint('a', { weight: 2 }), endpoint('b', { weight: 1 })]);
    assert.deepEqual(Array.from({ length: 6 }, () => b.pick({ random01: 0 })?.address), ['a', 'b', 'a', 'a', 'b', 'a']);
  });
  test('all excluded → no endpoint (no panic mode: the data plane answers 503)', () => {
    const b = createBalancer({ simple: 'ROUND_ROBIN' }, eps);
    assert.equal(b.pick({ random01: 0, excluded: () => true }), undefined);
  });
});

describe('routing: least request and random', () => {
  test('power of two choices keeps the endpoint with fewer active requests', () => {
    const b = createBalancer(undefined, eps);
    const active = (k: string) => (k.startsWith('10.0.0.1') ? 10 : k.startsWith('10.0.0.2') ? 0 : 5);
    // 0.15 × 3 = 0.45: first choice index 0 (10 active); the remainder 0.45 × 3 = 1.35: second choice index 1 (0 active).
    assert.equal(b.pick({ random01: 0.15, active })?.address, '10.0.0.2');
  });
  test('property: least request never picks the busiest of two different candidates', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.array(fc.nat(20), { minLength: 3, maxLength: 3 }), (r, load) => {
        const b = createBalancer({ simple: 'LEAST_REQUEST' }, eps);
        const active = (k: string) => load[eps.findIndex((e) => endpointKey(e) === k)] ?? 0;
        const picked = b.pick({ random01: r, active });
        assert.ok(picked !== undefined);
        const max = Math.max(...load);
        if (load.filter((l) => l === max).length === 1 && load.some((l) => l < max)) {
          // The strictly busiest endpoint is picked only when both choices fell on it.
          const s = r * 3;
          const both = Math.floor(s) === Math.floor((s - Math.floor(s)) * 3);
          if (!both) assert.notEqual(active(endpointKey(picked)), max);
        }
      }),
    );
  });
  test('RANDOM follows the random number over endpoints', () => {
    const b = createBalancer({ simple: 'RANDOM' }, eps);
    assert.equal(b.pick({ random01: 0 })?.address, '10.0.0.1');
    assert.equal(b.pick({ random01: 0.5 })?.address, '10.0.0.2');
    assert.equal(b.pick({ random01: 0.99 })?.address, '10.0.0.3');
  });
});

describe('routing: consistent hash', () => {
  const many = Array.from({ length: 10 }, (_, i) => endpoint(`10.1.0.${i}`));
  for (const [name, settings] of [['ring hash', ringHash], ['maglev', maglevLb]] as const) {
    test(`${name}: property: the same key picks the same endpoint while endpoints are unchanged`, () => {
      const b = createBalancer(settings, many);
      const again = createBalancer(settings, [...many].reverse());
      fc.assert(
        fc.property(fc.string({ minLength: 1 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (key, r) => {
          const first = b.pick({ hashKey: key, random01: r });
          assert.equal(b.pick({ hashKey: key, random01: (r + 0.5) % 1 }), first, 'the random number does not matter with a key');
          assert.equal(again.pick({ hashKey: key, random01: r })?.address, first?.address, 'nor the order endpoints arrived in');
        }),
      );
    });
    test(`${name}: keys spread over every endpoint`, () => {
      const b = createBalancer(settings, many);
      const counts = new Map<string, number>();
      for (let i = 0; i < 10_000; i++) {
        const e = b.pick({ hashKey: `user-${i}`, random01: 0 });
        if (e !== undefined) counts.set(e.address, (counts.get(e.address) ?? 0) + 1);
      }
      assert.equal(counts.size, 10);
      for (const c of counts.values()) assert.ok(c > 500 && c < 1600, `share ${c} of 10000 over 10 endpoints`);
    });
  }
  test('ring hash: property: removing one endpoint moves only the keys it held', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 50, maxLength: 200 }), (gone, keys) => {
        const before = createBalancer(ringHash, many);
        const after = createBalancer(ringHash, many.filter((_, i) => i !== gone));
        const removed = many[gone]?.address;
        for (const key of keys) {
          const was = before.pick({ hashKey: key, random01: 0 })?.address;
          const now = after.pick({ hashKey: key, random01: 0 })?.address;
          if (was !== removed) assert.equal(now, was, `key ${key} moved from ${was} to ${now}`);
          else assert.notEqual(now, removed);
        }
      }),
      { numRuns: 30 },
    );
  });
  test('maglev: removing one of ten endpoints moves few other keys (minimal disruption, not zero)', () => {
    const before = createBalancer(maglevLb, many);
    const after = createBalancer(maglevLb, many.slice(1));
    let movedOthers = 0;
    for (let i = 0; i < 5000; i++) {
      const was = before.pick({ hashKey: `k${i}`, random01: 0 })?.address;
      const now = after.pick({ hashKey: `k${i}`, random01: 0 })?.address;
      if (was !== many[0]?.address && was !== now) movedOthers++;
    }
    assert.ok(movedOthers < 5000 * 0.05, `${movedOthers} keys of surviving endpoints moved`);
  });
  test('an excluded endpoint is skipped by walking the ring to the next one', () => {
    const b = createBalancer(ringHash, many);
    const first = b.pick({ hashKey: 'alice', random01: 0 });
    assert.ok(first !== undefined);
    const next = b.pick({ hashKey: 'alice', random01: 0, excluded: (k) => k === endpointKey(first) });
    assert.ok(next !== undefined && next.address !== first.address);
  });
});

describe('routing: hash keys', () => {
  test('header, query parameter and source IP', () => {
    assert.deepEqual(hashKeyFor(ringHash, request({ headers: { 'x-user': 'jason' } })), { key: 'jason' });
    assert.equal(hashKeyFor(ringHash, request()), undefined);
    assert.deepEqual(hashKeyFor({ consistentHash: { httpQueryParameterName: 'u' } }, request({ path: '/p?u=a%20b' })), { key: 'a b' });
    assert.deepEqual(hashKeyFor({ consistentHash: { useSourceIp: true } }, request({ sourceIp: '10.2.3.4' })), { key: '10.2.3.4' });
    assert.equal(hashKeyFor({ simple: 'ROUND_ROBIN' }, request()), undefined);
  });
  test('a present cookie is the key; an absent one with a ttl is generated with a Set-Cookie', () => {
    const lb: LoadBalancerSettings = { consistentHash: { httpCookie: { name: 'session', path: '/', ttl: '60s' } } };
    assert.deepEqual(hashKeyFor(lb, request({ headers: { cookie: 'a=1; session=abc' } })), { key: 'abc' });
    const generated = hashKeyFor(lb, request({ sourceIp: '10.0.0.9', sourcePort: 51000 }));
    assert.ok(generated !== undefined && /^[0-9a-f]{8}$/.test(generated.key));
    assert.equal(generated.setCookie, `session="${generated.key}"; Max-Age=60; Path=/; HttpOnly`);
    assert.deepEqual(hashKeyFor(lb, request({ sourceIp: '10.0.0.9', sourcePort: 51000 })), generated);
  });
  test('an absent cookie without a ttl gives no key (a random ring position)', () => {
    assert.equal(hashKeyFor({ consistentHash: { httpCookie: { name: 'session' } } }, request()), undefined);
  });
});
