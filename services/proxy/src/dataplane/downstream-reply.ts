import type { Http2ServerResponse } from 'node:http2';
import type { ServerResponse } from 'node:http';
import type { DownstreamResponse } from './http-listener.js';
import { responseHeadersToRelay } from './http-headers.js';
import { MeshHeaders, stripMeshHeaders } from './mesh-headers.js';
import { formatFlags } from './response-flags.js';
import type { UpstreamResponse } from './upstream.js';

export interface RelayOptions {
  /** Last say over the headers sent downstream (header operations, CORS). */
  readonly editHeaders?: (headers: Record<string, string | string[] | number>) => void;
  readonly flags: readonly string[];
}

/** Answers the request itself (no route, no healthy upstream, a fault, a denial…), saying why. */
export function localReply(res: DownstreamResponse, status: number, body: string, flags: readonly string[], extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = body.endsWith('\n') || body === '' ? body : `${body}\n`;
  const headers: Record<string, string | number> = { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), ...extraHeaders };
  if (flags.length > 0) headers[MeshHeaders.flags] = formatFlags(flags);
  (res as ServerResponse).writeHead(status, headers);
  res.end(text);
}

/** Streams an upstream response downstream, trailers included (gRPC's status lives there). */
export function relayResponse(res: DownstreamResponse, upstream: UpstreamResponse, opts: RelayOptions): void {
  const headers = responseHeadersToRelay(upstream.headers);
  stripMeshHeaders(headers);
  opts.editHeaders?.(headers);
  if (opts.flags.length > 0) headers[MeshHeaders.flags] = formatFlags(opts.flags);
  const h2 = 'stream' in res;
  (res as ServerResponse).writeHead(upstream.status, headers);
  upstream.body.pipe(res as unknown as NodeJS.WritableStream, { end: false });
  upstream.body.once('error', () => res.destroy());
  upstream.trailers.then(
    (trailers) => {
      // Cut off mid-body: the client must see a broken response, not a short one.
      if (!upstream.body.readableEnded) {
        res.destroy();
        return;
      }
      if (trailers !== undefined && h2) {
        const t = responseHeadersToRelay(trailers);
        (res as Http2ServerResponse).addTrailers(t as Record<string, string>);
      }
      if (!res.writableEnded) res.end();
    },
    () => res.destroy(),
  );
  res.once('close', () => {
    if (!res.writableFinished) upstream.abort();
  });
}
