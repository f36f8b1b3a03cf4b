import { isLeft, left, type Either } from 'fp-ts/lib/Either.js';
import { gatherReplies, Subjects, type Bus } from '@jetmesh/bus';
import { decodeEdgeTrafficShare, edgeRows, formatInvalid, mergeEdgeShares, type EdgeRow, type EdgeTrafficShare } from '@jetmesh/model';

/** What the telemetry replicas answered, merged: undefined rows when none answered. */
export interface GatheredEdgeTraffic {
  readonly rows: EdgeRow[] | undefined;
  readonly invalid: string[];
}

const decodeShare = (reply: unknown): Either<string, EdgeTrafficShare> => {
  const decoded = decodeEdgeTrafficShare(reply);
  return isLeft(decoded) ? left(decoded.left.slice(0, 3).map(formatInvalid).join('; ')) : decoded;
};

/** Asks every telemetry replica for its per-edge share of the last minute (the console's topology edges). */
export async function gatherEdgeTraffic(bus: Bus, waitMs: number): Promise<GatheredEdgeTraffic> {
  const { replies, invalid } = await gatherReplies(bus, Subjects.telemetryEdges, '', waitMs, decodeShare);
  if (replies.length === 0) return { rows: undefined, invalid };
  // A replica started within the window spans less of it; the longest span keeps rates from being overstated.
  const windowSeconds = Math.max(...replies.map((r) => r.windowSeconds));
  return { rows: edgeRows(mergeEdgeShares(replies), windowSeconds), invalid };
}
