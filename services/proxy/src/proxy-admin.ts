import type { Registry } from 'prom-client';
import type { Logger } from '@jetmesh/log';
import { serveAdmin, type AdminServer, type Readiness } from '@jetmesh/runtime';

/** What `/config_dump` shows (and `jetmesh proxy-config` prints): the state the proxy routes with. */
export type ConfigDump = Record<string, unknown>;

export interface ProxyAdminOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  /** Ready: a certificate, and the workload snapshot (fresh or from disk). */
  readonly ready: () => Readiness;
  readonly configDump: () => ConfigDump;
}

/**
 * The service admin endpoints (/healthz, /readyz, /metrics) under Envoy's admin names too, the
 * ones a mesh operator reaches for: /ready, /stats, /stats/prometheus, /config_dump. Loopback only.
 */
export function serveProxyAdmin(opts: ProxyAdminOptions, log: Logger): Promise<AdminServer> {
  const stats = async () => ({ body: await opts.registry.metrics(), contentType: opts.registry.contentType });
  return serveAdmin(
    {
      host: opts.host,
      port: opts.port,
      registry: opts.registry,
      ready: opts.ready,
      routes: {
        '/ready': () => {
          const r = opts.ready();
          return r.ready ? { body: 'ready\n' } : { status: 503, body: `not ready: ${r.reason ?? 'starting'}\n` };
        },
        '/stats': stats,
        '/stats/prometheus': stats,
        '/config_dump': () => ({ body: `${JSON.stringify(opts.configDump(), null, 2)}\n`, contentType: 'application/json' }),
      },
    },
    log,
  );
}
