import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1, and HTTP/2's ban on them). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te', 'host']);
const COLON = 0x3a;

/** Connection values that name no header to drop: the common case skips building a token set. */
const PLAIN_CONNECTION = new Set(['', 'keep-alive']);

/** The header names a Connection header lists (they are hop-by-hop too). */
const connectionTokens = (connection: string): ReadonlySet<string> =>
  new Set(connection.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''));

/** A request's end-to-end headers, lowercased, without pseudo-headers or connection-specific ones. */
export function endToEndHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const connection = headers.connection;
  // Every request passes here: no Set, no entries array, unless Connection names headers.
  const named = typeof connection === 'string' && !PLAIN_CONNECTION.has(connection) ? connectionTokens(connection) : undefined;
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.charCodeAt(0) === COLON || HOP_BY_HOP.has(name) || (named !== undefined && named.has(name))) continue;
    out[name] = value;
  }
  // gRPC needs "te: trailers" end to end; it is the one TE value HTTP/2 allows.
  if (typeof headers.te === 'string' && headers.te.split(',').some((v) => v.trim().toLowerCase() === 'trailers')) out.te = 'trailers';
  return out;
}

/** Response headers to relay downstream, whatever protocol each side speaks. */
export function responseHeadersToRelay(headers: IncomingHttpHeaders | OutgoingHttpHeaders): Record<string, string | string[] | number> {
  const out: Record<string, string | string[] | number> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.charCodeAt(0) === COLON || HOP_BY_HOP.has(name)) continue;
    out[name] = value as string | string[] | number;
  }
  return out;
}

/** A header as one string (Istio matches on the comma-joined value). */
export const headerValue = (v: string | string[] | number | undefined): string | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v.join(',') : String(v);
