import { isLeft } from 'fp-ts/lib/Either.js';
import type { Bus } from '@jetmesh/bus';
import type { TimePoint } from '@jetmesh/model';
import { replayToPoints as replayLog, type ReplayedPoint, type ReplayOptions } from '@jetmesh/replay';
import { CliError, ExitCode } from '../cli-error.js';

/** @jetmesh/replay's replay, with a point past the end of the log as the CLI's rejected-input exit. */
export async function replayToPoints(bus: Bus, points: ReadonlyArray<TimePoint | undefined>, opts: ReplayOptions): Promise<ReplayedPoint[]> {
  const replayed = await replayLog(bus, points, opts);
  if (isLeft(replayed)) throw new CliError(ExitCode.rejected, [replayed.left.reason]);
  return replayed.right;
}
