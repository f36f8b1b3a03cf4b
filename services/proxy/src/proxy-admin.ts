import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '@jetmesh/log';

/** What `/config_dump` shows (and `jetmesh proxy-config` prints): the state the proxy routes with. */
export type ConfigDump = Record<string, unknown>;

export interface ProxyAdminOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  /** Ready: a certificate, and the workload snapshot (fresh or from disk). */
  readonly ready: () => { readonly ready: boolean; readonly reason?: string };
  readonly configDump: () => ConfigDump;
}

export interface ProxyAdmin {
  readonly port: number;
  close(): Promise<void>;
}

const reply = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
};

async function route(req: IncomingMessage, res: ServerResponse, opts: ProxyAdminOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed\n');
  switch (new URL(req.url ?? '/', 'http://admin').pathname) {
    case '/healthz':
      return reply(res, 200, 'ok\n');
    case '/ready':
    case '/readyz': {
      const r = opts.ready();
      return r.ready ? reply(res, 200, 'ready\n') : reply(res, 503, `not ready: ${r.reason ?? 'starting'}\n`);
    }
    case '/stats':
    case '/stats/prometheus':
    case '/metrics':
      return reply(res, 200, await opts.registry.metrics(), opts.registry.contentType);
    case '/config_dump':
      return reply(res, 200, `${JSON.stringify(opts.configDump(), null, 2)}\n`, 'application/json');
    default:
      return reply(res, 404, 'not found: try /healthz /ready /stats /config_dump\n');
  }
}

/** Envoy's admin port, the parts a mesh operator uses: /healthz, /ready, /stats, /config_dump. Loopback only. */
export async function serveProxyAdmin(opts: ProxyAdminOptions, log: Logger): Promise<ProxyAdmin> {
  const server = createServer((req, res) => {
    route(req, res, opts).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'admin request failed');
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
