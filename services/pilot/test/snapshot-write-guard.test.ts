import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareVersions } from '@jetmesh/model';
import { ABSENT, covers, decideRemove, decideWrite, storedEntryOf, type StoredEntry } from '../src/snapshot-write-guard.js';

const stored = (config: number, registry: number, contentHash = 'old'): StoredEntry => ({
  kind: 'snapshot',
  revision: 7,
  contentHash,
  version: { config, registry },
});

test('write-guard: an absent key is created, an equal snapshot is left alone, a newer one is not overwritten', () => {
  assert.deepEqual(decideWrite(ABSENT, { version: { config: 3, registry: 0 }, contentHash: 'new' }), { action: 'put', expectedRevision: 'absent' });
  assert.deepEqual(decideWrite(stored(1, 0, 'same'), { version: { config: 9, registry: 9 }, contentHash: 'same' }), { action: 'skip', outcome: 'unchanged' });
  assert.deepEqual(decideWrite(stored(5, 0), { version: { config: 4, registry: 9 }, contentHash: 'new' }), { action: 'skip', outcome: 'superseded' });
  assert.deepEqual(decideWrite(stored(5, 0), { version: { config: 5, registry: 1 }, contentHash: 'new' }), { action: 'put', expectedRevision: 7 });
});

test('write-guard: a replica ahead in config but behind in registry does not replace newer endpoints', () => {
  assert.deepEqual(decideWrite(stored(3, 5), { version: { config: 4, registry: 0 }, contentHash: 'new' }), { action: 'skip', outcome: 'superseded' });
  assert.deepEqual(decideRemove(stored(3, 5), { config: 4, registry: 0 }), { action: 'skip', outcome: 'superseded' });
  assert.deepEqual(decideRemove(stored(3, 5), { config: 4, registry: 5 }), { action: 'remove', expectedRevision: 7 });
});

test('write-guard: a value that is not a VersionedSnapshot is replaced', () => {
  const foreign = storedEntryOf({ value: { hello: 'world' }, revision: 4 });
  assert.deepEqual(foreign, { kind: 'foreign', revision: 4 });
  assert.deepEqual(decideWrite(foreign, { version: { config: 1, registry: 0 }, contentHash: 'x' }), { action: 'put', expectedRevision: 4 });
  assert.deepEqual(storedEntryOf(undefined), ABSENT);
});

test('write-guard: whatever the versions, a write it allows never lowers the stored version', () => {
  const version = fc.record({ config: fc.nat(50), registry: fc.nat(50) });
  fc.assert(
    fc.property(version, version, (ours, theirs) => {
      const decision = decideWrite(stored(theirs.config, theirs.registry), { version: ours, contentHash: 'new' });
      if (decision.action === 'put') assert.ok(covers(ours, theirs) && compareVersions(ours, theirs) >= 0);
    }),
  );
});
