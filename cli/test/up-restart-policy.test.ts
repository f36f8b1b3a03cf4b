import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRestart, defaultRestartPolicy, type RestartDecision } from '../src/up/restart-policy.js';

test('up.backoff: delays double from 1s, and the 5th exit within 30s gives up', () => {
  const decisions: RestartDecision[] = [];
  let exits: readonly number[] = [];
  for (const now of [0, 1_000, 3_000, 7_000, 15_000]) {
    const decision = decideRestart(exits, now, defaultRestartPolicy);
    decisions.push(decision);
    if (decision.kind === 'restart') exits = decision.recentExits;
  }
  assert.deepEqual(
    decisions.map((d) => (d.kind === 'restart' ? d.delayMs : d.kind)),
    [1_000, 2_000, 4_000, 8_000, 'give-up'],
  );
});

test('up.backoff: exits older than the window are forgotten and the delay is capped', () => {
  const old = decideRestart([0, 1_000, 3_000, 7_000], 60_000, defaultRestartPolicy);
  assert.deepEqual(old, { kind: 'restart', delayMs: 1_000, recentExits: [60_000] });
  const capped = decideRestart([0, 1, 2], 3, { ...defaultRestartPolicy, initialDelayMs: 10_000, maxExits: 10 });
  assert.equal(capped.kind === 'restart' && capped.delayMs, defaultRestartPolicy.maxDelayMs);
});
