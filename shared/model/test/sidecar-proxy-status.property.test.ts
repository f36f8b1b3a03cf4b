import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sidecarSyncStatus, worstSync, type SidecarKeyStatus, type SidecarSync } from '../src/index.js';

const revision = fc.integer({ min: 1, max: 50 });
const keyStatus: fc.Arbitrary<SidecarKeyStatus> = fc.record(
  { key: fc.constant('host.reviews.default.svc.cluster.local'), revision, version: fc.constant('3.1'), refusedRevision: revision, refusedReason: fc.constant('routes[0]: names cluster x that does not exist') },
  { requiredKeys: ['key'] },
);

describe('sidecar-proxy-status (a sidecar key against its revision in KV)', () => {
  it('sidecar-sync.cases: the held revision is KV\'s → SYNCED; older or none → STALE; the latest refused → NACKED', () => {
    fc.assert(
      fc.property(keyStatus, fc.option(revision, { nil: undefined }), (k, kv) => {
        const s = sidecarSyncStatus(k, kv);
        const refusedLatest = kv !== undefined && k.refusedRevision !== undefined && k.refusedRevision >= kv && (k.revision === undefined || k.revision < k.refusedRevision);
        if (kv === undefined) assert.equal(s, k.revision === undefined ? 'SYNCED' : 'STALE', 'a key gone from KV is in sync only when the proxy dropped it too');
        else if (refusedLatest) assert.equal(s, 'NACKED');
        else assert.equal(s, k.revision !== undefined && k.revision >= kv ? 'SYNCED' : 'STALE');
      }),
    );
  });

  it('sidecar-sync.apply-after-refusal: applying a later revision than the refused one clears NACKED', () => {
    fc.assert(
      fc.property(revision, fc.integer({ min: 1, max: 10 }), (refused, later) => {
        const k = { key: 'workload.default.reviews-v1', refusedRevision: refused, refusedReason: 'bad', revision: refused + later };
        assert.equal(sidecarSyncStatus(k, refused + later), 'SYNCED');
        assert.equal(sidecarSyncStatus({ key: k.key, refusedRevision: refused, refusedReason: 'bad' }, refused), 'NACKED');
      }),
    );
  });

  it('sidecar-sync.worst: a proxy is as out of sync as its worst key, in any order', () => {
    const sync = fc.constantFrom<SidecarSync>('SYNCED', 'STALE', 'NACKED');
    fc.assert(
      fc.property(fc.array(sync), (states) => {
        const expected = states.includes('NACKED') ? 'NACKED' : states.includes('STALE') ? 'STALE' : 'SYNCED';
        assert.equal(worstSync(states), expected);
        assert.equal(worstSync([...states].reverse()), expected);
      }),
    );
  });
});
