import { Subjects, fitReply, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { EdgeTrafficShare } from '@jetmesh/model';
import { EdgeTraffic, type CumulativeSeries } from './edge-traffic.js';

export interface EdgeResponder {
  stop(): void;
}

export interface EdgeResponderOptions {
  /** The replica's Istio series since start (the fold's table). */
  readonly series: { values(): Iterable<CumulativeSeries> };
  readonly replica: string;
  readonly windowSeconds: number;
  /** How often the totals are sampled: the window's start is this precise. Default 5 s. */
  readonly sampleMs?: number;
  readonly now: () => number;
}


/**
 * Answers the console's per-edge traffic question on a plain request subject with no queue
 * group: every replica answers with its own share of the reports (counts that add up), as for
 * `jetmesh top`.
 */
export function answerEdgeTraffic(bus: Bus, opts: EdgeResponderOptions, log: Logger): EdgeResponder {
  const edges = new EdgeTraffic(opts.windowSeconds);
  edges.sample(opts.series.values(), opts.now());
  const timer = setInterval(() => edges.sample(opts.series.values(), opts.now()), opts.sampleMs ?? 5_000);
  timer.unref();
  const sub = bus.nc.subscribe(Subjects.telemetryEdges, {
    callback: (err, msg) => {
      if (err !== null) {
        log.error({ err }, 'edge traffic subscription failed');
        return;
      }
      const at = opts.now();
      const { windowSeconds, edges: shares } = edges.share(opts.series.values(), at);
      const limit = bus.nc.info?.max_payload ?? 1024 * 1024;
      msg.respond(JSON.stringify(fitReply<EdgeTrafficShare, 'edges'>({ replica: opts.replica, at: new Date(at).toISOString(), windowSeconds, edges: shares }, 'edges', limit)));
    },
  });
  return {
    stop: () => {
      clearInterval(timer);
      sub.unsubscribe();
    },
  };
}
