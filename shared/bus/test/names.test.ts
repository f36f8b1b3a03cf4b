import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  hostForSnapshotKey,
  parseRegistrySubject,
  snapshotKeyForHost,
  snapshotKeyForWorkload,
  Subjects,
  workloadForSnapshotKey,
} from '../src/index.js';

describe('names', () => {
  test('a registry subject keeps a dotted workload name in one token and parses back', () => {
    const subject = Subjects.registry('default', 'reviews.v1');
    assert.equal(subject, 'mesh.registry.default.reviews_v1');
    assert.deepEqual(parseRegistrySubject(subject), { namespace: 'default', name: 'reviews.v1' });
    assert.equal(parseRegistrySubject('mesh.audit.x'), undefined);
  });

  test('wildcards, whitespace and empty names never become subjects', () => {
    for (const bad of ['*', '>', 'a b', '', 'a_b', 'a\tb']) {
      assert.throws(() => Subjects.registry('default', bad), /cannot be a subject token/);
      assert.throws(() => Subjects.audit(bad), /cannot be a subject token/);
      assert.throws(() => Subjects.telemetry('default', bad), /cannot be a subject token/);
    }
  });

  test('telemetry is reported per workload, under the prefix the telemetry user reads', () => {
    assert.equal(Subjects.telemetry('default', 'reviews.v1'), 'mesh.telemetry.default.reviews_v1');
    assert.equal(Subjects.telemetryAll, 'mesh.telemetry.>');
    assert.equal(Subjects.trustUpdates('roots'), 'mesh.trust.roots');
  });

  test('host snapshot keys encode wildcard labels reversibly', () => {
    assert.equal(snapshotKeyForHost('reviews.default.svc.cluster.local'), 'host.reviews.default.svc.cluster.local');
    assert.equal(snapshotKeyForHost('*.example.com'), 'host._wildcard_.example.com');
    for (const host of ['*.example.com', '*', 'a-b.c', 'reviews']) {
      assert.equal(hostForSnapshotKey(snapshotKeyForHost(host)), host);
    }
    assert.equal(hostForSnapshotKey('workload.default.x'), undefined);
    assert.throws(() => snapshotKeyForHost('bad host'), /not a host name/);
    assert.throws(() => snapshotKeyForHost('a..b'), /not a host name/);
  });

  test('workload snapshot keys round-trip, dotted names included', () => {
    const key = snapshotKeyForWorkload('default', 'reviews.v1');
    assert.equal(key, 'workload.default.reviews.v1');
    assert.deepEqual(workloadForSnapshotKey(key), { namespace: 'default', name: 'reviews.v1' });
    assert.throws(() => snapshotKeyForWorkload('de.fault', 'x'), /not a namespace/);
    assert.throws(() => snapshotKeyForWorkload('default', '*'), /not a workload name/);
  });
});
