import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { backoffDelayMs, retryPolicyOf, shouldRetry, type RetryPolicy, type UpstreamOutcome } from '../src/routing/index.js';

const policy = (retryOn: string): RetryPolicy => {
  const p = retryPolicyOf({ attempts: 3, retryOn });
  assert.ok(p);
  return p;
};
const resp = (status: number, grpcStatus?: number): UpstreamOutcome => ({ kind: 'response', status, ...(grpcStatus !== undefined ? { grpcStatus } : {}) });

describe('routing: retry policy', () => {
  test("no retries on the route → Istio's default: 2 retries on connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", () => {
    const p = retryPolicyOf(undefined);
    assert.ok(p);
    assert.equal(p.numRetries, 2);
    assert.deepEqual([...p.retryOn].sort(), ['cancelled', 'connect-failure', 'refused-stream', 'retriable-status-codes', 'unavailable']);
    assert.equal(p.retriableStatusCodes.size, 0);
    assert.equal(shouldRetry(p, { kind: 'connect-failure' }), true);
    assert.equal(shouldRetry(p, resp(200, 14)), true, 'gRPC UNAVAILABLE');
    assert.equal(shouldRetry(p, resp(503)), false, "Istio's default lists no retriable code");
    assert.equal(p.avoidPreviousHosts, true);
    assert.equal(retryPolicyOf(undefined, { consistentHash: true })?.avoidPreviousHosts, false);
  });
  test('attempts 0 disables retries; retryOn unset keeps the default policies', () => {
    assert.equal(retryPolicyOf({ attempts: 0 }), undefined);
    assert.ok(retryPolicyOf({ attempts: 5 })?.retryOn.has('connect-failure'));
  });
  test('bare status codes in retryOn become retriable status codes', () => {
    const p = policy('503,connect-failure');
    assert.deepEqual([...p.retriableStatusCodes], [503]);
    assert.ok(p.retryOn.has('retriable-status-codes'));
    assert.equal(shouldRetry(p, resp(503)), true);
    assert.equal(shouldRetry(p, resp(500)), false);
  });
  test('5xx, gateway-error, retriable-4xx, reset, refused-stream', () => {
    assert.equal(shouldRetry(policy('5xx'), resp(500)), true);
    assert.equal(shouldRetry(policy('5xx'), { kind: 'timeout' }), true);
    assert.equal(shouldRetry(policy('5xx'), resp(404)), false);
    assert.equal(shouldRetry(policy('gateway-error'), resp(502)), true);
    assert.equal(shouldRetry(policy('gateway-error'), resp(500)), false);
    assert.equal(shouldRetry(policy('retriable-4xx'), resp(409)), true);
    assert.equal(shouldRetry(policy('retriable-4xx'), resp(400)), false);
    assert.equal(shouldRetry(policy('reset'), { kind: 'reset' }), true);
    assert.equal(shouldRetry(policy('reset'), resp(503)), false);
    assert.equal(shouldRetry(policy('refused-stream'), { kind: 'refused-stream' }), true);
    assert.equal(shouldRetry(policy('refused-stream'), { kind: 'reset' }), false);
    assert.equal(shouldRetry(policy('connect-failure'), { kind: 'timeout' }), false);
    assert.equal(shouldRetry(policy('reset-before-request'), { kind: 'reset', beforeRequest: true }), true);
    assert.equal(shouldRetry(policy('reset-before-request'), { kind: 'reset' }), false);
  });
  test('gRPC policies look at grpc-status', () => {
    const p = policy('cancelled,deadline-exceeded,internal,resource-exhausted,unavailable');
    for (const code of [1, 4, 13, 8, 14]) assert.equal(shouldRetry(p, resp(200, code)), true, `grpc-status ${code}`);
    assert.equal(shouldRetry(p, resp(200, 5)), false);
    assert.equal(shouldRetry(p, resp(200)), false);
  });
  test('per-try timeout and backoff from Istio durations', () => {
    const p = retryPolicyOf({ attempts: 2, perTryTimeout: '2s', backoff: '100ms' });
    assert.equal(p?.perTryTimeoutMs, 2000);
    assert.equal(p?.backoffBaseMs, 100);
    assert.equal(p?.backoffMaxMs, 1000);
  });
  test("backoff by Envoy's numbers: first retry 0–24 ms, second 0–74 ms, third 0–174 ms, capped at 250 ms", () => {
    const p = { backoffBaseMs: 25, backoffMaxMs: 250 };
    assert.equal(backoffDelayMs(p, 1, 0.999999), 24);
    assert.equal(backoffDelayMs(p, 2, 0.999999), 74);
    assert.equal(backoffDelayMs(p, 3, 0.999999), 174);
    assert.equal(backoffDelayMs(p, 9, 0.999999), 249);
    assert.equal(backoffDelayMs(p, 1, 0), 0);
  });
  test('property: backoff stays in [0, min((2^n − 1) × base, max))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (base, n, r) => {
        const d = backoffDelayMs({ backoffBaseMs: base, backoffMaxMs: base * 10 }, n, r);
        assert.ok(d >= 0 && d < Math.min(base * (2 ** n - 1), base * 10));
      }),
    );
  });
});
