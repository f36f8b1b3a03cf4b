import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotKeyForHost, snapshotKeyForWorkload, Subjects, type Bus } from '@jetmesh/bus';
import { compareVersions, formatVersion, type VersionedSnapshot } from '@jetmesh/model';
import {
  bookinfo,
  publishedAt,
  ratings,
  refOf,
  reviewsRoute,
  startPilotHarness,
  startPilotInstance,
  type PilotHarness,
  type PilotInstance,
} from './pilot-harness.js';

/** One write to the bucket as every watcher sees it. */
interface ObservedWrite {
  readonly key: string;
  readonly revision: number;
  /** Undefined for a delete marker. */
  readonly value: VersionedSnapshot | undefined;
}

function observeWrites(bus: Bus): { writes: ObservedWrite[]; sub: ReturnType<Bus['nc']['subscribe']> } {
  const writes: ObservedWrite[] = [];
  const prefix = Subjects.snapshotUpdates('');
  const sub = bus.nc.subscribe(Subjects.snapshotUpdatesAll, {
    callback: (_err, msg) => {
      const deleted = msg.headers?.get('KV-Operation') === 'DEL';
      writes.push({
        key: msg.subject.slice(prefix.length),
        revision: Number(msg.headers?.get('Nats-Sequence')),
        value: deleted ? undefined : (msg.json() as VersionedSnapshot),
      });
    },
  });
  return { writes, sub };
}

describe('replicas', () => {
  let h: PilotHarness;
  let replicas: PilotInstance[];
  let observed: ReturnType<typeof observeWrites>;

  before(async () => {
    h = await startPilotHarness();
    observed = observeWrites(h.bus);
    await h.bus.nc.flush();
    replicas = [await startPilotInstance(h.nats.url, 'pilot-a'), await startPilotInstance(h.nats.url, 'pilot-b')];
  });
  after(async () => {
    observed.sub.unsubscribe();
    for (const r of replicas) await r.stop();
    await h.dispose();
  });

  test('replicas: two pilots converge on identical KV content and never move a key backwards', async () => {
    const se = ratings().find((r) => r.kind === 'ServiceEntry');
    assert.ok(se);
    let configSeq = await h.log.apply(bookinfo(), 'bookinfo');
    let registrySeq = 0;
    for (let i = 0; i <= 30; i++) {
      configSeq = await h.log.apply(reviewsRoute(100 - i, i));
      if (i % 3 === 0) registrySeq = await h.log.register('default', `vm-${i}`, { address: `10.0.0.${i + 1}`, labels: { app: 'reviews', version: 'v1' } });
      if (i % 5 === 0) registrySeq = await h.log.unregister('default', `vm-${i}`);
      if (i % 10 === 0) configSeq = await h.log.apply(ratings());
      if (i % 10 === 5) configSeq = await h.log.delete([refOf(se)]);
    }
    // A burst the replicas fold in different slices, so they write over each other.
    const burst = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 4 === 0
          ? h.log.register('default', `burst-${i % 8}`, { address: `10.1.0.${i + 1}`, labels: { app: 'reviews', version: 'v2' } }).then((seq) => ({ config: 0, registry: seq }))
          : h.log.apply(reviewsRoute(i, 100 - i)).then((seq) => ({ config: seq, registry: 0 })),
      ),
    );
    configSeq = Math.max(configSeq, ...burst.map((b) => b.config));
    registrySeq = Math.max(registrySeq, ...burst.map((b) => b.registry));
    for (const r of replicas) await publishedAt(r, configSeq, registrySeq);

    const [a, b] = replicas.map((r) => r.pilot.snapshots.current()?.set);
    assert.ok(a && b);
    assert.deepEqual(formatVersion(a.version), `${configSeq}.${registrySeq}`);
    const hashes = (set: typeof a) =>
      new Map(
        [
          ...[...set.snapshots].map(([host, s]): [string, string] => [snapshotKeyForHost(host), s.contentHash]),
          ...[...set.workloads].map(([, s]): [string, string] => [snapshotKeyForWorkload(s.snapshot.workload.namespace, s.snapshot.workload.name), s.contentHash]),
        ].sort(([x], [y]) => (x < y ? -1 : 1)),
      );
    assert.deepEqual(hashes(a), hashes(b), 'both replicas derived the same snapshots');
    const bucket = await h.bucket();
    assert.deepEqual(new Map([...bucket].map(([key, s]) => [key, s.value.contentHash])), hashes(a), 'the bucket holds exactly them');

    await h.bus.nc.flush();
    const byKey = new Map<string, ObservedWrite[]>();
    for (const w of observed.writes) byKey.set(w.key, [...(byKey.get(w.key) ?? []), w]);
    assert.ok(byKey.size >= 2);
    for (const [key, writes] of byKey) {
      writes.sort((x, y) => x.revision - y.revision);
      for (let i = 1; i < writes.length; i++) {
        const [prev, next] = [writes[i - 1]!, writes[i]!];
        if (next.value === undefined) {
          assert.notEqual(prev.value, undefined, `${key}: removed twice`);
          continue;
        }
        // Versions rise across a removal too; equal content is only written again after a removal.
        const lastValue = writes.slice(0, i).findLast((w) => w.value !== undefined)?.value;
        if (lastValue !== undefined) {
          assert.ok(compareVersions(lastValue.version, next.value.version) < 0, `${key}: ${formatVersion(lastValue.version)} then ${formatVersion(next.value.version)}`);
        }
        if (prev.value !== undefined) assert.notEqual(prev.value.contentHash, next.value.contentHash, `${key}: unchanged content rewritten at ${formatVersion(next.value.version)}`);
      }
    }
  });
});
