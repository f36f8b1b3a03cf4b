import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { failed, type AttemptResult, type UpstreamRequest } from './upstream.js';

export interface Http1Target {
  readonly host: string;
  readonly port: number;
  /** TLS origination (a DestinationRule `tls.mode: SIMPLE`). */
  readonly tls?: ConnectionOptions;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET_BEFORE_RESPONSE']);

/** HTTP/1.1 with keep-alive per target: the app behind an inbound proxy, and endpoints outside the mesh. */
export class Http1Upstream {
  private readonly agent = new http.Agent({ keepAlive: true, noDelay: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: 'lifo' });
  private readonly tlsAgent = new https.Agent({ keepAlive: true, noDelay: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: 'lifo' });

  constructor(
    private readonly connectTimeoutMs: number,
    /** Told of every new connection dialled (not of reused keep-alive sockets): whether it connected. */
    private readonly onConnect: (ok: boolean) => void = () => undefined,
  ) {}

  destroy(): void {
    this.agent.destroy();
    this.tlsAgent.destroy();
  }

  send(target: Http1Target, req: UpstreamRequest, signal: AbortSignal): Promise<AttemptResult> {
    return new Promise<AttemptResult>((resolve) => {
      const module = target.tls === undefined ? http : https;
      let answered = false;
      let connected = false;
      let dialled = false;
      const outgoing = module.request({
        host: target.host,
        port: target.port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, host: req.authority },
        agent: target.tls === undefined ? this.agent : this.tlsAgent,
        ...(target.tls ?? {}),
      });
      // An abort listener of our own: the request's `signal` option costs a stream wrapper per request.
      const onAbort = (): void => {
        outgoing.destroy(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      outgoing.once('close', () => signal.removeEventListener('abort', onAbort));
      // Only a socket being dialled gets a connect timer; a reused keep-alive socket is connected.
      let connectTimer: NodeJS.Timeout | undefined;
      outgoing.once('socket', (socket) => {
        if (!socket.connecting) {
          connected = true;
        } else {
          dialled = true;
          connectTimer = setTimeout(() => {
            if (!connected) outgoing.destroy(Object.assign(new Error(`connect to ${target.host}:${target.port} timed out`), { code: 'ETIMEDOUT' }));
          }, this.connectTimeoutMs);
          socket.once(target.tls === undefined ? 'connect' : 'secureConnect', () => {
            connected = true;
            clearTimeout(connectTimer);
            this.onConnect(true);
          });
        }
      });
      outgoing.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        if (dialled && !connected) this.onConnect(false);
        if (answered) return;
        answered = true;
        if (signal.aborted) return resolve(failed('timeout', 'upstream did not answer in time'));
        const code = err.code ?? '';
        resolve(failed(!connected || CONNECT_ERRORS.has(code) ? 'connect-failure' : 'reset', `${code || 'error'}: ${err.message}`));
      });
      outgoing.once('response', (res) => {
        answered = true;
        let resolveTrailers!: (t: IncomingHttpHeaders | undefined) => void;
        const trailers = new Promise<IncomingHttpHeaders | undefined>((r) => (resolveTrailers = r));
        res.once('end', () => resolveTrailers(Object.keys(res.trailers).length > 0 ? res.trailers : undefined));
        res.once('close', () => resolveTrailers(undefined));
        res.once('error', () => undefined);
        resolve({ ok: true, response: { status: res.statusCode ?? 502, headers: res.headers, body: res, trailers, abort: () => outgoing.destroy() } });
      });
      if (!req.body.pipeTo(outgoing)) {
        answered = true;
        outgoing.destroy();
        resolve(failed('reset', 'the request body was too large to send again'));
      }
    });
  }
}
