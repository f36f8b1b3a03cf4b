import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fqdn, type RouteRule, type RoutingSnapshot, type WeightedDestination } from '@jetmesh/model';
import type { Logger } from '@jetmesh/log';
import type { ClusterRegistry } from './cluster-registry.js';
import { localGrpcReply, localReply, relayResponse } from './downstream-reply.js';
import { endToEndHeaders, headerValue } from './http-headers.js';
import type { DownstreamRequest, DownstreamResponse } from './http-listener.js';
import { encodePeerMetadata, MeshHeaders, stripMeshHeaders, type PeerMetadata } from './mesh-headers.js';
import { ReplayableBody } from './request-body.js';
import { ResponseFlags } from './response-flags.js';
import type { RequestView, RouteDecisions } from './route-decisions.js';
import type { ServedRequest } from './served-request.js';
import { forwardToCluster, type ForwardResult } from './upstream-forwarder.js';
import type { UpstreamRequest } from './upstream.js';
import type { RequestTracing } from '../tracing/proxy-tracing.js';

/** Where the outbound side finds a host's snapshot (following it from the first ask on). */
export interface HostSnapshots {
  /** The last good snapshot of `host`, waiting up to `waitMs` for the first one. */
  host(host: string, waitMs: number): Promise<RoutingSnapshot | undefined>;
  /** The snapshot of `host` already held, without waiting (every request after a host's first). */
  known(host: string): RoutingSnapshot | undefined;
}

export interface OutboundOptions {
  /** The proxy's namespace: short names (`reviews`) expand in it, as in Istio. */
  readonly namespace: string;
  readonly self: PeerMetadata;
  readonly snapshots: HostSnapshots;
  readonly clusters: ClusterRegistry;
  readonly decisions: RouteDecisions;
  readonly random: () => number;
  readonly served: (record: ServedRequest) => void;
  readonly log: Logger;
  /** How long a first request to a host waits for its snapshot. */
  readonly snapshotWaitMs: number;
  /** Largest request body kept for retries and mirrors. */
  readonly replayLimitBytes: number;
  /** A client span per request, a child of the context the app forwarded; its context goes upstream. */
  readonly tracing?: RequestTracing;
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly authority: string;
}

const isH2 = (req: DownstreamRequest): boolean => req.httpVersionMajor === 2;

/** The host and port the app addressed: absolute-form (HTTP_PROXY) or the Host / :authority header. */
function targetOf(req: DownstreamRequest): Target | undefined {
  const url = req.url ?? '/';
  if (/^https?:\/\//i.test(url)) {
    try {
      const u = new URL(url);
      const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      return { host: u.hostname.toLowerCase(), port, path: `${u.pathname}${u.search}`, authority: u.host };
    } catch {
      return undefined;
    }
  }
  const authority = headerValue(req.headers[':authority']) ?? headerValue(req.headers.host);
  if (authority === undefined || authority === '') return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(authority);
  if (m === null) return undefined;
  return { host: (m[1] ?? '').toLowerCase(), port: m[2] !== undefined ? Number(m[2]) : 80, path: url, authority };
}

const flatHeaders = (headers: Record<string, string | string[]>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const k in headers) {
    const v = headers[k] as string | string[];
    out[k] = typeof v === 'string' ? v : v.join(',');
  }
  return out;
};

/**
 * The outbound side of a sidecar (and the routing half of a gateway): the app's request →
 * host → route table → match → fault → weighted destination → endpoint, with retries,
 * timeouts, mirrors and header edits; what the proxy answers itself says why in
 * `x-jetmesh-flags`.
 */
export function createOutboundHandler(opts: OutboundOptions): (req: DownstreamRequest, res: DownstreamResponse) => void {
  return (req, res) => {
    handle(opts, req, res).catch((err: unknown) => {
      opts.log.error({ err, url: req.url }, 'outbound request failed unexpectedly');
      localReply(res, 500, 'internal proxy error', []);
    });
  };
}

