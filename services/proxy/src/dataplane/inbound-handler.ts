import type { Http2ServerRequest } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@jetmesh/log';
import { fqdn, type MtlsMode, type WorkloadSnapshot } from '@jetmesh/model';
import { localReply, relayResponse } from './downstream-reply.js';
import { H2SessionPool } from './h2-session-pool.js';
import { endToEndHeaders, headerValue } from './http-headers.js';
import type { DownstreamRequest, DownstreamResponse } from './http-listener.js';
import { Http1Upstream } from './http1-upstream.js';
import { decodePeerMetadata, MeshHeaders, stripMeshHeaders, type PeerMetadata } from './mesh-headers.js';
import { parseSpiffeId } from '@jetmesh/model';
import { istioPrincipal, peerSpiffeId as spiffeIdOf } from '../identity/peer-identity.js';
import { ReplayableBody } from './request-body.js';
import type { RequestView } from './route-decisions.js';
import type { ServedRequest } from './served-request.js';
import type { UpstreamRequest } from './upstream.js';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import type { RequestTracing } from '../tracing/proxy-tracing.js';

/** The inbound side's view of authorization (services/proxy/src/routing). */
export type AuthorizeRequest = (
  policies: WorkloadSnapshot['authorization'],
  req: RequestView & { readonly principal?: string; readonly peerNamespace?: string },
) => { readonly allowed: boolean; readonly policy?: string; readonly audit?: boolean };

export interface InboundOptions {
  /** The app, on loopback. */
  readonly appPort: number;
  readonly appHost: string;
  /** The port callers address (the service's target port): port-level mTLS and authorization use it. */
  readonly servicePort: number;
  readonly ownSpiffeId: () => string | undefined;
  readonly workload: () => WorkloadSnapshot | undefined;
  readonly authorize: AuthorizeRequest;
  readonly served: (record: ServedRequest) => void;
  readonly log: Logger;
  readonly connectTimeoutMs: number;
  /** The proxy's namespace: the Host callers used expands in it to the service's name. */
  readonly namespace: string;
  /** Continues the caller's trace into a server span and tells the app its context. */
  readonly tracing?: RequestTracing;
}

export interface InboundHandler {
  readonly handle: (req: DownstreamRequest, res: DownstreamResponse) => void;
  /** Whether plaintext connections may be accepted at all (false only when every port is STRICT). */
  acceptsPlaintext(): boolean;
  close(): void;
}

/** Istio's default when no PeerAuthentication applies. */
const DEFAULT_MODE: MtlsMode = 'PERMISSIVE';

interface PeerOfConnection {
  readonly spiffeId?: string;
  readonly principal?: string;
  readonly namespace?: string;
  /** The last peer-metadata header seen on the connection and what it decoded to. */
  metadataHeader?: string | string[];
  metadata?: PeerMetadata;
}

// Parsing the peer certificate (and its SPIFFE ID) costs more than the rest of a request's authorization: once per connection.
const peers = new WeakMap<TLSSocket, PeerOfConnection>();
const peerOf = (socket: TLSSocket): PeerOfConnection => {
  let p = peers.get(socket);
  if (p === undefined) {
    const id = spiffeIdOf(socket.getPeerCertificate());
    const parsed = id !== undefined ? parseSpiffeId(id) : undefined;
    const namespace = parsed?._tag === 'Right' ? parsed.right.namespace : undefined;
    p = { ...(id !== undefined ? { spiffeId: id, principal: istioPrincipal(id) } : {}), ...(namespace !== undefined ? { namespace } : {}) };
    peers.set(socket, p);
  }
  return p;
};

// A caller's proxy sends the same metadata on every request of a connection: decoded again only when it changes.
const peerMetadataOf = (p: PeerOfConnection, header: string | string[] | undefined): PeerMetadata | undefined => {
  if (header !== p.metadataHeader || header === undefined) {
    p.metadataHeader = header;
    const m = decodePeerMetadata(header);
    if (m !== undefined) p.metadata = m;
    else delete p.metadata;
  }
  return p.metadata;
};

const tlsSocketOf = (req: DownstreamRequest): TLSSocket | undefined => {
  const socket = (req as Http2ServerRequest).stream?.session?.socket ?? req.socket;
  return (socket as TLSSocket).encrypted === true ? (socket as TLSSocket) : undefined;
};

/**
 * The inbound side: PeerAuthentication (STRICT refuses plaintext), the caller's SPIFFE ID from
 * its certificate, AuthorizationPolicy (403 `RBAC: access denied`), then the app over
 * HTTP/1.1 keep-alive, or h2c when the caller's app spoke HTTP/2 (gRPC).
 */
