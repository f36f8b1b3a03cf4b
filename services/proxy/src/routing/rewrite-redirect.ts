import type { Matcher, RE2JS } from 're2js';
import { pathOnly, hostOf, type RequestAttributes } from './request-attributes.js';
import { fullMatchRegex, type StringMatch } from './string-match.js';

/** HTTPRewrite by Istio's field names. */
export interface RouteRewrite {
  readonly uri?: string;
  readonly authority?: string;
  readonly uriRegexRewrite?: { readonly match: string; readonly rewrite: string };
}

/** HTTPRedirect by Istio's field names. */
export interface RouteRedirect {
  readonly uri?: string;
  /** Swaps the matched prefix, as rewrite.uri does (Envoy's redirect prefix_rewrite). */
  readonly prefixRewrite?: string;
  readonly authority?: string;
  readonly port?: number;
  readonly derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  readonly scheme?: string;
  readonly redirectCode?: number;
}

export interface RewrittenRequest {
  /** The new `:path`, query string kept. */
  readonly path: string;
  /** The new `:authority`, when rewritten. */
  readonly authority?: string;
}

/**
 * Envoy's prefix_rewrite as Istio configures `rewrite.uri`: the matched prefix is swapped for the
 * new value; for an exact or regex URI match the whole path (without its query) is swapped; a route
 * without a URI match matched the prefix `/`. `uriRegexRewrite` is RE2 GlobalReplace over the path
 * without its query (`\1` in the substitution is a capture group).
 */
export function rewriteRequest(rewrite: RouteRewrite | undefined, uriMatch: StringMatch | undefined, req: Pick<RequestAttributes, 'path'>): RewrittenRequest {
  if (rewrite === undefined) return { path: req.path };
  const authority = rewrite.authority !== undefined && rewrite.authority !== '' ? { authority: rewrite.authority } : {};
  const path = pathOnly(req.path);
  const query = req.path.slice(path.length);
  if (rewrite.uriRegexRewrite !== undefined) {
    const { match, rewrite: substitution } = rewrite.uriRegexRewrite;
    return { path: regexReplaceAll(match, substitution, path) + query, ...authority };
  }
  if (rewrite.uri === undefined || rewrite.uri === '') return { path: req.path, ...authority };
  const prefix = uriMatch === undefined ? '/' : uriMatch.prefix;
  if (prefix === undefined) return { path: rewrite.uri + query, ...authority };
  // The prefix matched already (case-insensitively with ignoreUriCase): swap that many characters.
  return { path: rewrite.uri + req.path.slice(prefix.length), ...authority };
}

const REWRITE_CACHE = new Map<string, RE2JS | null>();

/**
 * RE2::GlobalReplace, which Envoy runs for regex_rewrite: every non-overlapping match is replaced,
 * an empty match right after the previous one is skipped (as RE2 and Go do, unlike JS), and a
 * rewrite naming a group the pattern lacks changes nothing.
 */
function regexReplaceAll(pattern: string, rewrite: string, value: string): string {
  let re = REWRITE_CACHE.get(pattern);
  if (re === undefined) {
    re = fullMatchRegex(pattern);
    if (REWRITE_CACHE.size > 10_000) REWRITE_CACHE.clear();
    REWRITE_CACHE.set(pattern, re);
  }
  if (re === null || maxSubmatch(rewrite) > re.groupCount()) return value;
  const m = re.matcher(value);
  let out = '';
  let p = 0;
  let lastEnd = -1;
  let count = 0;
  while (p <= value.length && m.find(p)) {
    const start = m.start();
    const end = m.end();
    out += value.slice(p, start);
    if (start === end && start === lastEnd) {
      const width = (value.codePointAt(p) ?? 0) > 0xffff ? 2 : 1;
      out += value.slice(p, p + width);
      p += width;
      continue;
    }
    out += expandRewrite(rewrite, m);
    p = end;
    lastEnd = end;
    count += 1;
  }
  return count === 0 ? value : out + value.slice(p);
}

/** The highest `\N` a rewrite names (RE2::MaxSubmatch). */
function maxSubmatch(rewrite: string): number {
  let max = 0;
  for (let i = 0; i < rewrite.length; i++) {
    if (rewrite[i] !== '\\') continue;
    i += 1;
    const d = rewrite.charCodeAt(i) - 48;
    if (d >= 0 && d <= 9 && d > max) max = d;
  }
  return max;
}

/** RE2::Rewrite: `\0`…`\9` are groups (an unmatched one is empty), `\\` is a backslash; RE2 stops at any other escape, keeping what it wrote. */
function expandRewrite(rewrite: string, m: Matcher): string {
  let out = '';
  for (let i = 0; i < rewrite.length; i++) {
    const c = rewrite[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    i += 1;
    const next = rewrite[i];
    if (next !== undefined && next >= '0' && next <= '9') out += m.group(Number(next)) ?? '';
    else if (next === '\\') out += '\\';
    else return out;
  }
  return out;
}

export interface Redirect {
  readonly status: number;
  readonly location: string;
}

const DEFAULT_PORT: Readonly<Record<string, number>> = { http: 80, https: 443 };

/**
 * Envoy's redirect as Istio builds it: scheme, host, port and path each swapped when set, the
 * rest from the request; the request's query is kept unless `uri` carries one; an explicit or
 * derived port equal to the scheme's default is left out; a scheme change drops the old scheme's
 * default port. `prefixRewrite` swaps the matched URI prefix as `rewrite.uri` does. redirectCode
 * defaults to 301.
 */
export function buildRedirect(redirect: RouteRedirect, req: Pick<RequestAttributes, 'path' | 'authority' | 'scheme' | 'port'>, uriMatch?: StringMatch): Redirect {
  const scheme = redirect.scheme !== undefined && redirect.scheme !== '' ? redirect.scheme : req.scheme;
  let host = redirect.authority !== undefined && redirect.authority !== '' ? redirect.authority : req.authority;
  const port = redirect.port ?? (redirect.derivePort === 'FROM_REQUEST_PORT' ? req.port : undefined);
  if (port !== undefined) {
    host = hostOf(host) + (DEFAULT_PORT[scheme] === port ? '' : `:${port}`);
  } else if (scheme !== req.scheme || redirect.derivePort === 'FROM_PROTOCOL_DEFAULT') {
    const hostPort = portOf(host);
    if (hostPort !== undefined && (hostPort === DEFAULT_PORT[req.scheme] || hostPort === DEFAULT_PORT[scheme])) host = hostOf(host);
  }
  let path = req.path;
  if (redirect.uri !== undefined && redirect.uri !== '') {
    const query = req.path.slice(pathOnly(req.path).length);
    path = redirect.uri.includes('?') ? redirect.uri : redirect.uri + query;
  } else if (redirect.prefixRewrite !== undefined) {
    path = rewriteRequest({ uri: redirect.prefixRewrite }, uriMatch, req).path;
  }
  return { status: redirect.redirectCode ?? 301, location: `${scheme}://${host}${path}` };
}

const portOf = (authority: string): number | undefined => {
  const host = hostOf(authority);
  if (host.length === authority.length) return undefined;
  const p = Number(authority.slice(host.length + 1));
  return Number.isInteger(p) ? p : undefined;
};
