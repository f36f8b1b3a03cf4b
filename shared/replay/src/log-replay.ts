import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { readStream, Streams, type Bus } from '@jetmesh/bus';
import { ChangeSetCodec, formatTimePoint, PointInTimeFold, RegistryEventCodec, type PointInTime, type TimePoint } from '@jetmesh/model';
import { createProgress, quietProgress } from './progress.js';

/** The mesh at one point, as `at`/`diff` show it. */
export interface ReplayedPoint extends PointInTime {
  /** What was asked; undefined: the end of the log. */
  readonly point?: TimePoint;
  /** Who recorded the last change folded, and when (undefined before the first change). */
  readonly lastChange?: { readonly seq: number; readonly at: string; readonly actor: string };
}

export interface ReplayOptions {
  /** `--progress` forces the bar; otherwise it shows on a terminal only. */
  readonly progress: boolean;
  /** Where the bar is drawn; undefined: nowhere (the console replays for a browser). */
  readonly stderr?: NodeJS.WritableStream;
}

/** A sequence asked for that the log has not reached: the caller's mistake, not a lost server. */
export interface PastEndOfLog {
  readonly code: 'PAST_END_OF_LOG';
  readonly seq: number;
  readonly lastSeq: number;
  readonly reason: string;
}

const describePoint = (p: TimePoint | undefined): string => (p === undefined ? 'the end of the log' : formatTimePoint(p));

/**
 * Replays MESH_CONFIG and MESH_REGISTRY once, folding them up to each point with the model's
 * PointInTimeFold: the same strict decode and reducer pilot runs, so `at`'s routes are pilot's
 * routes at that point. One read of each stream serves every point (`diff` asks for two).
 */
export async function replayToPoints(
  bus: Bus,
  points: ReadonlyArray<TimePoint | undefined>,
  opts: ReplayOptions = { progress: false },
): Promise<Either<PastEndOfLog, ReplayedPoint[]>> {
  const [configInfo, registryInfo] = await Promise.all([bus.jsm.streams.info(Streams.config), bus.jsm.streams.info(Streams.registry)]);
  const configEnd = configInfo.state.last_seq;
  for (const p of points) {
    if (p?.kind === 'sequence' && p.seq > configEnd) {
      return left({ code: 'PAST_END_OF_LOG', seq: p.seq, lastSeq: configEnd, reason: `change #${p.seq} is past the end of the log (#${configEnd})` });
    }
  }
  const folds = points.map((p) => new PointInTimeFold(p));
  const last: Array<ReplayedPoint['lastChange']> = points.map(() => undefined);
  const bounded = points.every((p) => p !== undefined && p.kind === 'sequence');
  const toSequence = bounded ? Math.max(0, ...points.map((p) => (p?.kind === 'sequence' ? p.seq : 0))) : configEnd;
  const progress =
    opts.stderr === undefined
      ? quietProgress
      : createProgress(opts.stderr, {
          label: `replaying to ${points.map(describePoint).join(' and ')}`,
          total: toSequence + registryInfo.state.messages,
          force: opts.progress,
        });

  let handled = 0;
  const open = new Set(folds.keys());
  for await (const e of readStream(bus, { stream: Streams.config, codec: ChangeSetCodec, fromSequence: 1, toSequence })) {
    for (const i of open) {
      if (folds[i]!.config(e.seq, e.value)) last[i] = { seq: e.seq, at: e.value.at, actor: e.value.actor };
      else open.delete(i);
    }
    handled = e.seq;
    progress.update(handled);
    if (open.size === 0) break;
  }
  handled = toSequence;
  for await (const e of readStream(bus, { stream: Streams.registry, codec: RegistryEventCodec, fromSequence: 1 })) {
    for (const fold of folds) fold.registry(e.seq, e.value);
    progress.update(++handled);
  }
  progress.finish();
  return right(
    folds.map((fold, i) => {
      const lastChange = last[i];
      const point = points[i];
      return { ...fold.result(), ...(point !== undefined ? { point } : {}), ...(lastChange !== undefined ? { lastChange } : {}) };
    }),
  );
}

/** The line `at` and `diff` print to stderr so a reader knows which moment they see. */
export const describeReplayed = (r: ReplayedPoint): string[] => [
  r.lastChange === undefined
    ? `# as of ${describePoint(r.point)}: before the first change`
    : `# as of ${describePoint(r.point)}: change #${r.lastChange.seq}, recorded ${r.lastChange.at} by ${r.lastChange.actor}`,
  ...(r.unknownWorkloads.length > 0
    ? [
        `# note: ${r.unknownWorkloads.length} registered workload(s) changed after this point (${r.unknownWorkloads.slice(0, 3).join(', ')}${r.unknownWorkloads.length > 3 ? ', …' : ''}); MESH_REGISTRY keeps only each workload's latest event, so they are left out`,
      ]
    : []),
];
