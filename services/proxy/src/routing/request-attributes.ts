/**
 * A request as the routing decisions see it: what Envoy would match on, already normalised by the
 * data plane (header names lowercased, repeated headers joined with ',', as Envoy matches them).
 */
export interface RequestAttributes {
  readonly method: string;
  /** `:path`, with its query string. */
  readonly path: string;
  /** `:authority` / Host, `host[:port]` as the client sent it. */
  readonly authority: string;
  readonly scheme: string;
  readonly headers: RequestHeaders;
  /** The port the request arrived on (listener / service port). */
  readonly port: number;
  /** Labels and namespace of the calling workload (this sidecar's own app for outbound routes). */
  readonly sourceLabels?: Readonly<Record<string, string>>;
  readonly sourceNamespace?: string;
  /** The peer's mTLS identity without `spiffe://`, e.g. `cluster.local/ns/x/sa/y` (absent for plain text). */
  readonly sourcePrincipal?: string;
  /** The direct peer's address (`source.ip`) and port. */
  readonly sourceIp?: string;
  readonly sourcePort?: number;
  /** The original client address (`remote.ip`, from X-Forwarded-For when trusted); defaults to sourceIp. */
  readonly remoteIp?: string;
  readonly destinationIp?: string;
}

export type RequestHeaders = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** A header's value by lowercased name, whatever container the data plane used. */
export function headerOf(headers: RequestHeaders, name: string): string | undefined {
  const key = name.toLowerCase();
  if (isMap(headers)) return headers.get(key);
  return Object.prototype.hasOwnProperty.call(headers, key) ? headers[key] : undefined;
}

const isMap = (h: RequestHeaders): h is ReadonlyMap<string, string> => typeof (h as ReadonlyMap<string, string>).get === 'function';

/** The path without its query string (what exact and regex URI matches, and authorization paths, see). */
export const pathOnly = (path: string): string => {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
};

/** Query parameters by name; the first occurrence wins, as Envoy's query parameter matcher reads them. */
export function queryParams(path: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  const q = path.indexOf('?');
  if (q === -1) return out;
  const end = path.indexOf('#', q);
  for (const part of path.slice(q + 1, end === -1 ? undefined : end).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq === -1 ? part : part.slice(0, eq));
    if (!out.has(name)) out.set(name, eq === -1 ? '' : decode(part.slice(eq + 1)));
  }
  return out;
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
};

/** One cookie's value from the Cookie header (first occurrence). */
export function cookieOf(headers: RequestHeaders, name: string): string | undefined {
  const cookie = headerOf(headers, 'cookie');
  if (cookie === undefined) return undefined;
  for (const part of cookie.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
    }
  }
  return undefined;
}

/** The host part of an authority (`[::1]:80` → `[::1]`, `a.b:8080` → `a.b`). */
export function hostOf(authority: string): string {
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    return close === -1 ? authority : authority.slice(0, close + 1);
  }
  const colon = authority.lastIndexOf(':');
  return colon === -1 || authority.indexOf(':') !== colon ? authority : authority.slice(0, colon);
}

/** A header as Envoy's matchers see it: pseudo-headers (`:path`, `:authority`, …) included, `host` is the authority. */
export function requestHeader(req: RequestAttributes, name: string): string | undefined {
  switch (name.toLowerCase()) {
    case ':method':
      return req.method;
    case ':path':
      return req.path;
    case ':authority':
    case 'host':
      return req.authority;
    case ':scheme':
      return req.scheme;
    default:
      return headerOf(req.headers, name);
  }
}
