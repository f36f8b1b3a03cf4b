import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOutlierDetector, type UpstreamOutcome } from '../src/routing/index.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i}:80`);
const e503: UpstreamOutcome = { kind: 'response', status: 503 };
const e500: UpstreamOutcome = { kind: 'response', status: 500 };
const ok: UpstreamOutcome = { kind: 'response', status: 200 };
const fail = (d: ReturnType<typeof createOutlierDetector>, key: string, n: number, at: number, outcome = e503) => {
  for (let i = 0; i < n; i++) d.recordOutcome(key, outcome, at);
};

describe('routing: outlier detection', () => {
  test('five consecutive 5xx eject (the default); fewer do not; a success resets the count', () => {
    const d = createOutlierDetector({}, hosts(10), 0);
    fail(d, '10.0.0.0:80', 4, 1000);
    assert.equal(d.isEjected('10.0.0.0:80', 1000), false);
    d.recordOutcome('10.0.0.0:80', ok, 1000);
    fail(d, '10.0.0.0:80', 4, 1000);
    assert.equal(d.isEjected('10.0.0.0:80', 1000), false);
    d.recordOutcome('10.0.0.0:80', e500, 1000);
    assert.equal(d.isEjected('10.0.0.0:80', 1000), true);
    assert.equal(d.ejectedCount(), 1);
  });
  test('connect failures count as 5xx unless split; consecutiveGatewayErrors counts 502/503/504 only', () => {
    const d = createOutlierDetector({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 2 }, hosts(10), 0);
    d.recordOutcome('10.0.0.1:80', e500, 0);
    d.recordOutcome('10.0.0.1:80', e500, 0);
    assert.equal(d.isEjected('10.0.0.1:80', 0), false, '500 is not a gateway error');
    d.recordOutcome('10.0.0.1:80', { kind: 'connect-failure' }, 0);
    d.recordOutcome('10.0.0.1:80', e503, 0);
    assert.equal(d.isEjected('10.0.0.1:80', 0), true);
    const split = createOutlierDetector({ splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2 }, hosts(10), 0);
    split.recordOutcome('10.0.0.2:80', { kind: 'connect-failure' }, 0);
    split.recordOutcome('10.0.0.2:80', { kind: 'reset' }, 0);
    assert.equal(split.isEjected('10.0.0.2:80', 0), true);
  });
  test('ejected for base × times ejected, returned on the next interval sweep (interval 10 s, base 30 s)', () => {
    const d = createOutlierDetector({ consecutive5xxErrors: 1, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 }, hosts(2), 0);
    const h = '10.0.0.0:80';
    d.recordOutcome(h, e503, 3_000);
    assert.equal(d.isEjected(h, 32_999), true);
    assert.equal(d.isEjected(h, 39_999), true, '33 s passed but the sweep comes at 40 s');
    assert.equal(d.isEjected(h, 40_000), false);
    // Second ejection right away: 2 × 30 s = 60 s → the sweep at 110 s (>= 41 s + 60 s).
    d.recordOutcome(h, e503, 41_000);
    assert.equal(d.isEjected(h, 100_000), true);
    assert.equal(d.isEjected(h, 110_000), false);
  });
  test('the multiplier decays by one per healthy interval, so a recovered host is ejected briefly again', () => {
    const d = createOutlierDetector({ consecutive5xxErrors: 1, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 }, hosts(2), 0);
    const h = '10.0.0.0:80';
    d.recordOutcome(h, e503, 0); // multiplier 1, back at 30 s
    assert.equal(d.isEjected(h, 30_000), false);
    d.recordOutcome(h, e503, 30_000); // multiplier 2, 60 s: back at 90 s
    assert.equal(d.isEjected(h, 90_000), false);
    // Healthy sweeps at 100 s and 110 s bring it down to 0; the next ejection is base × 1 again.
    d.recordOutcome(h, e503, 115_000);
    assert.equal(d.isEjected(h, 140_000), true);
    assert.equal(d.isEjected(h, 150_000), false);
  });
  test('maxEjectionPercent (default 10%) caps ejections, but the first host is always ejected', () => {
    const d = createOutlierDetector({ consecutive5xxErrors: 1 }, hosts(5), 0);
    d.recordOutcome('10.0.0.0:80', e503, 0);
    d.recordOutcome('10.0.0.1:80', e503, 0);
    assert.equal(d.ejectedCount(0), 1, '1 of 5 is 20% > 10%, still ejected: the first one always is');
    const twenty = createOutlierDetector({ consecutive5xxErrors: 1, maxEjectionPercent: 40 }, hosts(5), 0);
    for (const h of hosts(5)) twenty.recordOutcome(h, e503, 0);
    assert.equal(twenty.ejectedCount(0), 2);
  });
  test('minHealthPercent: too few healthy hosts → panic (ignore ejections); Istio default 0 never panics', () => {
    const d = createOutlierDetector({ consecutive5xxErrors: 1, maxEjectionPercent: 100, minHealthPercent: 60 }, hosts(2), 0);
    assert.equal(d.inPanic(0), false);
    d.recordOutcome('10.0.0.0:80', e503, 0);
    assert.equal(d.inPanic(0), true);
    const never = createOutlierDetector({ consecutive5xxErrors: 1, maxEjectionPercent: 100 }, hosts(1), 0);
    never.recordOutcome('10.0.0.0:80', e503, 0);
    assert.equal(never.inPanic(0), false);
  });
  test('endpoint changes keep state of the remaining ones; unknown endpoints are ignored', () => {
    const d = createOutlierDetector({ consecutive5xxErrors: 1, maxEjectionPercent: 100 }, hosts(3), 0);
    d.recordOutcome('10.0.0.0:80', e503, 0);
    d.setEndpoints(['10.0.0.0:80', '10.0.0.9:80']);
    assert.equal(d.isEjected('10.0.0.0:80', 1), true);
    d.recordOutcome('nope:1', e503, 1);
    assert.equal(d.ejectedCount(1), 1);
  });
});
