import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { forEachStoredJson, Streams, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { ChainVerification, invalid, unrepairedForks, type ChainFork, type ChainVerdict, type Invalid } from '@jetmesh/model';
import type { ChainForkMessage, RepairChainRequest, RepairChainResponse } from '@jetmesh/rpc';
import type { ChangePublisher, Writer } from './change-publisher.js';

/** The hash chain of MESH_CONFIG as stored: every message parsed, never re-encoded (as `jetmesh audit verify` reads it). */
export async function verifyStoredChain(bus: Bus): Promise<ChainVerdict> {
  const chain = new ChainVerification();
  await forEachStoredJson(bus, Streams.config, (seq, json) => chain.message(seq, json));
  return chain.verdict();
}

const wireFork = (f: ChainFork, repairedBy: number | undefined): ChainForkMessage => ({
  sequence: f.seq,
  actor: f.actor,
  predecessorSequence: f.predecessorSeq,
  orphanSequence: f.orphanSeq,
  orphanActor: f.orphanActor,
  orphanHash: f.orphanHash,
  repairedBy: f.repairedBy ?? repairedBy ?? 0,
});

/**
 * `jetmesh audit repair`: one ChangeSet that changes no resource and names, with the hash it has
 * as stored, every ChangeSet a fork left out of the chain, so the chain covers it again and
 * writes resume. History is never rewritten. A chain broken otherwise (a message altered or
 * removed) is not a fork: refused, since naming the current hashes would bless the tampering.
 */
export function createChainRepair(deps: { readonly bus: Bus; readonly publisher: ChangePublisher }, log: Logger) {
  return async (req: RepairChainRequest, writer: Writer): Promise<Either<Invalid[], RepairChainResponse>> => {
    if (req.reason.trim() === '') return left([invalid('reason', 'required: say why the chain is repaired (recorded with the change)', 'REQUIRED')]);
    const verdict = await verifyStoredChain(deps.bus);
    if (!verdict.intact && verdict.firstBreak !== undefined) {
      const b = verdict.firstBreak;
      return left([
        invalid('', `the chain is broken at #${b.seq} (${b.reason}: expected ${b.expected}, found ${b.found}), not forked: a repair cannot re-chain it; see \`jetmesh audit verify\``),
      ]);
    }
    const open = unrepairedForks(verdict);
    if (req.dryRun || open.length === 0) return right({ sequence: 0, forks: verdict.forks.map((f) => wireFork(f, undefined)) });
    const published = await deps.publisher.publish({
      ...writer,
      reason: req.reason,
      repairs: open.map((f) => ({ seq: f.orphanSeq, hash: f.orphanHash })),
      plan: () => right({ changes: [], outcomes: [], warnings: [] }),
    });
    if (isLeft(published)) return published;
    const { sequence } = published.right;
    log.warn({ sequence, actor: writer.actor, repaired: open.map((f) => f.orphanSeq) }, `config log fork repaired by #${sequence}`);
    const repaired = new Set(open.map((f) => f.orphanSeq));
    return right({ sequence, forks: verdict.forks.map((f) => wireFork(f, repaired.has(f.orphanSeq) ? sequence : undefined)) });
  };
}