/** Route a request whose route table is already known (a gateway's, or a host snapshot's). */
export async function routeRequest(
  opts: OutboundOptions,
  req: DownstreamRequest,
  res: DownstreamResponse,
  routes: Pick<RoutingSnapshot, 'routes'>,
  view: RequestView,
  meta: { readonly started: number; readonly service?: string },
): Promise<void> {
  const { decisions } = opts;
  const trace = opts.tracing?.begin(view.headers);
  const record = (status: number, flags: readonly string[], extra: Partial<ServedRequest> = {}): void => {
    const finish = (): void =>
      opts.served({
        direction: 'outbound',
        started: meta.started,
        durationMs: performance.now() - meta.started,
        method: view.method,
        path: view.path,
        authority: view.authority,
        protocol: isH2(req) ? (String(view.headers['content-type'] ?? '').startsWith('application/grpc') ? 'grpc' : 'http2') : 'http1',
        status,
        flags,
        requestBytes: extra.requestBytes ?? 0,
        responseBytes: 0,
        ...(view.headers['x-request-id'] !== undefined ? { requestId: view.headers['x-request-id'] } : {}),
        ...(view.headers['user-agent'] !== undefined ? { userAgent: view.headers['user-agent'] } : {}),
        ...(meta.service !== undefined ? { service: meta.service } : {}),
        mtls: extra.mtls ?? false,
        ...(trace !== undefined ? { trace } : {}),
        ...extra,
      });
    if (res.writableFinished) finish();
    else res.once('close', finish);
  };

  const route = decisions.selectRoute(routes, view);
  if (route === undefined) {
    localReply(res, 404, `no route for ${view.authority}${view.path}`, [ResponseFlags.noRoute]);
    return record(404, [ResponseFlags.noRoute]);
  }
  if (route.directResponse !== undefined) {
    localReply(res, route.directResponse.status, route.directResponse.body ?? '', []);
    return record(route.directResponse.status, [], routeNames(route));
  }
  const redirect = decisions.redirect(route, view);
  if (redirect !== undefined) {
    localReply(res, redirect.status, '', [], { location: redirect.location });
    return record(redirect.status, [], routeNames(route));
  }
  const preflight = decisions.corsPreflight(route, view);
  if (preflight !== undefined) {
    localReply(res, preflight.status, '', [], { ...preflight.headers });
    return record(preflight.status, [], routeNames(route));
  }
  const flags: string[] = [];
  const fault = decisions.fault(route, opts.random);
  if (fault.delayMs !== undefined && fault.delayMs > 0) {
    flags.push(ResponseFlags.delayInjected);
    await sleep(fault.delayMs);
  }
  if (fault.abort !== undefined) {
    flags.push(ResponseFlags.faultInjected);
    if ('status' in fault.abort) {
      localReply(res, fault.abort.status, 'fault filter abort', flags);
      return record(fault.abort.status, flags, routeNames(route));
    }
    localGrpcReply(res, fault.abort.grpcStatus, 'fault filter abort', flags);
    return record(200, flags, { ...routeNames(route), grpcStatus: fault.abort.grpcStatus });
  }
  const destination = decisions.pickDestination(route, opts.random());
  if (destination === undefined) {
    localReply(res, 503, 'no healthy upstream', [...flags, ResponseFlags.noHealthyUpstream]);
    return record(503, [...flags, ResponseFlags.noHealthyUpstream], routeNames(route));
  }

  const rewritten = decisions.rewrite(route, view);
  const headers = endToEndHeaders(req.headers);
  stripMeshHeaders(headers);
  headers['x-forwarded-proto'] ??= view.scheme;
  headers['x-request-id'] ??= randomUUID();
  const requestId = String(headers['x-request-id']);
  headers[MeshHeaders.peerMetadata] = encodedSelf(opts.self);
  if (isH2(req)) headers[MeshHeaders.downstreamProtocol] = 'h2';
  if (trace !== undefined) opts.tracing?.inject(headers, trace);
  decisions.requestHeaders(route, destination, headers);
  const body = new ReplayableBody(req, opts.replayLimitBytes);
  const upstreamReq: UpstreamRequest = { method: view.method, path: rewritten.path, authority: rewritten.authority, headers, body };

  const aborted = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) aborted.abort();
  });
  const deadline = route.timeoutMs !== undefined && route.timeoutMs > 0 ? AbortSignal.any([aborted.signal, AbortSignal.timeout(route.timeoutMs)]) : aborted.signal;
  const lb = destination.trafficPolicy?.loadBalancer ?? destination.loadBalancer;
  const hash = decisions.hashKey(lb, view);
  const cluster = opts.clusters.for(destination);

  for (const mirror of decisions.mirrors(route, opts.random)) sendMirror(opts, mirror, upstreamReq, rewritten.authority);

  const result: ForwardResult = await forwardToCluster(cluster, upstreamReq, decisions.retryPlan(route), { ...(hash.key !== undefined ? { hashKey: hash.key } : {}), deadline });
  const allFlags = [...flags, ...result.flags];
  const base = { ...routeNames(route), requestId, cluster: destination.cluster, requestBytes: body.bytes, mtls: result.endpoint !== undefined && isMeshEndpoint(result.endpoint), ...(result.endpoint !== undefined ? { upstream: `${result.endpoint.address}:${result.endpoint.port}`, destinationEndpoint: result.endpoint } : {}) };
  if (result.response === undefined) {
    localReply(res, result.status, result.detail ?? 'upstream error', allFlags);
    return record(result.status, allFlags, base);
  }
  const response = result.response;
  const relayed = relayResponse(res, response, {
    flags: allFlags,
    editHeaders: (h) => {
      decisions.responseHeaders(route, destination, h);
      for (const [k, v] of Object.entries(decisions.corsResponseHeaders(route, view))) h[k] = v;
      if (hash.setCookie !== undefined) h['set-cookie'] = hash.setCookie;
    },
  });
  const grpc = headerValue(response.headers['grpc-status']);
  response.trailers.then((t) => {
    const g = grpc ?? headerValue(t?.['grpc-status']);
    record(response.status, allFlags, { ...base, responseBytes: relayed.bytes(), ...(g !== undefined ? { grpcStatus: Number(g) } : {}) });
  }, () => record(response.status, [...allFlags, ResponseFlags.upstreamReset], { ...base, responseBytes: relayed.bytes() }));
}

