import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The headers an app copies from the request it serves onto the requests it makes, so its
 * sidecar can link the outbound spans to the inbound one: the trace context formats the proxy
 * reads (W3C, B3 multi and single) and Envoy's request id.
 */
export const FORWARDED_TRACE_HEADERS = ['x-request-id', 'traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'] as const;

/** What a forwarding app answers: who it is, the trace headers it received, and what the next hop answered. */
export interface ForwardingReply {
  readonly service: string;
  readonly version: string;
  readonly path: string;
  readonly traceHeaders: Readonly<Record<string, string>>;
  readonly next: { readonly status: number; readonly body: unknown };
}

export interface TraceForwardingApp {
  readonly port: number;
  /** Requests received so far. */
  readonly received: () => number;
  /** The sidecar's outbound port the next hop is called through (known only once the sidecar started). */
  sendThrough(outboundPort: number): void;
  close(): Promise<void>;
}

const traceHeadersOf = (headers: IncomingHttpHeaders): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_TRACE_HEADERS) {
    const v = headers[name];
    if (v !== undefined) out[name] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
};

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/**
 * A tiny app in the middle of a call chain (bookinfo's productpage or reviews): every request
 * it serves makes one request to `next` (a URL such as `http://reviews:9080/reviews`) through
 * its sidecar's outbound port, carrying the trace headers it received, and answers with the
 * next hop's status and reply. Without a sidecar port yet it answers 503.
 */
export async function startTraceForwardingApp(service: string, version: string, next: string): Promise<TraceForwardingApp> {
  const target = new URL(next);
  let count = 0;
  let outboundPort: number | undefined;
  const server = http.createServer((req, res) => {
    count += 1;
    req.resume();
    const traceHeaders = traceHeadersOf(req.headers);
    const answer = (status: number, body: unknown): void => {
      const reply: ForwardingReply = { service, version, path: req.url ?? '', traceHeaders, next: { status, body } };
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    };
    if (outboundPort === undefined) {
      answer(503, 'no sidecar outbound port yet');
      return;
    }
    const out = http.request({ host: '127.0.0.1', port: outboundPort, path: `${target.pathname}${target.search}`, headers: { host: target.host, ...traceHeaders }, timeout: 10_000 }, (up) => {
      let text = '';
      up.setEncoding('utf8');
      up.on('data', (d: string) => (text += d));
      up.on('end', () => answer(up.statusCode ?? 502, parsed(text)));
      up.on('error', (err) => answer(502, err.message));
    });
    out.on('timeout', () => out.destroy(new Error(`${next} timed out`)));
    out.on('error', (err) => answer(502, err.message));
    out.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => count,
    sendThrough: (port) => (outboundPort = port),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
