import { forEachStoredJson, Streams } from '@jetmesh/bus';
import { ChainVerification, type ChainFork, type ChainVerdict } from '@jetmesh/model';
import { CliError, ExitCode } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { withMeshBus } from '../mesh-bus.js';
import { createProgress } from '@jetmesh/replay';

export interface AuditVerifyOptions {
  readonly output: 'text' | 'json';
  readonly progress: boolean;
}

/**
 * Walks MESH_CONFIG as stored and checks that every ChangeSet's `prev` is the hash of the one
 * before. The messages are hashed as stored, never decoded and re-encoded, so an edit anywhere
 * in a message shows. The head hash is printed so it can be recorded elsewhere: a rewrite of
 * the whole tail (every later `prev` recomputed) is only evident against such a record.
 */
export const runAuditVerify = async (opts: AuditVerifyOptions, io: CliIo): Promise<void> => {
  const verdict: ChainVerdict = await withMeshBus(io, async (bus) => {
    const end = (await bus.jsm.streams.info(Streams.config)).state.last_seq;
    const progress = createProgress(io.stderr, { label: 'verifying the change log', total: end, force: opts.progress });
    const chain = new ChainVerification();
    await forEachStoredJson(bus, Streams.config, (seq, json) => {
      chain.message(seq, json);
      progress.update(seq);
    });
    progress.finish();
    return chain.verdict();
  });
  if (opts.output === 'json') io.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
  if (verdict.intact) {
    if (opts.output === 'text') {
      for (const f of verdict.forks) io.stdout.write(`${describeFork(f)}; re-chained by repair #${f.repairedBy ?? '?'}\n`);
      io.stdout.write(`chain intact (${verdict.changes} changes); head #${verdict.headSeq} ${verdict.headHash}\n`);
    }
    return;
  }
  const b = verdict.firstBreak;
  const breakLines =
    b === undefined
      ? []
      : b.reason === 'not-a-changeset'
        ? [`chain broken at #${b.seq}: it is not a ChangeSet (prev is ${b.found})`]
        : b.reason === 'repair-mismatch'
          ? [`chain broken at #${b.seq}: the repair names #${b.previousSeq} with hash ${b.found}, but #${b.previousSeq} ${b.expected.startsWith('(') ? `was not left out by a fork ${b.expected}` : `hashes to ${b.expected}: it was altered after the repair`}`]
          : [
              `chain broken at #${b.seq}: prev expected ${b.expected}, found ${b.found}`,
              b.previousSeq === 0
                ? `#${b.seq} is the first change but does not name the genesis hash`
                : `#${b.previousSeq} no longer hashes to what #${b.seq} recorded: #${b.previousSeq} was altered, or a change between them was removed`,
            ];
  const forkLines = verdict.forks
    .filter((f) => f.repairedBy === undefined)
    .map((f) => `${describeFork(f)}; not repaired: run \`jetmesh audit repair --reason …\``);
  const lines = [...breakLines, ...forkLines];
  if (opts.output === 'json') throw new CliError(ExitCode.rejected, [lines[0] ?? 'chain broken']);
  throw new CliError(ExitCode.rejected, lines);
};

/** One fork, as the writers who made it and what it left out. */
export const describeFork = (f: Pick<ChainFork, 'seq' | 'actor' | 'predecessorSeq' | 'orphanSeq' | 'orphanActor'>): string =>
  `fork at #${f.seq}: #${f.orphanSeq} (${f.orphanActor}) and #${f.seq} (${f.actor}) were both stored on #${f.predecessorSeq}; #${f.orphanSeq} is left out of the chain`;
