import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type IncomingHttpStatusHeader } from 'node:http2';
import type { Duplex } from 'node:stream';
import { failed, type AttemptResult, type UpstreamRequest } from './upstream.js';

export interface H2Target {
  /** Pool key, e.g. `10.0.0.1:15006`. */
  readonly key: string;
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  /** Opens the transport (TLS for a peer proxy, TCP for an app speaking h2c). */
  readonly connect: () => Duplex;
}

const REFUSED_STREAM_CODE = http2.constants.NGHTTP2_REFUSED_STREAM;
// Long-lived sessions see idle peers and half-open paths; a ping keeps both honest.
const SESSION_PING_MS = 30_000;

const REQUEST_OPTIONS = { endStream: false } as const;

/** Pseudo-headers, then the request's headers, then `extra`: one object (Node copies it once more itself). */
const h2RequestHeaders = (req: UpstreamRequest, scheme: string, extra: Readonly<Record<string, string>> | undefined): http2.OutgoingHttpHeaders => {
  const h: http2.OutgoingHttpHeaders = { ':method': req.method, ':path': req.path, ':authority': req.authority, ':scheme': scheme };
  const own = req.headers;
  for (const k in own) h[k] = own[k];
  if (extra !== undefined) for (const k in extra) h[k] = extra[k];
  return h;
};

/**
 * One multiplexed HTTP/2 session per target, opened on first use and replaced when it goes
 * away: for peer proxies this is the connection pool (keep-alive, no handshake per request).
 */
export class H2SessionPool {
  private readonly sessions = new Map<string, ClientHttp2Session>();

  constructor(
    private readonly connectTimeoutMs: number,
    /** Told of every session dial: whether it connected. */
    private readonly onConnect: (ok: boolean) => void = () => undefined,
  ) {}

  /** Sessions open now (for /stats and tests). */
  size(): number {
    return this.sessions.size;
  }

  /** Lets requests in flight finish on the current sessions; new requests open new ones. */
  drainAll(): void {
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }

  destroyAll(): void {
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }

  private session(target: H2Target): Promise<ClientHttp2Session> {
    const existing = this.sessions.get(target.key);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const session = http2.connect(`${target.scheme}://${target.authority}`, { createConnection: () => target.connect() });
      let connected = false;
      const timer = setTimeout(() => {
        this.onConnect(false);
        session.destroy();
        reject(new Error(`connect to ${target.key} timed out after ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      const forget = (): void => {
        if (this.sessions.get(target.key) === session) this.sessions.delete(target.key);
      };
      session.once('connect', () => {
        clearTimeout(timer);
        connected = true;
        this.onConnect(true);
        resolve(session);
      });
      session.once('error', (err) => {
        if (!connected && !session.destroyed) this.onConnect(false);
        clearTimeout(timer);
        forget();
        reject(err);
      });
      session.once('goaway', forget);
      session.once('close', forget);
      session.setTimeout(SESSION_PING_MS, () => session.ping(() => undefined));
      this.sessions.set(target.key, session);
    });
  }

  /** Sends `req` on the target's session, with `extraHeaders` (set last) besides its own. */
  async send(target: H2Target, req: UpstreamRequest, signal: AbortSignal, extraHeaders?: Readonly<Record<string, string>>): Promise<AttemptResult> {
    let session: ClientHttp2Session;
    try {
      session = await this.session(target);
    } catch (err) {
      return failed('connect-failure', (err as Error).message);
    }
    if (signal.aborted) return failed('timeout', 'attempt timed out before it was sent');
    return new Promise<AttemptResult>((resolve) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(h2RequestHeaders(req, target.scheme, extraHeaders), REQUEST_OPTIONS);
      } catch (err) {
        return resolve(failed('reset', (err as Error).message));
      }
      let answered = false;
      const onAbort = (): void => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let resolveTrailers!: (t: IncomingHttpHeaders | undefined) => void;
      const trailers = new Promise<IncomingHttpHeaders | undefined>((r) => (resolveTrailers = r));
      let gotTrailers: IncomingHttpHeaders | undefined;
      stream.once('trailers', (t: IncomingHttpHeaders) => (gotTrailers = t));
      stream.once('end', () => resolveTrailers(gotTrailers));
      stream.once('close', () => {
        signal.removeEventListener('abort', onAbort);
        resolveTrailers(gotTrailers);
        if (!answered) {
          answered = true;
          const code = stream.rstCode;
          resolve(
            signal.aborted
              ? failed('timeout', 'upstream did not answer in time')
              : code === REFUSED_STREAM_CODE
                ? failed('refused-stream', 'upstream refused the stream')
                : failed('reset', `upstream reset the stream (code ${code ?? 'none'})`),
          );
        }
      });
      stream.once('error', () => undefined);
      stream.once('response', (headers: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
        answered = true;
        resolve({
          ok: true,
          response: {
            status: Number(headers[':status'] ?? 502),
            headers,
            body: stream,
            trailers,
            abort: () => stream.close(http2.constants.NGHTTP2_CANCEL),
          },
        });
      });
      if (!req.body.pipeTo(stream)) {
        answered = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve(failed('reset', 'the request body was too large to send again'));
      }
    });
  }
}
