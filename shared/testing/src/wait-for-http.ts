import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForHttpOptions {
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** The status to wait for. Default 200. */
  readonly status?: number;
}

const POLL_MS = 100;
const REQUEST_TIMEOUT_MS = 1_000;

/** Polls `url` with GET until it answers `status`; rejects with the last answer or error. */
export async function waitForHttp(url: string, opts: WaitForHttpOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const wanted = opts.status ?? 200;
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await response.arrayBuffer();
      if (response.status === wanted) return;
      last = `status ${response.status}`;
    } catch (err) {
      last = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`${url} did not answer ${wanted} within ${timeoutMs} ms (last: ${last})`);
    await sleep(POLL_MS);
  }
}