export function createInboundHandler(opts: InboundOptions): InboundHandler {
  const http1 = new Http1Upstream(opts.connectTimeoutMs);
  const h2c = new H2SessionPool(opts.connectTimeoutMs);
  const appTarget = { key: `${opts.appHost}:${opts.appPort}`, authority: `${opts.appHost}:${opts.appPort}`, scheme: 'http' as const, connect: () => net.connect({ host: opts.appHost, port: opts.appPort, noDelay: true }) };

  const modeFor = (port: number): MtlsMode => {
    const mtls = opts.workload()?.mtls;
    return mtls?.ports[String(port)] ?? mtls?.mode ?? DEFAULT_MODE;
  };

  const handle = (req: DownstreamRequest, res: DownstreamResponse): void => {
    const started = performance.now();
    const tlsSocket = tlsSocketOf(req);
    const connectionPeer = tlsSocket !== undefined ? peerOf(tlsSocket) : undefined;
    const peerSpiffeId = connectionPeer?.spiffeId;
    const targetPort = Number(headerValue(req.headers[MeshHeaders.targetPort]) ?? opts.servicePort) || opts.servicePort;
    if (tlsSocket === undefined && modeFor(targetPort) === 'STRICT') {
      // As Envoy does for STRICT: no plaintext filter chain, the connection is closed.
      req.socket.destroy();
      return;
    }
    const peerNamespace = connectionPeer?.namespace;
    const peer = connectionPeer !== undefined ? peerMetadataOf(connectionPeer, req.headers[MeshHeaders.peerMetadata]) : undefined;
    const headers = endToEndHeaders(req.headers);
    const downstreamH2 = headerValue(headers[MeshHeaders.downstreamProtocol]) === 'h2' || (req.httpVersionMajor === 2 && tlsSocket === undefined);
    stripMeshHeaders(headers);
    const authority = headerValue(req.headers[':authority']) ?? headerValue(req.headers.host) ?? '';
    const flat: Record<string, string> = {};
    for (const k in headers) {
      const v = headers[k] as string | string[];
      flat[k] = typeof v === 'string' ? v : v.join(',');
    }
    const trace = opts.tracing?.begin(headers);
    const view = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      host: authority.replace(/:\d+$/, ''),
      authority,
      port: targetPort,
      scheme: 'http' as const,
      headers: flat,
      sourceIp: (tlsSocket ?? req.socket).remoteAddress ?? '',
      ...(connectionPeer?.principal !== undefined ? { principal: connectionPeer.principal } : {}),
      ...(peerNamespace !== undefined ? { peerNamespace } : {}),
    };
    const protocol: ServedRequest['protocol'] = downstreamH2 ? (flat['content-type']?.startsWith('application/grpc') ? 'grpc' : 'http2') : 'http1';
    const record = (status: number, flags: readonly string[], extra: Partial<ServedRequest> = {}): void => {
      const finish = (): void =>
        opts.served({
          direction: 'inbound',
          started,
          durationMs: performance.now() - started,
          method: view.method,
          path: view.path,
          authority,
          protocol,
          status,
          flags,
          requestBytes: 0,
          responseBytes: 0,
          mtls: tlsSocket !== undefined,
          ...(view.host !== '' ? { service: fqdn(view.host, opts.namespace) } : {}),
          ...(flat['x-request-id'] !== undefined ? { requestId: flat['x-request-id'] } : {}),
          ...(flat['user-agent'] !== undefined ? { userAgent: flat['user-agent'] } : {}),
          ...(peerSpiffeId !== undefined ? { peerSpiffeId } : {}),
          ...(peer !== undefined ? { peer } : {}),
          ...(trace !== undefined ? { trace } : {}),
          ...extra,
        });
      if (res.writableFinished) finish();
      else res.once('close', finish);
    };

    const decision = opts.authorize(opts.workload()?.authorization ?? [], view);
    if (decision.audit === true) opts.log.info({ policy: decision.policy, principal: view.principal, path: view.path }, 'request audited');
    if (!decision.allowed) {
      localReply(res, 403, 'RBAC: access denied', []);
      return record(403, []);
    }
    const own = opts.ownSpiffeId();
    if (peerSpiffeId !== undefined && own !== undefined) headers['x-forwarded-client-cert'] = `By=${own};URI=${peerSpiffeId}`;
    else delete headers['x-forwarded-client-cert'];
    if (trace !== undefined) {
      // As Envoy's sidecar: the app gets a request id and this hop's context, to forward on its own calls.
      headers['x-request-id'] ??= randomUUID();
      opts.tracing?.inject(headers, trace);
    }
    const body = new ReplayableBody(req, 0);
    const upstreamReq: UpstreamRequest = { method: view.method, path: view.path, authority, headers, body };
    const aborted = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    const sent = downstreamH2 ? h2c.send(appTarget, upstreamReq, aborted.signal) : http1.send({ host: opts.appHost, port: opts.appPort }, upstreamReq, aborted.signal);
    sent.then(
      (result) => {
        if (!result.ok) {
          const status = result.failure.kind === 'timeout' ? 504 : 503;
          const flag = result.failure.kind === 'connect-failure' ? 'UF' : 'UR';
          localReply(res, status, `upstream connect error or disconnect/reset before headers. reset reason: ${result.failure.kind}, ${result.failure.message}`, [flag]);
          return record(status, [flag], { requestBytes: body.bytes });
        }
        const response = result.response;
        const relayed = relayResponse(res, response, { flags: [] });
        response.trailers.then(
          (t) => {
            const g = headerValue(response.headers['grpc-status']) ?? headerValue(t?.['grpc-status']);
            record(response.status, [], { requestBytes: body.bytes, responseBytes: relayed.bytes(), ...(g !== undefined ? { grpcStatus: Number(g) } : {}) });
          },
          () => record(response.status, ['UR'], { requestBytes: body.bytes, responseBytes: relayed.bytes() }),
        );
      },
      (err: unknown) => {
        opts.log.error({ err }, 'inbound request failed unexpectedly');
        localReply(res, 500, 'internal proxy error', []);
      },
    );
  };

  return {
    handle,
    acceptsPlaintext: () => {
      const mtls = opts.workload()?.mtls;
      const mode = mtls?.mode ?? DEFAULT_MODE;
      return mode !== 'STRICT' || Object.values(mtls?.ports ?? {}).some((m) => m !== 'STRICT');
    },
    close: () => {
      http1.destroy();
      h2c.destroyAll();
    },
  };
}
