import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pickWeighted } from '../src/routing/index.js';

describe('routing: weighted destination pick', () => {
  test('weights split the unit interval in order', () => {
    const ds = [{ name: 'v1', weight: 75 }, { name: 'v2', weight: 25 }];
    assert.equal(pickWeighted(ds, 0)?.name, 'v1');
    assert.equal(pickWeighted(ds, 0.7499)?.name, 'v1');
    assert.equal(pickWeighted(ds, 0.75)?.name, 'v2');
    assert.equal(pickWeighted(ds, 0.9999999)?.name, 'v2');
  });
  test('a single destination takes everything whatever its weight (Istio emits no weighted clusters)', () => {
    assert.equal(pickWeighted([{ name: 'only', weight: 0 }], 0.5)?.name, 'only');
  });
  test('all-zero weights pick nothing; no destinations pick nothing', () => {
    assert.equal(pickWeighted([{ weight: 0 }, { weight: 0 }], 0.3), undefined);
    assert.equal(pickWeighted([], 0.3), undefined);
  });
  test('property: a zero-weight destination is never picked', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(100), { minLength: 2, maxLength: 8 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (ws, r) => {
        const ds = ws.map((weight, i) => ({ i, weight }));
        const picked = pickWeighted(ds, r);
        if (ws.every((w) => w === 0)) assert.equal(picked, undefined);
        else assert.ok(picked !== undefined && picked.weight > 0);
      }),
    );
  });
  test('property: frequencies over an even grid of random numbers converge to the weights (sum need not be 100)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 2, maxLength: 6 }).filter((ws) => ws.some((w) => w > 0)), (ws) => {
        const ds = ws.map((weight, i) => ({ i, weight }));
        const n = 20_000;
        const counts = ws.map(() => 0);
        for (let k = 0; k < n; k++) {
          const d = pickWeighted(ds, (k + 0.5) / n);
          if (d !== undefined) counts[d.i] = (counts[d.i] ?? 0) + 1;
        }
        const total = ws.reduce((s, w) => s + w, 0);
        ws.forEach((w, i) => assert.ok(Math.abs((counts[i] ?? 0) / n - w / total) < 0.001, `weight ${w}/${total} got ${counts[i]}/${n}`));
      }),
      { numRuns: 50 },
    );
  });
});
