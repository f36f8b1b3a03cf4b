import { readStream, Streams, type Bus } from '@jetmesh/bus';
import { ChangeSetCodec, HistoryFold, isPastHistoryRange, matchesHistoryFilter, type ChangeSet, type HistoryEntry, type HistoryFilter } from '@jetmesh/model';
import { createProgress, quietProgress } from './progress.js';

export interface HistoryLine {
  readonly entry: HistoryEntry;
  readonly changeSet: ChangeSet;
}

/**
 * The ChangeSets of MESH_CONFIG that pass the filter, in log order. Always read from the first
 * change: whether an apply created or configured a resource depends on everything before it.
 */
export async function* historyLines(
  bus: Bus,
  filter: HistoryFilter,
  opts: { progress: boolean; stderr?: NodeJS.WritableStream } = { progress: false },
): AsyncGenerator<HistoryLine> {
  const end = (await bus.jsm.streams.info(Streams.config)).state.last_seq;
  const progress = opts.stderr === undefined ? quietProgress : createProgress(opts.stderr, { label: 'reading history', total: end, force: opts.progress });
  const fold = new HistoryFold();
  try {
    for await (const e of readStream(bus, { stream: Streams.config, codec: ChangeSetCodec, fromSequence: 1 })) {
      if (isPastHistoryRange(filter, e.seq)) break;
      const entry = fold.entry(e.seq, e.value);
      progress.update(e.seq);
      if (matchesHistoryFilter(filter, entry)) yield { entry, changeSet: e.value };
    }
  } finally {
    progress.finish();
  }
}
