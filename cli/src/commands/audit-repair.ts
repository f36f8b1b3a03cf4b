import type { CliIo } from '../cli-io.js';
import { withConfigApi } from '../config-api.js';
import { describeFork } from './audit-verify.js';

export interface AuditRepairOptions {
  readonly reason: string;
  readonly dryRun: boolean;
}

/**
 * `jetmesh audit repair`: galley verifies the stored chain and, when forks left ChangeSets out of
 * it, records ONE new ChangeSet naming each by its stored hash (no resource changes; history is
 * never rewritten). Galley refuses writes until then; a chain broken otherwise is refused.
 */
export const runAuditRepair = async (opts: AuditRepairOptions, io: CliIo): Promise<void> => {
  const res = await withConfigApi(io, (api) => api.repairChain({ reason: opts.reason, dryRun: opts.dryRun }));
  const open = res.forks.filter((f) => f.repairedBy === 0 || f.repairedBy === res.sequence);
  if (open.length === 0) {
    io.stdout.write(`nothing to repair: no fork is left out of the chain${res.forks.length > 0 ? ` (${res.forks.length} repaired earlier)` : ''}\n`);
    return;
  }
  for (const f of open) {
    io.stdout.write(`${describeFork({ seq: f.sequence, actor: f.actor, predecessorSeq: f.predecessorSequence, orphanSeq: f.orphanSequence, orphanActor: f.orphanActor })}\n`);
  }
  if (res.sequence > 0) io.stdout.write(`recorded as change #${res.sequence} (re-chains ${open.map((f) => `#${f.orphanSequence}`).join(', ')})\n`);
  else io.stdout.write(`(dry run) would re-chain ${open.map((f) => `#${f.orphanSequence}`).join(', ')}\n`);
};
