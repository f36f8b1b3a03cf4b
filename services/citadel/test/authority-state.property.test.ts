import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { advanceRotation, initialState, nextDeadline, startRotation, trustBundleOf, type AuthorityState, type CaGeneration } from '../src/authority-state.js';

const generation = (id: number, start: number, lifetimeMs: number): CaGeneration => ({
  rootId: `root-${id}`,
  source: 'self-signed',
  material: { keyPem: '', certPem: '', chainPems: [] },
  createdAt: new Date(start).toISOString(),
  notBefore: new Date(start).toISOString(),
  notAfter: new Date(start + lifetimeMs).toISOString(),
});

/** A schedule of events: rotation requests and clock ticks, in time order. */
const schedule = fc.array(fc.tuple(fc.constantFrom('rotate', 'tick'), fc.integer({ min: 0, max: 20_000 })), { maxLength: 40 });

describe('authority-state.properties', () => {
  test('authority-state.properties: whatever happens when, the issuing root is trusted, at most two roots are, and phases come in order', () => {
    fc.assert(
      fc.property(schedule, fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 10_000 }), (events, propagationMs, graceMs) => {
        let now = 1_700_000_000_000;
        let state: AuthorityState = initialState(generation(0, now, 10 * 365 * 86_400_000));
        let next = 1;
        const phases: string[] = [];
        for (const [kind, advance] of events) {
          now += advance;
          if (kind === 'rotate') {
            const started = startRotation(state, generation(next++, now, 10 * 365 * 86_400_000), new Date(now), { propagationMs, graceMs }, 'test', 'tester');
            if (started._tag === 'Right') {
              state = started.right.state;
              phases.push(...started.right.steps.map((s) => s.phase));
            } else {
              assert.equal(started.left.code, 'ROTATION_IN_PROGRESS');
            }
          }
          const advanced = advanceRotation(state, new Date(now));
          state = advanced.state;
          phases.push(...advanced.steps.map((s) => s.phase));

          assert.ok(state.generations.some((g) => g.rootId === state.issuingRootId), 'the issuing root is trusted');
          assert.ok(state.generations.length <= 2, 'at most the old and the new root');
          const bundle = trustBundleOf(state, 'cluster.local', 1, () => 'pem', new Date(now));
          assert.equal(bundle.roots.filter((r) => r.state === 'issuing').length, 1);
          const deadline = nextDeadline(state);
          if (state.rotation !== undefined) assert.ok(deadline !== undefined && deadline.getTime() > now, 'a pending step is always scheduled in the future');
        }
        // added, activated, removed, added, ... never out of order.
        const expected = ['added', 'activated', 'removed'];
        phases.forEach((phase, i) => assert.equal(phase, expected[i % 3]));
      }),
    );
  });
});
