import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@jetmesh/log';
import { formatVersion, type PilotProxyStatus, type XdsStreamStatus } from '@jetmesh/model';
import type { SnapshotCache } from '../snapshot-cache.js';
import type { AdsStream, StreamContext } from './ads-stream.js';
import { openDeltaStream } from './delta-stream.js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse } from './discovery-messages.js';
import type { EventClock } from './event-clock.js';
import { openSotwStream } from './sotw-stream.js';
import { WatchIndex } from './watch-index.js';
import { createXdsCache, type XdsCache } from './xds-cache.js';
import type { XdsMetrics } from './xds-metrics.js';
import { xdsProtos } from './xds-protos.js';

export interface XdsServerOptions {
  readonly host: string;
  /** 0: any free port (tests). */
  readonly port: number;
  /** Names this replica in proxy-status. */
  readonly replica: string;
}

/** Pilot's ADS endpoint: state-of-the-world and delta xDS over the snapshots of one replica. */
export interface XdsServer {
  readonly port: number;
  readonly cache: XdsCache;
  /** Every stream this replica serves, as `jetmesh proxy-status` shows them. */
  status(): PilotProxyStatus;
  /** Ends every stream at once, so clients move to another replica, and stops listening. */
  close(): Promise<void>;
}

// Dead clients are noticed without waiting for TCP; idle ADS streams are the normal case.
const serverOptions: grpc.ServerOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  // A client subscribed to a whole large mesh gets one big response per type.
  'grpc.max_send_message_length': 64 * 1024 * 1024,
};

/** How long close waits for the clients to be told before it cuts their connections. */
const STATUS_FLUSH_MS = 1_000;

export async function startXdsServer(
  snapshots: SnapshotCache,
  opts: XdsServerOptions,
  deps: { readonly log: Logger; readonly metrics: XdsMetrics; readonly clock: EventClock },
): Promise<XdsServer> {
  const { log, metrics, clock } = deps;
  const protos = xdsProtos();
  const cache = createXdsCache(protos, log, metrics);
  const streams = new Set<AdsStream>();
  const ctx: StreamContext = {
    cache,
    index: new WatchIndex<AdsStream>(),
    metrics,
    log,
    publishedAt: (change) => clock.publishedAt(change.version, change.previous),
    register: (stream) => {
      streams.add(stream);
      metrics.connectedProxies.inc({ protocol: stream.protocol });
    },
    unregister: (stream) => {
      if (streams.delete(stream)) metrics.connectedProxies.dec({ protocol: stream.protocol });
    },
  };

  let ids = 0;
  // Open calls, so that close can end each with a status of its own.
  const calls = new Set<NodeJS.EventEmitter>();
  const tracked = <C extends NodeJS.EventEmitter>(call: C): C => {
    calls.add(call);
    call.once('close', () => calls.delete(call));
    return call;
  };
  const server = new grpc.Server(serverOptions);
  server.addService(protos.adsService, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => openSotwStream(tracked(call), ctx, ++ids),
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) => openDeltaStream(tracked(call), ctx, ++ids),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );

  const unsubscribe = snapshots.subscribe(({ set }) => {
    const change = cache.update(set);
    for (const [stream, types] of ctx.index.affected(change)) stream.onChange(types, change);
    // Streams holding answers for the first snapshots, or for a version a client reported, may answer now.
    for (const stream of streams) stream.onVersion();
    metrics.pushSeconds.observe((performance.now() - change.startedAt) / 1000);
  });
  log.info({ port, host: opts.host }, 'xDS (ADS) listening');

  return {
    port,
    cache,
    status: () => {
      const version = cache.version();
      const rows = [...streams].map((s) => s.status()).filter((s): s is XdsStreamStatus => s !== undefined);
      rows.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.connectedAt < b.connectedAt ? -1 : 1));
      return { replica: opts.replica, version: version === undefined ? '' : formatVersion(version), streams: rows };
    },
    close: async () => {
      unsubscribe();
      // UNAVAILABLE, not the CANCELLED a bare force shutdown gives: the server is going away, so
      // clients reconnect at once (to another replica) with the versions they hold.
      const goingAway = Object.assign(new Error('pilot is shutting down'), { code: grpc.status.UNAVAILABLE });
      for (const call of calls) call.emit('error', goingAway);
      // A graceful shutdown lets those statuses reach the clients (a forced one resets the streams
      // first); bounded, since a client that never reads would hold it open.
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, STATUS_FLUSH_MS);
        server.tryShutdown(() => {
          clearTimeout(cut);
          resolve();
        });
      });
    },
  };
}
