import { formatTimePoint, kindFromName } from '@jetmesh/model';
import type { ResourceRef } from '@jetmesh/rpc';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withConfigApi } from '../config-api.js';
import { pointArgument } from '../replay/point-argument.js';
import { describeChange } from './apply.js';

export interface RollbackOptions {
  /** `<SEQ|RFC3339|-2h>`. */
  readonly to: string;
  /** `KIND/NAME`, in `namespace`. */
  readonly only: readonly string[];
  readonly namespace: string;
  readonly reason: string;
  readonly dryRun: boolean;
}

const onlyRef = (text: string, namespace: string): ResourceRef => {
  const [kindText = '', name = '', ...rest] = text.split('/');
  const kind = kindFromName(kindText);
  if (kind === undefined || name === '' || rest.length > 0) throw new CliError(ExitCode.usage, [`--only "${text}": use KIND/NAME (vs/reviews-route)`]);
  return { kind, namespace, name };
};

/**
 * `jetmesh rollback --to <point>`: galley replays the log to the point and publishes ONE new
 * change restoring it (history is never rewritten), or refuses, naming what no longer validates.
 */
export const runRollback = async (opts: RollbackOptions, io: CliIo): Promise<void> => {
  const point = pointArgument(opts.to, 'to');
  const only = opts.only.map((o) => onlyRef(o, opts.namespace));
  const res = await withConfigApi(io, (api) =>
    api.rollback({
      ...(point.kind === 'sequence' ? { toSequence: point.seq } : { toTime: point.at }),
      only,
      reason: opts.reason,
      dryRun: opts.dryRun,
    }),
  );
  printLines(io.stderr, res.warnings.map((w) => `Warning: ${w}`));
  if (res.changes.length === 0) {
    const asked = point.kind === 'time' ? ` (${formatTimePoint(point)})` : '';
    io.stdout.write(`nothing to roll back: the configuration already equals change #${res.targetSequence}${asked}${only.length > 0 ? ' for the resources named' : ''}\n`);
    return;
  }
  printLines(io.stdout, res.changes.map((c) => describeChange(c, opts.dryRun)));
  if (res.sequence > 0) io.stdout.write(`recorded as change #${res.sequence} (rollback to #${res.targetSequence})\n`);
  else io.stdout.write(`(dry run) would roll back to #${res.targetSequence}\n`);
};
