import { setTimeout as sleep } from 'node:timers/promises';

/** Between probes: short enough that a test waits little past the change, long enough not to spin. */
const POLL_MS = 20;

/**
 * The one test poller: calls `check` until it returns something other than undefined and resolves
 * that; past `timeoutMs` it rejects naming `what`. A `check` that throws fails at once.
 * A boolean condition is written `() => done() || undefined`.
 */
export async function eventually<A>(check: () => Promise<A | undefined> | A | undefined, what: string, timeoutMs = 10_000): Promise<A> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_MS);
  }
}
