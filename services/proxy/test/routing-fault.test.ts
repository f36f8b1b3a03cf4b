import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideFault } from '../src/routing/index.js';

const r = (delay: number, abort: number) => ({ delay, abort });

describe('routing: fault injection', () => {
  test('delay fixedDelay at a percentage', () => {
    const f = { delay: { fixedDelay: '1.5s', percentage: { value: 10 } } };
    assert.deepEqual(decideFault(f, r(0.05, 0)), { delayMs: 1500 });
    assert.deepEqual(decideFault(f, r(0.1, 0)), {});
  });
  test('the deprecated integer percent works for delays; percentage wins over it', () => {
    assert.deepEqual(decideFault({ delay: { fixedDelay: '5s', percent: 50 } }, r(0.4, 0)), { delayMs: 5000 });
    assert.deepEqual(decideFault({ delay: { fixedDelay: '5s', percent: 50, percentage: { value: 1 } } }, r(0.4, 0)), {});
  });
  test('abort with an HTTP or a gRPC status', () => {
    assert.deepEqual(decideFault({ abort: { httpStatus: 503, percentage: { value: 100 } } }, r(0, 0.99)), { abort: { status: 503 } });
    assert.deepEqual(decideFault({ abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 100 } } }, r(0, 0.5)), { abort: { grpcStatus: 14 } });
  });
  test('no percentage → never fires (Istio translates it to 0%)', () => {
    assert.deepEqual(decideFault({ abort: { httpStatus: 500 }, delay: { fixedDelay: '1s' } }, r(0, 0)), {});
  });
  test('delay and abort are decided independently and may both apply', () => {
    const f = { delay: { fixedDelay: '100ms', percentage: { value: 50 } }, abort: { httpStatus: 418, percentage: { value: 50 } } };
    assert.deepEqual(decideFault(f, r(0.1, 0.1)), { delayMs: 100, abort: { status: 418 } });
    assert.deepEqual(decideFault(f, r(0.9, 0.1)), { abort: { status: 418 } });
  });
  test('property: over an even grid, the abort rate equals the percentage', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 100, noNaN: true }), (pct) => {
        const n = 10_000;
        let aborted = 0;
        for (let i = 0; i < n; i++) if (decideFault({ abort: { httpStatus: 500, percentage: { value: pct } } }, r(0, (i + 0.5) / n)).abort) aborted++;
        assert.ok(Math.abs(aborted / n - pct / 100) <= 1 / n + 1e-9);
      }),
      { numRuns: 50 },
    );
  });
});
