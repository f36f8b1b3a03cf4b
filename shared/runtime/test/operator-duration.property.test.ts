import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { durationMs, parseOperatorDuration } from '../src/index.js';

const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const unit = fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>));

test('operator-duration.property: a whole number with any unit is that many of the unit', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000 }), unit, (n, u) => {
      assert.equal(parseOperatorDuration(`${n}${u}`), n * units[u]);
    }),
  );
});

test('operator-duration.property: environment variables read every duration the CLI reads, to the same value', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.tuple(fc.double({ min: 0, max: 1e6, noNaN: true }), unit).map(([n, u]) => `${n}${u}`)), (text) => {
      const parsed = parseOperatorDuration(text);
      const decoded = durationMs.decode(text);
      if (parsed === undefined) assert.ok(E.isLeft(decoded), text);
      else assert.deepEqual(decoded, E.right(parsed));
    }),
  );
});

test('operator-duration: the root TTL reads as 87600h or 3650d alike, bare numbers and Go-style compounds are refused', () => {
  assert.equal(parseOperatorDuration('87600h'), parseOperatorDuration('3650d'));
  assert.equal(parseOperatorDuration('1.5m'), 90_000);
  for (const bad of ['1500', '1m30s', '2 days', '-1s', '1e3s', '']) assert.equal(parseOperatorDuration(bad), undefined, bad);
});
