import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { publishEvent, Streams, Subjects } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { ChangeSetCodec } from '@jetmesh/model';
import { eventually } from '@jetmesh/testing';
import { verifyStoredChain } from '../src/chain-repair.js';
import { startConfigState } from '../src/config-state.js';
import { bookinfoYaml, failureOf, reweight, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const quiet = createLogger('chain-repair-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');

describe('a forked config log (two ChangeSets on one predecessor)', () => {
  let h: GalleyHarness;
  const forksGauge = async (): Promise<number | undefined> =>
    (await h.registries[0]?.getSingleMetric('galley_config_log_forks')?.get())?.values[0]?.value;

  before(async () => {
    h = await startGalleyHarness();
    await h.client.apply({ yaml: bookinfoYaml(), reason: 'bookinfo' }); // #1
    await h.client.apply({ yaml: reweight(80), reason: 'canary' }); // #2
    // What a clustered nats-server < 2.11 let through under the per-subject guard: a second
    // writer's change planned against the same state as #2, stored after it.
    const [, second] = await h.changeSets();
    const sibling = { ...second!.changeSet, id: 'racing-write', actor: 'racer@other-galley' };
    const stored = await publishEvent(h.bus, ChangeSetCodec, Subjects.config, sibling, { msgId: sibling.id, expectedStream: Streams.config });
    assert.equal(stored._tag === 'Right' && stored.right.seq, 3);
  });
  after(() => h?.dispose());

  test('fork.detect: the fold names the fork and who wrote it, live and on a fresh replay; the gauge counts it', async () => {
    const expected = [{ seq: 3, actor: 'racer@other-galley', orphanSeq: 2, orphanActor: 'tester-0@test' }];
    await eventually(async () => (h.galleys[0]?.state.forks().length === 1 ? true : undefined), 'the live fold to see the fork');
    assert.deepEqual(h.galleys[0]?.state.forks(), expected);
    const fresh = await startConfigState(h.bus, quiet);
    try {
      await fresh.caughtUp;
      assert.deepEqual(fresh.forks(), expected);
    } finally {
      await fresh.stop();
    }
    assert.equal(await forksGauge(), 1);
    const verdict = await verifyStoredChain(h.bus);
    assert.equal(verdict.intact, false);
    assert.deepEqual(
      verdict.forks.map((f) => [f.seq, f.actor, f.predecessorSeq, f.orphanSeq, f.orphanActor]),
      [[3, 'racer@other-galley', 1, 2, 'tester-0@test']],
    );
  });

  test('fork.refuse: while the log forks every write is FAILED_PRECONDITION naming the fork and the repair command', async () => {
    const refused = await failureOf(h.client.apply({ yaml: reweight(50), reason: 'after the fork' }));
    assert.equal(refused.code, status.FAILED_PRECONDITION);
    assert.deepEqual(refused.lines, [
      'the config log forks: #3 (racer@other-galley) and #2 (tester-0@test) were stored on one predecessor; no change is recorded until `jetmesh audit repair` re-chains it',
    ]);
    assert.equal((await failureOf(h.client.delete({ refs: [{ kind: 'VirtualService', namespace: 'default', name: 'reviews-route' }] }))).code, status.FAILED_PRECONDITION);
    assert.equal(await h.lastSequence(), 3, 'nothing was stored');
  });

  test('fork.repair: a dry run lists the fork; the repair re-chains it as one new ChangeSet; writes resume and the chain verifies', async () => {
    assert.equal((await failureOf(h.client.repairChain({ reason: ' ' }))).code, status.INVALID_ARGUMENT);
    const preview = await h.client.repairChain({ reason: 'fork after failover', dryRun: true });
    assert.equal(preview.sequence, 0);
    assert.deepEqual(preview.forks.map((f) => [f.sequence, f.orphanSequence, f.repairedBy]), [[3, 2, 0]]);
    assert.equal(await h.lastSequence(), 3);

    const repaired = await h.client.repairChain({ reason: 'fork after failover' });
    assert.equal(repaired.sequence, 4);
    assert.deepEqual(repaired.forks.map((f) => [f.sequence, f.actor, f.predecessorSequence, f.orphanSequence, f.orphanActor, f.repairedBy]), [
      [3, 'racer@other-galley', 1, 2, 'tester-0@test', 4],
    ]);
    const repair = (await h.changeSets()).at(-1)?.changeSet;
    assert.deepEqual({ actor: repair?.actor, reason: repair?.reason, changes: repair?.changes, seqs: repair?.repairs?.map((r) => r.seq) }, {
      actor: 'tester-0@test',
      reason: 'fork after failover',
      changes: [],
      seqs: [2],
    });
    assert.deepEqual(h.galleys[0]?.state.forks(), []);
    assert.equal(await forksGauge(), 0);
    const verdict = await verifyStoredChain(h.bus);
    assert.ok(verdict.intact, JSON.stringify(verdict));
    assert.equal(verdict.forks[0]?.repairedBy, 4);

    const again = await h.client.repairChain({ reason: 'nothing left' });
    assert.equal(again.sequence, 0, 'no unrepaired fork: nothing published');
    const resumed = await h.client.apply({ yaml: reweight(50), reason: 'after the repair' });
    assert.equal(resumed.sequence, 5);
    assert.ok((await verifyStoredChain(h.bus)).intact);
  });
});
