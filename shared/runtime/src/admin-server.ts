import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '@jetmesh/log';
import { listenHttp, type HttpListener } from './http-listener.js';

export interface Readiness {
  readonly ready: boolean;
  /** Shown in the 503 body: what the service is still waiting for. */
  readonly reason?: string;
}

export interface AdminOptions {
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  /** Loopback by default: these endpoints are for the local supervisor and scrapers, not the world. */
  readonly host?: string;
  readonly ready: () => Readiness;
  /** What /metrics serves: a prom-client Registry, or any text source of the same shape. */
  readonly registry: Pick<Registry, 'metrics' | 'contentType'>;
  /** More GET endpoints by path (a proxy's /config_dump, Envoy's /stats and /ready names); `url` carries the query. */
  readonly routes?: Readonly<Record<string, (url: URL) => AdminReply | Promise<AdminReply>>>;
}

export interface AdminReply {
  readonly status?: number;
  readonly body: string;
  readonly contentType?: string;
}

export type AdminServer = HttpListener;

/** The admin server's own paths: what supervisors, probes (deploy/k8s) and scrapers ask. */
export const AdminPaths = {
  /** 200 while the process runs: a liveness probe. */
  health: '/healthz',
  /** 200 once serving, else 503 with the reason: a readiness probe. */
  ready: '/readyz',
  metrics: '/metrics',
} as const;

function reply(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

async function route(req: IncomingMessage, res: ServerResponse, opts: AdminOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return reply(res, 405, 'method not allowed\n');
  }
  const url = new URL(req.url ?? '/', 'http://admin');
  const path = url.pathname;
  const extra = opts.routes?.[path];
  if (extra !== undefined) {
    const r = await extra(url);
    return reply(res, r.status ?? 200, r.body, r.contentType);
  }
  switch (path) {
    case AdminPaths.health:
      return reply(res, 200, 'ok\n');
    case AdminPaths.ready: {
      const { ready, reason } = opts.ready();
      return ready ? reply(res, 200, 'ready\n') : reply(res, 503, `not ready: ${reason ?? 'starting'}\n`);
    }
    case AdminPaths.metrics:
      return reply(res, 200, await opts.registry.metrics(), opts.registry.contentType);
    default:
      return reply(res, 404, 'not found\n');
  }
}

/** /healthz (process alive), /readyz (serving), /metrics (Prometheus text) over plain HTTP. */
export async function serveAdmin(opts: AdminOptions, log: Logger): Promise<AdminServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    route(req, res, opts).catch((err: unknown) => {
      // A failing probe or collector is a bug; answer 500 rather than take the service down.
      log.error({ err, url: req.url }, 'admin request failed');
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  const listener = await listenHttp(server, opts.port, host);
  log.info({ host, port: listener.port }, 'admin server listening');
  return listener;
}
