import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cryptoEntropy } from '../src/tracing/proxy-tracing.js';

describe('trace.ids', () => {
  it('trace and span ids from the pooled random buffer: W3C lengths, lowercase hex, never all zero, no repeats across refills', () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    // 20,000 draws of 24 bytes cross the 4 KiB pool's refill over a hundred times.
    for (let i = 0; i < 20_000; i++) {
      const t = cryptoEntropy.traceId();
      const s = cryptoEntropy.spanId();
      assert.match(t, /^[0-9a-f]{32}$/);
      assert.match(s, /^[0-9a-f]{16}$/);
      assert.notEqual(t, '0'.repeat(32));
      assert.notEqual(s, '0'.repeat(16));
      traces.add(t);
      spans.add(s);
    }
    assert.equal(traces.size, 20_000);
    assert.equal(spans.size, 20_000);
  });
});
