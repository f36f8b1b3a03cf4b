import type * as t from 'io-ts';
import { type Either } from 'fp-ts/lib/Either.js';
import { decodeWith, enumOf, list, nonNegativeInt, refine, str, struct } from './codec/schema.js';
import { histogramQuantile } from './histogram-quantile.js';
import type { Invalid } from './invalid.js';
import { ISTIO_DURATION_BUCKETS_MS, windowHistogramCodec, type WindowHistogram } from './telemetry-report.js';

/*
 * Traffic per edge (caller workload → destination service): what one telemetry replica answers
 * on Subjects.telemetryEdges, and how the console turns every replica's answer into figures. As
 * with `top`, answers carry counts that add up across replicas; rates and quantiles come after
 * the merge.
 */

/** Everything one reporter side said about the calls of one source workload to one destination service. */
export interface EdgeShare {
  /** `source_workload_namespace`, `source_workload`, `source_canonical_service` ("unknown" when not in the mesh). */
  readonly sourceNamespace: string;
  readonly sourceWorkload: string;
  readonly sourceService: string;
  /** `destination_service_namespace`, `destination_service` (the host). */
  readonly destinationNamespace: string;
  readonly destinationService: string;
  readonly reporter: 'source' | 'destination';
  readonly requests: number;
  /** Requests answered 5xx. */
  readonly serverErrors: number;
  /** Requests over mutual TLS (`connection_security_policy`: only the destination side knows it). */
  readonly mutualTls: number;
  /** Per ISTIO_DURATION_BUCKETS_MS bucket, then +Inf; not cumulative. */
  readonly durationMs: WindowHistogram;
}

export interface EdgeTrafficShare {
  readonly replica: string;
  /** When the replica answered (RFC 3339). */
  readonly at: string;
  /** The seconds the counts span, ending at `at`. */
  readonly windowSeconds: number;
  readonly edges: readonly EdgeShare[];
  /** Edges left out because the answer would exceed the bus's message size. */
  readonly omitted?: number;
}

const EdgeShareCodec = struct(
  'EdgeShare',
  {
    sourceNamespace: str,
    sourceWorkload: str,
    sourceService: str,
    destinationNamespace: str,
    destinationService: str,
    reporter: enumOf('EdgeReporter', ['source', 'destination'] as const),
    requests: nonNegativeInt,
    serverErrors: nonNegativeInt,
    mutualTls: nonNegativeInt,
    durationMs: windowHistogramCodec(ISTIO_DURATION_BUCKETS_MS.length),
  },
  {},
);

export const EdgeTrafficShareCodec = struct(
  'EdgeTrafficShare',
  {
    replica: str,
    at: str,
    windowSeconds: refine(nonNegativeInt, 'WindowSeconds', (n) => (n === 0 ? 'must be > 0' : undefined)),
    edges: list(EdgeShareCodec),
  },
  { omitted: nonNegativeInt },
) as unknown as t.Type<EdgeTrafficShare, unknown, unknown>;

export const decodeEdgeTrafficShare = (u: unknown): Either<Invalid[], EdgeTrafficShare> => decodeWith(EdgeTrafficShareCodec, u);

/** One edge's identity: who called which service, as one reporter side saw it. */
export const edgeShareKey = (e: Pick<EdgeShare, 'sourceNamespace' | 'sourceWorkload' | 'sourceService' | 'destinationNamespace' | 'destinationService' | 'reporter'>): string =>
  `${e.sourceNamespace}\u0000${e.sourceWorkload}\u0000${e.sourceService}\u0000${e.destinationNamespace}\u0000${e.destinationService}\u0000${e.reporter}`;

/** Adds up the replicas' edges per (source, destination, reporter). */
export function mergeEdgeShares(shares: readonly EdgeTrafficShare[]): EdgeShare[] {
  const merged = new Map<string, { edge: EdgeShare; requests: number; serverErrors: number; mutualTls: number; counts: number[]; sum: number }>();
  for (const share of shares) {
    for (const e of share.edges) {
      const key = edgeShareKey(e);
      let m = merged.get(key);
      if (m === undefined) {
        m = { edge: e, requests: 0, serverErrors: 0, mutualTls: 0, counts: new Array<number>(ISTIO_DURATION_BUCKETS_MS.length + 1).fill(0), sum: 0 };
        merged.set(key, m);
      }
      m.requests += e.requests;
      m.serverErrors += e.serverErrors;
      m.mutualTls += e.mutualTls;
      m.sum += e.durationMs.sum;
      e.durationMs.counts.forEach((c, i) => (m.counts[i] = (m.counts[i] ?? 0) + c));
    }
  }
  return [...merged.values()].map(({ edge, requests, serverErrors, mutualTls, counts, sum }) => ({ ...edge, requests, serverErrors, mutualTls, durationMs: { counts, sum } }));
}

/** One caller → service edge's figures over the window. */
export interface EdgeRow {
  readonly sourceNamespace: string;
  readonly sourceWorkload: string;
  readonly sourceService: string;
  readonly destinationNamespace: string;
  readonly destinationService: string;
  readonly reporter: 'source' | 'destination';
  readonly requests: number;
  readonly rps: number;
  /** 5xx share of the requests, 0..1. */
  readonly errorRate: number;
  readonly p99Ms: number;
  /** Share of the calls the server side saw over mutual TLS, 0..1; undefined: no server side reported. */
  readonly mutualTls?: number;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One row per edge over a `windowSeconds` window. Both proxies report each call, so an edge
 * counts one side: the source's (the caller saw every call it made, even those that never
 * reached a server), else the destination's (a caller without a sidecar reports nothing).
 * Whether calls were mutual TLS only the destination side knows, so that comes from it.
 */
export function edgeRows(edges: readonly EdgeShare[], windowSeconds: number): EdgeRow[] {
  const chosen = new Map<string, EdgeShare>();
  const served = new Map<string, EdgeShare>();
  for (const e of edges) {
    if (e.requests === 0) continue;
    const key = edgeShareKey({ ...e, reporter: 'source' });
    if (e.reporter === 'destination') served.set(key, e);
    const seen = chosen.get(key);
    if (seen === undefined || (seen.reporter === 'destination' && e.reporter === 'source')) chosen.set(key, e);
  }
  return [...chosen.entries()]
    .map(([key, e]) => ({ e, server: served.get(key) }))
    .sort((a, b) => compare(a.e.sourceNamespace, b.e.sourceNamespace) || compare(a.e.sourceWorkload, b.e.sourceWorkload) || compare(a.e.destinationService, b.e.destinationService))
    .map(({ e, server }) => ({

      sourceNamespace: e.sourceNamespace,
      sourceWorkload: e.sourceWorkload,
      sourceService: e.sourceService,
      destinationNamespace: e.destinationNamespace,
      destinationService: e.destinationService,
      reporter: e.reporter,
      requests: e.requests,
      rps: e.requests / windowSeconds,
      errorRate: e.serverErrors / e.requests,
      p99Ms: histogramQuantile(0.99, ISTIO_DURATION_BUCKETS_MS, e.durationMs.counts),
      ...(server !== undefined ? { mutualTls: server.mutualTls / server.requests } : {}),
    }));
}
