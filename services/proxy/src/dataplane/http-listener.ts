import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse, type SecureServerOptions } from 'node:http2';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@jetmesh/log';
import { sniffConnection, type WireProtocol } from './connection-sniffer.js';

export type DownstreamRequest = IncomingMessage | Http2ServerRequest;
export type DownstreamResponse = ServerResponse | Http2ServerResponse;
export type RequestHandler = (req: DownstreamRequest, res: DownstreamResponse) => void;

export interface HttpListenerOptions {
  readonly name: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly handler: RequestHandler;
  /** TLS (ALPN h2 and http/1.1) on the same port; the context is replaced with setSecureContext. */
  readonly tls?: SecureServerOptions;
  /** Whether a plaintext connection is accepted now (STRICT mTLS refuses it); default always. */
  readonly acceptPlaintext?: () => boolean;
  readonly log: Logger;
  /** How long a client may take to send its first bytes, and its request headers (default 10 s). */
  readonly headersTimeoutMs?: number;
}

export interface HttpListener {
  readonly port: number;
  /** New connections use these credentials; connections already open keep theirs. */
  setSecureContext(options: SecureServerOptions): void;
  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then closes what is left. */
  close(graceMs?: number): Promise<void>;
}

// Slow or silent clients: a connection must say what it speaks within this, and send its headers
// within headersTimeout (Node's defence against slowloris).
const FIRST_BYTES_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 60_000;
const DEFAULT_CLOSE_GRACE_MS = 5_000;

/**
 * One port that speaks HTTP/1.1 and h2c in plaintext, and, with `tls`, both over TLS too:
 * the first bytes of each connection choose the server that takes it.
 */
export async function listenHttp(opts: HttpListenerOptions): Promise<HttpListener> {
  const handler = opts.handler as (req: IncomingMessage, res: ServerResponse) => void;
  const headersTimeout = opts.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  // Node checks headersTimeout every connectionsCheckingInterval (default 30 s): check often, so a
  // slow-headers client is cut near the limit.
  const http1 = http.createServer({ headersTimeout, requestTimeout: 0, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, connectionsCheckingInterval: Math.min(1_000, headersTimeout) }, handler);
  // Node tracks connections (and so enforces headersTimeout) from the server's 'listening' event;
  // this server never listens itself, the front socket hands it connections.
  http1.emit('listening');
  const h2c = http2.createServer({}, opts.handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
  const secure = opts.tls === undefined ? undefined : http2.createSecureServer({ handshakeTimeout: headersTimeout, ...opts.tls, allowHTTP1: true }, opts.handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
  if (secure !== undefined) {
    secure.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      opts.log.debug({ listener: opts.name, err: err.message, remote: socket.remoteAddress }, 'TLS handshake refused');
    });
  }
  for (const server of [http1, h2c, secure]) {
    server?.on('sessionError', (err: Error) => opts.log.debug({ listener: opts.name, err: err.message }, 'HTTP/2 session error'));
  }
  const sockets = new Set<Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  for (const server of [h2c, secure]) {
    server?.on('session', (session: http2.ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
  }
  const dispatch = (socket: Socket, protocol: WireProtocol | undefined): void => {
    if (protocol === undefined) {
      socket.destroy();
      return;
    }
    if (protocol === 'tls') {
      if (secure === undefined) {
        socket.destroy();
        return;
      }
      secure.emit('connection', socket);
    } else {
      if (opts.acceptPlaintext !== undefined && !opts.acceptPlaintext()) {
        opts.log.debug({ listener: opts.name, remote: socket.remoteAddress }, 'plaintext connection refused (mTLS STRICT)');
        socket.destroy();
        return;
      }
      (protocol === 'h2c' ? h2c : http1).emit('connection', socket);
    }
    socket.resume();
  };
  const front = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    sniffConnection(socket, opts.headersTimeoutMs ?? FIRST_BYTES_TIMEOUT_MS).then((p) => dispatch(socket, p), () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(opts.port, opts.host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const port = (front.address() as AddressInfo).port;
  return {
    port,
    setSecureContext: (options) => secure?.setSecureContext(options),
    close: async (graceMs = DEFAULT_CLOSE_GRACE_MS) => {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      http1.close();
      http1.closeIdleConnections();
      for (const s of [h2c, secure]) s?.close();
      // GOAWAY: streams in flight finish, no new ones start.
      for (const session of sessions) session.close();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}
