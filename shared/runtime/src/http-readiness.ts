import { setTimeout as sleep } from 'node:timers/promises';

/** The one readiness poller, for `jetmesh up` and the test launchers alike. */
export interface ReadinessWait {
  readonly timeoutMs: number;
  /** The status that means ready; default 200. */
  readonly status?: number;
  /** Stops waiting early (the caller gave up, e.g. on Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Between attempts; default 100 ms. */
  readonly pollMs?: number;
}

export type ReadinessResult = { readonly ready: true } | { readonly ready: false; readonly last: string };

/** Each request on its own bound, so a server that accepts and never answers cannot hold the wait. */
const REQUEST_TIMEOUT_MS = 2_000;

async function probe(url: string, wanted: number): Promise<{ ok: boolean; said: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = (await res.text()).trim();
    return { ok: res.status === wanted, said: `${res.status} ${body}`.trim() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, said: cause?.code ?? cause?.message ?? (err as Error).message };
  }
}

/** Polls `url` with GET until it answers the wanted status, the timeout passes or `signal` aborts; `last` is what it said last. */
export async function waitUntilReady(url: string, wait: ReadinessWait): Promise<ReadinessResult> {
  const wanted = wait.status ?? 200;
  const deadline = Date.now() + wait.timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (wait.signal?.aborted === true) return { ready: false, last };
    const { ok, said } = await probe(url, wanted);
    if (ok) return { ready: true };
    last = said;
    if (Date.now() >= deadline) return { ready: false, last };
    await sleep(wait.pollMs ?? 100);
  }
}
