import { waitUntilReady } from '@jetmesh/runtime';

export interface WaitForHttpOptions {
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** The status to wait for. Default 200. */
  readonly status?: number;
}

/** runtime's readiness poller, rejecting with the last answer or error: what a test wants. */
export async function waitForHttp(url: string, opts: WaitForHttpOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const wanted = opts.status ?? 200;
  const result = await waitUntilReady(url, { timeoutMs, status: wanted });
  if (!result.ready) throw new Error(`${url} did not answer ${wanted} within ${timeoutMs} ms (last: ${result.last})`);
}
