export type ReadinessResult = { readonly ready: true } | { readonly ready: false; readonly last: string };

const POLL_INTERVAL_MS = 200;

async function probe(url: string): Promise<{ ok: boolean; said: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = (await res.text()).trim();
    return { ok: res.status === 200, said: `${res.status} ${body}`.trim() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, said: cause ?? (err as Error).message };
  }
}

/** Polls `url` until it answers 200, the timeout passes, or `abort` fires. */
export async function waitUntilReady(url: string, timeoutMs: number, abort: AbortSignal): Promise<ReadinessResult> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (!abort.aborted && Date.now() < deadline) {
    const { ok, said } = await probe(url);
    if (ok) return { ready: true };
    last = said;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return { ready: false, last };
}
