import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { coveredByHosts, earlierHosts, hostsOverlap, type EarlierHost } from '../src/host-overlap.js';

/** The definition: compare each host with every earlier one (quadratic; what earlierHosts must equal). */
const byDefinition = (hosts: readonly string[], comparable: (h: string) => boolean): Array<EarlierHost | undefined> =>
  hosts.map((h, i) => {
    const earlier = hosts.slice(0, i);
    if (earlier.includes(h)) return { kind: 'duplicate', host: h };
    const covering = comparable(h) ? earlier.find((e) => comparable(e) && hostsOverlap(e, h)) : undefined;
    return covering === undefined ? undefined : { kind: 'overlap', host: covering };
  });

// Few labels so that overlaps, wildcards and duplicates are frequent.
const label = fc.constantFrom('a', 'b', 'c', 'foo', 'xfoo');
const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
// `*` before a name cut anywhere: `*oo.a`, `*foo.a`, `*.a`: partial wildcards beside label ones.
const partialWildcard = fc.tuple(name, fc.nat(4)).map(([n, cut]) => `*${n.slice(Math.min(cut, n.length - 1))}`);
const host = fc.oneof(name, name.map((n) => `*.${n}`), partialWildcard, fc.constant('*'), fc.constantFrom('10.0.0.1', '::1'));

test('host-overlap.property: earlierHosts equals comparing every host with every earlier one', () => {
  const comparable = (h: string): boolean => isIP(h) === 0;
  fc.assert(fc.property(fc.array(host, { maxLength: 12 }), (hosts) => assert.deepEqual(earlierHosts(hosts, comparable), byDefinition(hosts, comparable))), { numRuns: 2000 });
});

test('host-overlap: 10k distinct names overlap nothing; a leading wildcard covers the 10,000th', () => {
  const distinct = Array.from({ length: 10_000 }, (_, i) => `h${i}.example.com`);
  assert.equal(earlierHosts(distinct).filter((e) => e !== undefined).length, 0);
  const covered = ['*.example.com', ...distinct];
  assert.deepEqual(earlierHosts(covered)[10_000], { kind: 'overlap', host: '*.example.com' });
});

test('host-overlap: a partial wildcard covers by plain suffix, as Istio matches hosts (and overlaps a label wildcard it shares names with)', () => {
  assert.ok(hostsOverlap('*x.example.com', 'x.example.com'));
  assert.ok(hostsOverlap('*x.example.com', 'a.bx.example.com'));
  assert.ok(hostsOverlap('*.example.com', '*x.example.com'));
  assert.ok(hostsOverlap('*x.example.com', '*.x.example.com'));
  assert.ok(!hostsOverlap('*x.example.com', 'y.example.com'));
  assert.ok(!hostsOverlap('*x.example.com', '*y.example.com'));
  assert.deepEqual(earlierHosts(['*-api.example.com', 'b.example.com', 'a-api.example.com']), [undefined, undefined, { kind: 'overlap', host: '*-api.example.com' }]);
});

test('host-overlap: 10k distinct names beside 100 partial wildcards of different lengths stay fast (one lookup per length)', () => {
  const hosts = [...Array.from({ length: 100 }, (_, i) => `*${'y'.repeat(i)}z.example.org`), ...Array.from({ length: 10_000 }, (_, i) => `h${i}.example.com`)];
  const started = performance.now();
  assert.equal(earlierHosts(hosts).filter((e) => e !== undefined).length, 99);
  assert.ok(performance.now() - started < 1000, 'earlierHosts took over 1 s');
});

test('host-overlap.property: coveredByHosts equals checking the name against every host', () => {
  const oddHost = fc.oneof(host, fc.constantFrom('*foo', '*.', 'a.', '.a'));
  fc.assert(
    fc.property(fc.array(oddHost, { maxLength: 8 }), fc.array(oddHost, { maxLength: 6 }), (hosts, names) => {
      const covered = coveredByHosts(hosts);
      for (const name of names) assert.equal(covered(name), hosts.some((h) => h === name || (h.startsWith('*') && hostsOverlap(h, name))), `${name} in ${JSON.stringify(hosts)}`);
    }),
    { numRuns: 2000 },
  );
});
