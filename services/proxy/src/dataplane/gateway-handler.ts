import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import tls, { type SecureContext, type TLSSocket } from 'node:tls';
import type { GatewayRouteTable, GatewayServer, WorkloadSnapshot } from '@jetmesh/model';
import type { Logger } from '@jetmesh/log';
import { localReply } from './downstream-reply.js';
import { endToEndHeaders, headerValue } from './http-headers.js';
import type { DownstreamRequest, DownstreamResponse } from './http-listener.js';
import { routeRequest, type OutboundOptions } from './outbound-handler.js';
import { ResponseFlags } from './response-flags.js';
import type { RequestView } from './route-decisions.js';

/**
 * Envoy's domain matching for Gateway servers and VirtualService hosts: `*`, exact, or `*` before a
 * suffix (`*.foo.com`, and the partial `*-api.foo.com`), where `*` stands for at least one character.
 */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*')) return h.length > p.length - 1 && h.endsWith(p.slice(1));
  return p === h;
}

const servesPort = (server: GatewayServer, port: number): boolean => server.port.number === port || server.port.targetPort === port;

export interface GatewayOptions {
  readonly outbound: OutboundOptions;
  readonly workload: () => WorkloadSnapshot | undefined;
  /** `credentialName` secrets: `<dir>/<name>/tls.crt` + `tls.key`, or `<dir>/<name>.crt` + `.key`. */
  readonly credentialsDir?: string;
  readonly log: Logger;
}

export interface GatewayHandler {
  handlerFor(port: number): (req: DownstreamRequest, res: DownstreamResponse) => void;
  /** Picks the server certificate by SNI among the HTTPS servers of `port`. */
  sniCallback(port: number): (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
}

interface LoadedContext {
  readonly stamp: string;
  readonly context: SecureContext;
}

/**
 * An ingress gateway: the Gateways selecting this workload say which hosts each port serves
 * (HTTP, or HTTPS with a certificate file or a credential), the VirtualServices bound to them
 * say how to route; an unknown host is 404 (NR).
 */
export function createGatewayHandler(opts: GatewayOptions): GatewayHandler {
  const contexts = new Map<string, LoadedContext>();

  const serversOn = (port: number): Array<{ server: GatewayServer; tables: readonly GatewayRouteTable[] }> =>
    (opts.workload()?.gateways ?? []).flatMap((g) => g.servers.filter((s) => servesPort(s, port)).map((server) => ({ server, tables: g.routeTables })));

  const certificateFiles = (server: GatewayServer): { cert: string; key: string } | undefined => {
    const t = server.tls;
    if (t === undefined) return undefined;
    if (t.serverCertificate !== undefined && t.privateKey !== undefined) return { cert: t.serverCertificate, key: t.privateKey };
    if (t.credentialName !== undefined && opts.credentialsDir !== undefined) {
      const dir = join(opts.credentialsDir, t.credentialName);
      try {
        statSync(join(dir, 'tls.crt'));
        return { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
      } catch {
        return { cert: join(opts.credentialsDir, `${t.credentialName}.crt`), key: join(opts.credentialsDir, `${t.credentialName}.key`) };
      }
    }
    return undefined;
  };

  const contextFor = (server: GatewayServer): SecureContext | undefined => {
    const files = certificateFiles(server);
    if (files === undefined) return undefined;
    try {
      const stamp = `${statSync(files.cert).mtimeMs}:${statSync(files.key).mtimeMs}`;
      const key = `${files.cert}\0${files.key}`;
      const cached = contexts.get(key);
      if (cached !== undefined && cached.stamp === stamp) return cached.context;
      const context = tls.createSecureContext({ cert: readFileSync(files.cert), key: readFileSync(files.key) });
      contexts.set(key, { stamp, context });
      return context;
    } catch (err) {
      opts.log.error({ err: (err as Error).message, server: server.name, cert: files.cert }, 'gateway certificate cannot be loaded');
      return undefined;
    }
  };

  return {
    sniCallback: (port) => (servername, cb) => {
      const https = serversOn(port).filter(({ server }) => server.tls !== undefined && server.tls.httpsRedirect !== true);
      const match = https.find(({ server }) => server.hosts.some((h) => hostMatches(h, servername))) ?? https[0];
      const ctx = match !== undefined ? contextFor(match.server) : undefined;
      if (ctx === undefined) cb(new Error(`no certificate for ${servername} on port ${port}`));
      else cb(null, ctx);
    },
    handlerFor: (port) => (req, res) => {
      const started = performance.now();
      const secure = ((req.socket as TLSSocket).encrypted ?? false) === true || (req as { stream?: { session?: { socket?: TLSSocket } } }).stream?.session?.socket?.encrypted === true;
      const authority = headerValue(req.headers[':authority']) ?? headerValue(req.headers.host) ?? '';
      const host = authority.replace(/:\d+$/, '').toLowerCase();
      const candidates = serversOn(port).filter(({ server }) => (server.tls !== undefined && server.tls.httpsRedirect !== true) === secure || server.tls?.httpsRedirect === true);
      const matched = candidates.find(({ server }) => server.hosts.some((h) => hostMatches(h.includes('/') ? h.slice(h.indexOf('/') + 1) : h, host)));
      if (matched === undefined) {
        localReply(res, 404, `no gateway server for ${host} on port ${port}`, [ResponseFlags.noRoute]);
        return;
      }
      if (!secure && matched.server.tls?.httpsRedirect === true) {
        localReply(res, 301, '', [], { location: `https://${host}${req.url ?? '/'}` });
        return;
      }
      const table = matched.tables.find((t) => hostMatches(t.host, host) && (t.ports.length === 0 || t.ports.includes(matched.server.port.number)));
      if (table === undefined) {
        localReply(res, 404, `no route for ${host}${req.url ?? '/'}`, [ResponseFlags.noRoute]);
        return;
      }
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(endToEndHeaders(req.headers))) flat[k] = Array.isArray(v) ? v.join(',') : v;
      const view: RequestView = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        host,
        authority,
        port: matched.server.port.number,
        scheme: secure ? 'https' : 'http',
        headers: flat,
        sourceIp: req.socket.remoteAddress ?? '',
      };
      routeRequest(opts.outbound, req, res, table, view, { started }).catch((err: unknown) => {
        opts.log.error({ err }, 'gateway request failed unexpectedly');
        localReply(res, 500, 'internal proxy error', []);
      });
    },
  };
}
