import { once } from 'node:events';
import { kindFromName, type HistoryFilter } from '@jetmesh/model';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withMeshBus } from '../mesh-bus.js';
import { historyLines } from '@jetmesh/replay';
import { renderHistoryTable } from '../replay/history-render.js';
import { pointArgument } from '../replay/point-argument.js';

export interface HistoryOptions {
  /** `KIND` or `KIND/NAME`. */
  readonly resource?: string;
  readonly namespace?: string;
  readonly since?: string;
  readonly until?: string;
  readonly actor?: string;
  readonly progress: boolean;
}

export const historyFilter = (opts: HistoryOptions): HistoryFilter => {
  let kindAndName: Pick<HistoryFilter, 'kind' | 'name'> = {};
  if (opts.resource !== undefined) {
    const [kindText = '', name, ...rest] = opts.resource.split('/');
    const kind = kindFromName(kindText);
    if (kind === undefined || rest.length > 0 || name === '') throw new CliError(ExitCode.usage, [`"${opts.resource}" does not name resources: use KIND or KIND/NAME (vs, vs/reviews-route)`]);
    kindAndName = { kind, ...(name !== undefined ? { name } : {}) };
  }
  return {
    ...kindAndName,
    ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
    ...(opts.since !== undefined ? { since: pointArgument(opts.since, 'since') } : {}),
    ...(opts.until !== undefined ? { until: pointArgument(opts.until, 'until') } : {}),
    ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
  };
};

/** `jetmesh history`: who changed what, when and why, oldest first. */
export const runHistory = async (opts: HistoryOptions & { readonly output: 'table' | 'json' }, io: CliIo): Promise<void> => {
  const filter = historyFilter(opts);
  const entries = await withMeshBus(io, async (bus) => {
    const out = [];
    for await (const line of historyLines(bus, filter, { progress: opts.progress, stderr: io.stderr })) out.push(line.entry);
    return out;
  });
  if (opts.output === 'json') {
    io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return;
  }
  if (entries.length === 0) {
    io.stderr.write('No changes found\n');
    return;
  }
  printLines(io.stdout, renderHistoryTable(entries));
};

/** `jetmesh history export --format jsonl`: one JSON object per change, streamed, for SIEM ingestion. */
export const runHistoryExport = async (opts: HistoryOptions & { readonly format: 'jsonl' }, io: CliIo): Promise<void> => {
  const filter = historyFilter(opts);
  await withMeshBus(io, async (bus) => {
    for await (const { entry, changeSet } of historyLines(bus, filter, { progress: opts.progress, stderr: io.stderr })) {
      // `prev` lets a consumer check the hash chain on its side (jetmesh audit verify does it here).
      if (!io.stdout.write(`${JSON.stringify({ ...entry, prev: changeSet.prev })}\n`)) await once(io.stdout, 'drain');
    }
  });
};
