import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { matchString, rewriteRequest } from '../src/routing/index.js';

// JavaScript backtracks exponentially on these; RE2 answers in time linear in the input.
const EVIL_INPUT = 'a'.repeat(50_000) + 'b';
const QUICK_MS = 2_000;

const timed = <T>(f: () => T): { value: T; ms: number } => {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
};

describe('routing: RE2 regex matches', () => {
  test('RE2 syntax JavaScript cannot compile matches as Envoy matches it', () => {
    assert.equal(matchString({ regex: '(?i)jason' }, 'JaSoN'), true);
    assert.equal(matchString({ regex: '(?P<version>v[0-9]+)' }, 'v12'), true);
    assert.equal(matchString({ regex: '/api\\z' }, '/api'), true);
    assert.equal(matchString({ regex: '\\Q/a.b\\E' }, '/a.b'), true);
    assert.equal(matchString({ regex: '\\Q/a.b\\E' }, '/axb'), false);
    assert.equal(matchString({ regex: '[[:digit:]]+' }, '2024'), true);
    assert.equal(matchString({ regex: '[[:digit:]]+' }, ':'), false);
  });
  test('RE2 semantics where JavaScript reads the same text differently', () => {
    assert.equal(matchString({ regex: '\\pL+' }, 'héllo'), true);
    assert.equal(matchString({ regex: '\\pL+' }, 'h3llo'), false);
    assert.equal(matchString({ regex: '.' }, '😀'), true, '. is one code point');
    assert.equal(matchString({ regex: '(?s)a.b' }, 'a\nb'), true);
    assert.equal(matchString({ regex: 'a.b' }, 'a\nb'), false);
  });
  test('a pattern RE2 refuses matches nothing instead of throwing', () => {
    for (const regex of ['(?=a)a', '(a)\\1', 'a++', 'a{1001}']) assert.equal(matchString({ regex }, 'a'), false, regex);
  });
  test('(a+)+$ against 50,000 "a" and a "b" answers false quickly (no ReDoS)', () => {
    const { value, ms } = timed(() => matchString({ regex: '(a+)+$' }, EVIL_INPUT));
    assert.equal(value, false);
    assert.ok(ms < QUICK_MS, `took ${ms.toFixed(0)} ms`);
  });
  test('(x+x+)+y and (a|aa)+$ against a long header answer quickly', () => {
    const { value, ms } = timed(() => [matchString({ regex: '(x+x+)+y' }, 'x'.repeat(50_000)), matchString({ regex: '(a|aa)+$' }, EVIL_INPUT)]);
    assert.deepEqual(value, [false, false]);
    assert.ok(ms < QUICK_MS, `took ${ms.toFixed(0)} ms`);
  });
  test('property: a quoted literal fully matches itself and no extension of it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        assert.equal(matchString({ regex: RE2JS.quote(a) }, a + b), b === '');
      }),
    );
  });
  test('property: where RE2 and JavaScript agree on syntax, the full match agrees with ^(?:…)$', () => {
    const patterns = ['/api/v[0-9]+/.*', '(a|b)*', 'a+/b?', '[^/]+(/[^/]+)*', '(ab|a)(bc|c)?', ''];
    fc.assert(
      fc.property(fc.constantFrom(...patterns), fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/', 'v', '1', 'p', 'i') }), (p, s) => {
        assert.equal(matchString({ regex: p }, s), new RegExp(`^(?:${p})$`, 'u').test(s));
      }),
    );
  });
});

describe('routing: RE2 regex rewrite (RE2::GlobalReplace)', () => {
  const rewrite = (match: string, substitution: string, path: string) => rewriteRequest({ uriRegexRewrite: { match, rewrite: substitution } }, undefined, { path }).path;

  test('\\0 is the whole match and \\\\ a backslash', () => {
    assert.equal(rewrite('v[0-9]+', '[\\0]\\\\', '/api/v1/x'), '/api/[v1]\\/x');
  });
  test('an empty match right after a match is skipped, as RE2 does (JavaScript would add one)', () => {
    assert.equal(rewrite('a*', '-', '/baac'), '-/-b-c-');
    assert.equal('/baac'.replace(/a*/g, '-'), '-/-b--c-');
  });
  test('an empty match steps over a whole code point', () => {
    assert.equal(rewrite('x*', '-', '/😀'), '-/-😀-');
  });
  test('a rewrite naming a group the pattern lacks leaves the path as it is', () => {
    assert.equal(rewrite('^/a/(.*)', '/\\2', '/a/x?q=1'), '/a/x?q=1');
  });
  test('RE2 syntax in the pattern: (?i) and a (?P<name>…) group', () => {
    assert.equal(rewrite('(?i)^/API/(?P<rest>.*)$', '/v2/\\1', '/api/users?id=1'), '/v2/users?id=1');
  });
  test('$ in the rewrite is literal', () => {
    assert.equal(rewrite('^/(.*)$', '/$1/\\1', '/x'), '/$1/x');
  });
  test('a pattern that backtracks exponentially in JavaScript rewrites quickly', () => {
    const { value, ms } = timed(() => rewrite('(a+)+$', 'x', `/${EVIL_INPUT}`));
    assert.equal(value, `/${EVIL_INPUT}`);
    assert.ok(ms < QUICK_MS, `took ${ms.toFixed(0)} ms`);
  });
});
