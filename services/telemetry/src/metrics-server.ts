import type { Logger } from '@jetmesh/log';
import { topRows, type TopQuery, type TopShare } from '@jetmesh/model';
import { serveAdmin, type AdminReply, type AdminServer, type Readiness } from '@jetmesh/runtime';
import { PROMETHEUS_TEXT_CONTENT_TYPE } from './metrics/istio-exposition.js';

/** The path of one replica's `top` share over HTTP. */
export const TOP_API_PATH = '/api/v1/top';

export interface MetricsServerOptions {
  readonly port: number;
  readonly host: string;
  /** Istio's metrics, Prometheus text. */
  readonly istioMetrics: () => string;
  readonly topShare: (query: TopQuery) => TopShare;
  readonly ready: () => Readiness;
}

const json = (body: unknown, status = 200): AdminReply => ({ status, body: `${JSON.stringify(body)}\n`, contentType: 'application/json' });

/**
 * The metrics port (15014): Istio's standard metrics on /metrics for Prometheus, and this
 * replica's share of `top` on /api/v1/top[?namespace=NS] (the share plus its rows; `jetmesh top`
 * asks every replica over NATS instead and merges). /healthz and /readyz as on the admin port.
 */
export function serveMetrics(opts: MetricsServerOptions, log: Logger): Promise<AdminServer> {
  return serveAdmin(
    {
      port: opts.port,
      host: opts.host,
      registry: { metrics: () => Promise.resolve(opts.istioMetrics()), contentType: PROMETHEUS_TEXT_CONTENT_TYPE },
      ready: opts.ready,
      routes: {
        [TOP_API_PATH]: (url) => {
          const namespace = url.searchParams.get('namespace');
          const share = opts.topShare(namespace === null || namespace === '' ? {} : { namespace });
          return json({ ...share, rows: topRows(share.services, share.windowSeconds) });
        },
      },
    },
    log,
  );
}
