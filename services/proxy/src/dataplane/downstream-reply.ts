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

/** Streams an upstream response downstream, trailers included (gRPC's status lives there); counts the body bytes relayed. */
export function relayResponse(res: DownstreamResponse, upstream: UpstreamResponse, opts: RelayOptions): { readonly bytes: () => number } {
  const headers = responseHeadersToRelay(upstream.headers);
  stripMeshHeaders(headers);
  opts.editHeaders?.(headers);
  if (opts.flags.length > 0) headers[MeshHeaders.flags] = formatFlags(opts.flags);
  const h2 = 'stream' in res;
  // A gRPC "trailers-only" answer (status in the headers, no body) is re-sent as headers plus
  // trailers: Node cannot end a stream on its first HEADERS frame, and gRPC clients read the
  // status from the trailers otherwise.
  const statusTrailers = h2 ? takeGrpcStatus(headers) : undefined;
  (res as ServerResponse).writeHead(upstream.status, headers);
  let bytes = 0;
  upstream.body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  upstream.body.pipe(res as unknown as NodeJS.WritableStream, { end: false });
  upstream.body.once('error', () => res.destroy());
  upstream.trailers.then(
    (trailers) => {
      // Cut off mid-body: the client must see a broken response, not a short one.
      if (!upstream.body.readableEnded) {
        res.destroy();
        return;
      }
      if (h2 && (trailers !== undefined || statusTrailers !== undefined)) {
        const t = { ...statusTrailers, ...(trailers !== undefined ? responseHeadersToRelay(trailers) : {}) };
        (res as Http2ServerResponse).addTrailers(t as Record<string, string>);
      }
      if (!res.writableEnded) res.end();
    },
    () => res.destroy(),
  );
  res.once('close', () => {
    if (!res.writableFinished) upstream.abort();
  });
  return { bytes: () => bytes };
}

const GRPC_STATUS_HEADERS = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'];

/** Removes gRPC's status headers from `headers`, returning them (undefined when there is no status). */
function takeGrpcStatus(headers: Record<string, string | string[] | number>): Record<string, string> | undefined {
  if (headers['grpc-status'] === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const name of GRPC_STATUS_HEADERS) {
    const v = headers[name];
    if (v !== undefined) out[name] = Array.isArray(v) ? v.join(',') : String(v);
    delete headers[name];
  }
  return out;
}

/** A gRPC error the proxy answers itself (a fault abort): HTTP 200, the status in the trailers. */
export function localGrpcReply(res: DownstreamResponse, grpcStatus: number, message: string, flags: readonly string[]): void {
  const headers: Record<string, string> = { 'content-type': 'application/grpc' };
  if (flags.length > 0) headers[MeshHeaders.flags] = formatFlags(flags);
  (res as ServerResponse).writeHead(200, headers);
  if ('stream' in res) (res as Http2ServerResponse).addTrailers({ 'grpc-status': String(grpcStatus), 'grpc-message': message });
  res.end();
}
