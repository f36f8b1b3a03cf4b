import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { isNoResponders } from './bus-unavailable.js';
import type { Bus } from './connect.js';

/** What every responder answered: the replies that decoded, and why each other one was ignored. */
export interface GatheredReplies<T> {
  readonly replies: T[];
  readonly invalid: string[];
}

/**
 * Asks every replica subscribed on `subject` (each answers once, so gathering ends on a timer)
 * and decodes each reply; none subscribed at all is no replies, not an error.
 */
export async function gatherReplies<T>(
  bus: Bus,
  subject: string,
  body: string,
  waitMs: number,
  decode: (reply: unknown) => Either<string, T>,
): Promise<GatheredReplies<T>> {
  const replies: T[] = [];
  const invalid: string[] = [];
  try {
    for await (const msg of await bus.nc.requestMany(subject, body, { strategy: 'timer', maxWait: waitMs })) {
      let reply: unknown;
      try {
        reply = msg.json();
      } catch {
        invalid.push('a reply that is not JSON');
        continue;
      }
      const decoded = decode(reply);
      if (isLeft(decoded)) invalid.push(decoded.left);
      else replies.push(decoded.right);
    }
  } catch (e) {
    // The server says so at once when nobody subscribed, instead of letting the timer run.
    if (!isNoResponders(e)) throw e;
  }
  return { replies, invalid };
}
