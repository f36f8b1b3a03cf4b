import { forEachStoredJson, streamLastSequence, Streams, type Bus } from '@jetmesh/bus';
import { ChainVerification, mergeTopShares, topRows, type ChainVerdict, type EdgeRow, type HistoryEntry, type TopRow, type XdsStreamStatus } from '@jetmesh/model';
import { gatherEdgeTraffic, gatherPilotStatus, gatherSidecarStatus, gatherTopShares, historyLines, replayToPoints, type PastEndOfLog, type ReplayedPoint, type SidecarSyncRow } from '@jetmesh/replay';
import type { Either } from 'fp-ts/lib/Either.js';

/** One workload's proxies as they are now (`GET /proxies`). */
export type ProxyStatusAnswer = Awaited<ReturnType<MeshReader['proxyStatus']>>;

/** Everything the console shows comes from here: the bus, read with the CLI's replay. */
export interface MeshReader {
  lastSequence(): Promise<number>;
  /** Each sequence undefined: the end of the log. */
  replay(points: ReadonlyArray<number | undefined>): Promise<Either<PastEndOfLog, ReplayedPoint[]>>;
  history(): Promise<HistoryEntry[]>;
  verifyChain(): Promise<ChainVerdict>;
  /** Telemetry's rows of the last minute; undefined when no telemetry replica answered. */
  traffic(): Promise<TopRow[] | undefined>;
  /** Telemetry's per-edge rows of the last minute; undefined when no telemetry replica answered. */
  edgeTraffic(): Promise<EdgeRow[] | undefined>;
  /** One workload's sidecars (their snapshots against KV, their certificates) and every pilot replica's xDS streams, as they are now. */
  proxyStatus(namespace: string, name: string): Promise<{ sidecars: SidecarSyncRow[]; xds: Array<XdsStreamStatus & { replica: string }>; pilots: number }>;
}

/** Every telemetry replica (pilot replica, proxy) answers once, so gathering ends on a timer (as `jetmesh top`, `proxy-status`). */
const TOP_WAIT_MS = 300;
const STATUS_WAIT_MS = 300;

/**
 * Whether an xDS stream is the workload's: its node id is the name, or Istio's
 * `type~ip~<name>.<ns>~…` form names it.
 */
export const xdsStreamOf = (s: XdsStreamStatus, namespace: string, name: string): boolean => {
  if (s.node === name || s.node === `${name}.${namespace}`) return s.namespace === undefined || s.namespace === namespace;
  return s.node.split('~')[2] === `${name}.${namespace}`;
};

export function createMeshReader(bus: Bus): MeshReader {
  return {
    lastSequence: () => streamLastSequence(bus, Streams.config),
    replay: (points) => replayToPoints(bus, points.map((seq) => (seq === undefined ? undefined : { kind: 'sequence' as const, seq }))),
    history: async () => {
      const entries: HistoryEntry[] = [];
      for await (const line of historyLines(bus, {})) entries.push(line.entry);
      return entries;
    },
    verifyChain: async () => {
      const chain = new ChainVerification();
      await forEachStoredJson(bus, Streams.config, (seq, json) => chain.message(seq, json));
      return chain.verdict();
    },
    traffic: async () => {
      const { shares } = await gatherTopShares(bus, {}, TOP_WAIT_MS);
      const first = shares[0];
      return first === undefined ? undefined : topRows(mergeTopShares(shares), first.windowSeconds);
    },
    edgeTraffic: async () => (await gatherEdgeTraffic(bus, TOP_WAIT_MS)).rows,
    proxyStatus: async (namespace, name) => {
      const [sidecars, pilots] = await Promise.all([gatherSidecarStatus(bus, { namespace, name }, STATUS_WAIT_MS), gatherPilotStatus(bus, STATUS_WAIT_MS)]);
      const xds = pilots.replies.flatMap((r) => r.streams.filter((s) => xdsStreamOf(s, namespace, name)).map((s) => ({ ...s, replica: r.replica })));
      return { sidecars: sidecars.proxies, xds, pilots: pilots.replies.length };
    },
  };
}
