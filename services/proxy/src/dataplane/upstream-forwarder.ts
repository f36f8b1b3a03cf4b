import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '@jetmesh/model';
import { ResponseFlags } from './response-flags.js';
import type { AttemptResult, UpstreamFailureKind, UpstreamRequest, UpstreamResponse } from './upstream.js';

/** What an attempt ended with, as retry policies and outlier detection judge it. */
export type AttemptOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly grpcStatus?: number }
  | { readonly kind: Exclude<UpstreamFailureKind, 'overflow'> };

/** A cluster as the forwarder uses it: endpoint choice, limits, and where outcomes go. */
export interface UpstreamCluster {
  readonly name: string;
  /** An endpoint not in `tried` and not ejected, by the cluster's load balancer; undefined: none healthy. */
  pick(hashKey: string | undefined, tried: ReadonlySet<string>): Endpoint | undefined;
  endpointKey(e: Endpoint): string;
  /** A slot under the cluster's connection-pool limits, or undefined on overflow. */
  admit(signal: AbortSignal): Promise<(() => void) | undefined>;
  started(key: string): void;
  finished(key: string, outcome: AttemptOutcome): void;
  dial(endpoint: Endpoint, req: UpstreamRequest, signal: AbortSignal): Promise<AttemptResult>;
}

export interface RetryPlan {
  /** Retries after the first attempt. */
  readonly retries: number;
  readonly perTryTimeoutMs?: number;
  shouldRetry(outcome: AttemptOutcome): boolean;
  /** Pause before retry number `n` (1-based). */
  backoffMs(n: number): number;
}

export interface ForwardResult {
  /** The upstream's answer; absent when the proxy must answer itself with `status`. */
  readonly response?: UpstreamResponse;
  readonly status: number;
  readonly flags: readonly string[];
  readonly endpoint?: Endpoint;
  readonly attempts: number;
  readonly detail?: string;
}

const grpcStatusOf = (headers: Record<string, unknown>): number | undefined => {
  const v = headers['grpc-status'];
  return v === undefined ? undefined : Number(v);
};

const failureFlag: Record<UpstreamFailureKind, string> = {
  'connect-failure': ResponseFlags.upstreamConnectFailure,
  reset: ResponseFlags.upstreamReset,
  'refused-stream': ResponseFlags.upstreamReset,
  timeout: ResponseFlags.upstreamRequestTimeout,
  overflow: ResponseFlags.upstreamOverflow,
};

/**
 * Sends a request to a cluster with Envoy's semantics: each attempt picks a fresh endpoint
 * (never one already tried, never an ejected one), runs under the per-try timeout, and is
 * retried while the policy says so and the body can be replayed; the overall `deadline`
 * bounds everything. A response that is not retried is returned to stream as it comes.
 */
export async function forwardToCluster(
  cluster: UpstreamCluster,
  req: UpstreamRequest,
  plan: RetryPlan,
  opts: { readonly hashKey?: string; readonly deadline: AbortSignal },
): Promise<ForwardResult> {
  const tried = new Set<string>();
  let attempts = 0;
  let last: ForwardResult | undefined;
  for (;;) {
    if (opts.deadline.aborted) return { status: 504, flags: [ResponseFlags.upstreamRequestTimeout], attempts, detail: 'upstream request timeout' };
    // A retry prefers an endpoint not tried yet, and falls back to any healthy one (Envoy's previous_hosts predicate).
    const endpoint = cluster.pick(opts.hashKey, tried) ?? (tried.size > 0 ? cluster.pick(opts.hashKey, new Set()) : undefined);
    if (endpoint === undefined) {
      if (last !== undefined) return retriesExhausted(last, attempts);
      return { status: 503, flags: [ResponseFlags.noHealthyUpstream], attempts, detail: `no healthy upstream for ${cluster.name}` };
    }
    const release = await cluster.admit(opts.deadline);
    if (release === undefined) {
      if (opts.deadline.aborted) return { status: 504, flags: [ResponseFlags.upstreamRequestTimeout], attempts, detail: 'upstream request timeout' };
      return { status: 503, flags: [ResponseFlags.upstreamOverflow], attempts, detail: `upstream connect error or disconnect/reset before headers. reset reason: overflow (${cluster.name})` };
    }
    const key = cluster.endpointKey(endpoint);
    tried.add(key);
    attempts += 1;
    const attempt = plan.perTryTimeoutMs !== undefined ? AbortSignal.any([opts.deadline, AbortSignal.timeout(plan.perTryTimeoutMs)]) : opts.deadline;
    cluster.started(key);
    const result = await cluster.dial(endpoint, req, attempt);
    let outcome: AttemptOutcome;
    if (result.ok) {
      const grpcStatus = grpcStatusOf(result.response.headers);
      outcome = { kind: 'response', status: result.response.status, ...(grpcStatus !== undefined ? { grpcStatus } : {}) };
    } else {
      outcome = { kind: result.failure.kind === 'overflow' ? 'reset' : result.failure.kind };
    }
    const canRetry = attempts <= plan.retries && plan.shouldRetry(outcome) && req.body.replayable() && !opts.deadline.aborted;
    if (result.ok) {
      const response = result.response;
      let done = false;
      const settle = (): void => {
        if (done) return;
        done = true;
        release();
        cluster.finished(key, outcome);
      };
      if (canRetry) {
        response.abort();
        response.body.resume();
        settle();
        last = { response: undefined, status: response.status, flags: [], endpoint, attempts };
        await pause(plan.backoffMs(attempts), opts.deadline);
        continue;
      }
      // The slot is held until the body has been relayed; the attempt's timeout keeps running meanwhile.
      response.trailers.then(settle, settle);
      response.body.once('close', settle);
      const flags = attempts > 1 && plan.shouldRetry(outcome) ? [ResponseFlags.upstreamRetryLimitExceeded] : [];
      return { response, status: response.status, flags, endpoint, attempts };
    }
    release();
    cluster.finished(key, outcome);
    const failure = result.failure;
    const timedOut = failure.kind === 'timeout' && opts.deadline.aborted;
    last = {
      status: failure.kind === 'timeout' ? 504 : 503,
      flags: [failureFlag[failure.kind]],
      endpoint,
      attempts,
      detail: timedOut || failure.kind === 'timeout' ? 'upstream request timeout' : `upstream connect error or disconnect/reset before headers. reset reason: ${failure.kind}, ${failure.message}`,
    };
    if (!canRetry) return attempts > 1 ? retriesExhausted(last, attempts) : last;
    await pause(plan.backoffMs(attempts), opts.deadline);
  }
}

const retriesExhausted = (last: ForwardResult, attempts: number): ForwardResult =>
  last.response !== undefined || last.flags.length === 0
    ? { ...last, attempts, flags: [ResponseFlags.upstreamRetryLimitExceeded] }
    : { ...last, attempts, flags: [...last.flags, ResponseFlags.upstreamRetryLimitExceeded] };

const pause = (ms: number, signal: AbortSignal): Promise<void> => (ms <= 0 ? Promise.resolve() : sleep(ms, undefined, { signal }).catch(() => undefined));
