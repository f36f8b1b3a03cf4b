import type * as t from 'io-ts';
import { type Either } from 'fp-ts/lib/Either.js';
import { decodeWith, enumOf, list, nonNegativeInt, refine, str, struct } from './codec/schema.js';
import { histogramQuantile } from './histogram-quantile.js';
import type { Invalid } from './invalid.js';
import { ISTIO_DURATION_BUCKETS_MS, windowHistogramCodec, type WindowHistogram } from './telemetry-report.js';

/*
 * `jetmesh top`: what one telemetry replica answers on Subjects.telemetryTop, and how the CLI
 * turns the answers of every replica into rows. Each replica folds only its share of the reports
 * (a queue group), so an answer carries counts and per-bucket duration counts, which add up
 * across replicas; rates and quantiles are computed once, after the merge.
 */

/** Everything one reporter side said about one destination service in the window. */
export interface TopServiceShare {
  /** `destination_service_namespace`. */
  readonly namespace: string;
  /** `destination_service` (the host, e.g. reviews.default.svc.cluster.local). */
  readonly service: string;
  readonly reporter: 'source' | 'destination';
  readonly requests: number;
  /** Requests answered 5xx. */
  readonly serverErrors: number;
  /** Per ISTIO_DURATION_BUCKETS_MS bucket, then +Inf; not cumulative. */
  readonly durationMs: WindowHistogram;
}

export interface TopShare {
  readonly replica: string;
  /** When the replica answered (RFC 3339): the window is the `windowSeconds` before it. */
  readonly at: string;
  readonly windowSeconds: number;
  readonly services: readonly TopServiceShare[];
  /** Services left out because the answer would exceed the bus's message size. */
  readonly omitted?: number;
}

/** What `jetmesh top` asks: one namespace (`destination_service_namespace`), or every one. */
export interface TopQuery {
  readonly namespace?: string;
}

const ServiceShareCodec = struct(
  'TopServiceShare',
  {
    namespace: str,
    service: str,
    reporter: enumOf('TopReporter', ['source', 'destination'] as const),
    requests: nonNegativeInt,
    serverErrors: nonNegativeInt,
    durationMs: windowHistogramCodec(ISTIO_DURATION_BUCKETS_MS.length),
  },
  {},
);

export const TopShareCodec = struct(
  'TopShare',
  {
    replica: str,
    at: str,
    windowSeconds: refine(nonNegativeInt, 'WindowSeconds', (n) => (n === 0 ? 'must be > 0' : undefined)),
    services: list(ServiceShareCodec),
  },
  { omitted: nonNegativeInt },
) as unknown as t.Type<TopShare, unknown, unknown>;

export const TopQueryCodec = struct('TopQuery', {}, { namespace: str }) as unknown as t.Type<TopQuery, unknown, unknown>;

export const decodeTopShare = (u: unknown): Either<Invalid[], TopShare> => decodeWith(TopShareCodec, u);
export const decodeTopQuery = (u: unknown): Either<Invalid[], TopQuery> => decodeWith(TopQueryCodec, u);

const shareKey = (s: Pick<TopServiceShare, 'namespace' | 'service' | 'reporter'>): string => `${s.namespace}\u0000${s.service}\u0000${s.reporter}`;

/** Adds up the replicas' shares per (namespace, service, reporter). */
export function mergeTopShares(shares: readonly TopShare[]): TopServiceShare[] {
  const merged = new Map<string, { namespace: string; service: string; reporter: TopServiceShare['reporter']; requests: number; serverErrors: number; counts: number[]; sum: number }>();
  for (const share of shares) {
    for (const s of share.services) {
      const key = shareKey(s);
      let m = merged.get(key);
      if (m === undefined) {
        m = { namespace: s.namespace, service: s.service, reporter: s.reporter, requests: 0, serverErrors: 0, counts: new Array<number>(ISTIO_DURATION_BUCKETS_MS.length + 1).fill(0), sum: 0 };
        merged.set(key, m);
      }
      m.requests += s.requests;
      m.serverErrors += s.serverErrors;
      m.sum += s.durationMs.sum;
      s.durationMs.counts.forEach((c, i) => (m.counts[i] = (m.counts[i] ?? 0) + c));
    }
  }
  return [...merged.values()].map(({ counts, sum, ...rest }) => ({ ...rest, durationMs: { counts, sum } }));
}

/** One line of `jetmesh top`. */
export interface TopRow {
  readonly namespace: string;
  readonly service: string;
  /** Which side's reports the row is from (see topRows). */
  readonly reporter: 'source' | 'destination';
  /** Requests in the window. */
  readonly requests: number;
  readonly rps: number;
  /** Non-5xx share of the requests, 0..1 (NaN without requests), as Istio's dashboards count it. */
  readonly successRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Rows per destination service over a `windowSeconds` window. Both proxies report each request,
 * so a service's row counts one side: the destination's (the server proxy saw what the service
 * served, as Istio's service dashboards use `reporter="destination"`), else the source's (a
 * destination without a sidecar reports nothing).
 */
export function topRows(services: readonly TopServiceShare[], windowSeconds: number): TopRow[] {
  const byService = new Map<string, TopServiceShare>();
  for (const s of services) {
    if (s.requests === 0) continue;
    const key = `${s.namespace}\u0000${s.service}`;
    const seen = byService.get(key);
    if (seen === undefined || (seen.reporter === 'source' && s.reporter === 'destination')) byService.set(key, s);
  }
  const q = (phi: number, s: TopServiceShare): number => histogramQuantile(phi, ISTIO_DURATION_BUCKETS_MS, s.durationMs.counts);
  return [...byService.values()]
    .sort((a, b) => compare(a.namespace, b.namespace) || compare(a.service, b.service))
    .map((s) => ({
      namespace: s.namespace,
      service: s.service,
      reporter: s.reporter,
      requests: s.requests,
      rps: s.requests / windowSeconds,
      successRate: (s.requests - s.serverErrors) / s.requests,
      p50Ms: q(0.5, s),
      p95Ms: q(0.95, s),
      p99Ms: q(0.99, s),
    }));
}
