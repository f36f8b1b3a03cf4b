import { forEachStoredJson, streamLastSequence, Streams, type Bus } from '@jetmesh/bus';
import { ChainVerification, mergeTopShares, topRows, type ChainVerdict, type HistoryEntry, type TopRow } from '@jetmesh/model';
import { gatherTopShares, historyLines, replayToPoints, type PastEndOfLog, type ReplayedPoint } from '@jetmesh/replay';
import type { Either } from 'fp-ts/lib/Either.js';

/** Everything the console shows comes from here: the bus, read with the CLI's replay. */
export interface MeshReader {
  lastSequence(): Promise<number>;
  /** Each sequence undefined: the end of the log. */
  replay(points: ReadonlyArray<number | undefined>): Promise<Either<PastEndOfLog, ReplayedPoint[]>>;
  history(): Promise<HistoryEntry[]>;
  verifyChain(): Promise<ChainVerdict>;
  /** Telemetry's rows of the last minute; undefined when no telemetry replica answered. */
  traffic(): Promise<TopRow[] | undefined>;
}

/** Every telemetry replica answers once, so gathering ends on a timer (as `jetmesh top`). */
const TOP_WAIT_MS = 300;

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
  };
}
