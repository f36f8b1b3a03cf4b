import { isLeft, left, type Either } from 'fp-ts/lib/Either.js';
import { gatherReplies, Subjects, type Bus } from '@jetmesh/bus';
import { decodeTopShare, formatInvalid, type TopQuery, type TopShare } from '@jetmesh/model';

/** What the telemetry replicas answered: their shares, and why any other reply was ignored. */
export interface GatheredTopShares {
  readonly shares: TopShare[];
  readonly invalid: string[];
}

const decodeShare = (reply: unknown): Either<string, TopShare> => {
  if (typeof reply === 'object' && reply !== null && 'error' in reply) return left(`a replica refused the question: ${String((reply as { error: unknown }).error)}`);
  const decoded = decodeTopShare(reply);
  return isLeft(decoded) ? left(decoded.left.slice(0, 3).map(formatInvalid).join('; ')) : decoded;
};

/** Asks every telemetry replica for its share of the last minute (what `jetmesh top` and the console show). */
export async function gatherTopShares(bus: Bus, query: TopQuery, waitMs: number): Promise<GatheredTopShares> {
  const { replies, invalid } = await gatherReplies(bus, Subjects.telemetryTop, JSON.stringify(query), waitMs, decodeShare);
  return { shares: replies, invalid };
}