const encodedSelves = new WeakMap<PeerMetadata, string>();
const encodedSelf = (self: PeerMetadata): string => {
  let e = encodedSelves.get(self);
  if (e === undefined) {
    e = encodePeerMetadata(self);
    encodedSelves.set(self, e);
  }
  return e;
};

const routeNames = (route: RouteRule): Partial<ServedRequest> => (route.name !== undefined ? { routeName: route.name } : {});
const isMeshEndpoint = (e: { labels: Readonly<Record<string, string>> }): boolean => e.labels['security.istio.io/tlsMode'] === 'istio';

/** A shadow copy: same request, authority suffixed `-shadow` (Envoy's), its answer discarded. */
function sendMirror(opts: OutboundOptions, mirror: WeightedDestination, original: UpstreamRequest, authority: string): void {
  const host = authority.replace(/^([^:]+)/, '$1-shadow');
  const cluster = opts.clusters.for(mirror);
  const ready = (): void => {
    const copy = original.body.buffered();
    if (copy === undefined) return;
    const body = new ReplayableBody(Readable.from([copy]), copy.length + 1);
    const noRetries = { retries: 0, shouldRetry: () => false, backoffMs: () => 0 };
    forwardToCluster(cluster, { ...original, authority: host, body }, noRetries, { deadline: AbortSignal.timeout(30_000) })
      .then((r) => r.response?.body.resume())
      .catch((err: unknown) => opts.log.debug({ err, cluster: mirror.cluster }, 'mirror request failed'));
  };
  if (original.body.complete()) ready();
  else original.body.onComplete(ready);
}

/** The short name's expansion first, the name as written second (an external host); asked together. */
async function firstLookup(opts: OutboundOptions, host: string, asTyped: string): Promise<RoutingSnapshot | undefined> {
  const asWritten = host !== asTyped ? opts.snapshots.host(asTyped, opts.snapshotWaitMs) : Promise.resolve(undefined);
  return (await opts.snapshots.host(host, opts.snapshotWaitMs)) ?? (await asWritten);
}

async function handle(opts: OutboundOptions, req: DownstreamRequest, res: DownstreamResponse): Promise<void> {
  const started = performance.now();
  const target = targetOf(req);
  if (target === undefined) {
    localReply(res, 400, 'request names no host (send a Host header, or use the proxy as HTTP_PROXY)', []);
    return;
  }
  const host = fqdn(target.host, opts.namespace);
  // A host already followed is answered at once, with no promise (nearly every request).
  const snapshot = opts.snapshots.known(host) ?? (await firstLookup(opts, host, target.host));
  const headers = flatHeaders(endToEndHeaders(req.headers));
  const view: RequestView = {
    method: req.method ?? 'GET',
    path: target.path,
    host: target.host,
    authority: target.authority,
    port: target.port,
    scheme: 'http',
    headers,
    sourceIp: req.socket.remoteAddress ?? '',
    sourceNamespace: opts.namespace,
  };
  if (snapshot === undefined) {
    localReply(res, 404, `no route: ${target.host} is not a known service`, [ResponseFlags.noRoute]);
    opts.served({ direction: 'outbound', started, durationMs: performance.now() - started, method: view.method, path: view.path, authority: view.authority, protocol: isH2(req) ? 'http2' : 'http1', status: 404, flags: [ResponseFlags.noRoute], requestBytes: 0, responseBytes: 0, mtls: false });
    return;
  }
  await routeRequest(opts, req, res, snapshot, view, { started, service: snapshot.host });
}
