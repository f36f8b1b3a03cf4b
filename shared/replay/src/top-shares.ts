import { isLeft } from 'fp-ts/lib/Either.js';
import { Subjects, type Bus } from '@jetmesh/bus';
import { decodeTopShare, formatInvalid, type TopQuery, type TopShare } from '@jetmesh/model';

/** What the telemetry replicas answered: their shares, and why any other reply was ignored. */
export interface GatheredTopShares {
  readonly shares: TopShare[];
  readonly invalid: string[];
}

/**
 * Asks every telemetry replica for its share of the last minute (what `jetmesh top` and the
 * console show); each answers once, so gathering ends on a timer. No replica at all: no shares.
 */
export async function gatherTopShares(bus: Bus, query: TopQuery, waitMs: number): Promise<GatheredTopShares> {
  const shares: TopShare[] = [];
  const invalid: string[] = [];
  try {
    const answers = await bus.nc.requestMany(Subjects.telemetryTop, JSON.stringify(query), { strategy: 'timer', maxWait: waitMs });
    for await (const msg of answers) {
      let body: unknown;
      try {
        body = msg.json();
      } catch {
        invalid.push('a reply that is not JSON');
        continue;
      }
      if (typeof body === 'object' && body !== null && 'error' in body) {
        invalid.push(`a replica refused the question: ${String((body as { error: unknown }).error)}`);
        continue;
      }
      const decoded = decodeTopShare(body);
      if (isLeft(decoded)) invalid.push(decoded.left.slice(0, 3).map(formatInvalid).join('; '));
      else shares.push(decoded.right);
    }
  } catch (e) {
    // No replica subscribed at all: the server says so at once instead of letting the timer run.
    if (!/no responders/i.test((e as Error).message)) throw e;
  }
  return { shares, invalid };
}
