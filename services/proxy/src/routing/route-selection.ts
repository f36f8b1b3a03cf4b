import type { RouteMatch, RouteRule, RoutingSnapshot } from '@jetmesh/model';
import { pathOnly, queryParams, requestHeader, type RequestAttributes } from './request-attributes.js';
import { isPresenceMatch, matchString, type StringMatch } from './string-match.js';

/**
 * Istio's HTTPMatchRequest fields this module evaluates. Declared structurally so newer fields
 * (`withoutHeaders`, `scheme`, `sourceLabels`, `sourceNamespace`) work whether or not the snapshot
 * type has them yet.
 */
export interface HttpMatch {
  readonly uri?: StringMatch;
  readonly scheme?: StringMatch;
  readonly method?: StringMatch;
  readonly authority?: StringMatch;
  readonly headers?: Readonly<Record<string, StringMatch>>;
  readonly withoutHeaders?: Readonly<Record<string, StringMatch>>;
  readonly queryParams?: Readonly<Record<string, StringMatch>>;
  readonly port?: number;
  readonly ignoreUriCase?: boolean;
  readonly sourceLabels?: Readonly<Record<string, string>>;
  readonly sourceNamespace?: string;
}

/** The first route whose match list matches (OR over matches, AND inside one); undefined: no route (404 NR). */
export function selectRoute(snapshot: Pick<RoutingSnapshot, 'routes'>, req: RequestAttributes): RouteRule | undefined {
  return selectFrom(snapshot.routes, req);
}

/** Same, over any ordered route list (a gateway's route table, say). */
export function selectFrom<R extends { readonly match: readonly RouteMatch[] }>(routes: readonly R[], req: RequestAttributes): R | undefined {
  for (const route of routes) if (routeMatches(route, req)) return route;
  return undefined;
}

export const routeMatches = (route: { readonly match: readonly RouteMatch[] }, req: RequestAttributes): boolean =>
  route.match.length === 0 || route.match.some((m) => requestMatches(m as HttpMatch, req));

/** One HTTPMatchRequest: every field it sets must hold. */
export function requestMatches(m: HttpMatch, req: RequestAttributes): boolean {
  if (m.port !== undefined && m.port !== req.port) return false;
  if (m.uri !== undefined && !uriMatches(m.uri, req.path, m.ignoreUriCase === true)) return false;
  if (m.method !== undefined && !valueMatches(m.method, req.method)) return false;
  if (m.authority !== undefined && !valueMatches(m.authority, req.authority)) return false;
  if (m.scheme !== undefined && !valueMatches(m.scheme, req.scheme)) return false;
  for (const [name, sm] of Object.entries(m.headers ?? {})) {
    if (!headerMatches(name, sm, req)) return false;
  }
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) {
    if (!withoutHeaderMatches(name, sm, req)) return false;
  }
  if (m.queryParams !== undefined) {
    const params = queryParams(req.path);
    for (const [name, sm] of Object.entries(m.queryParams)) {
      const v = params.get(name);
      if (v === undefined || !valueMatches(sm, v)) return false;
    }
  }
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== req.sourceNamespace) return false;
  if (m.sourceLabels !== undefined) {
    const labels = req.sourceLabels ?? {};
    for (const [k, v] of Object.entries(m.sourceLabels)) if (labels[k] !== v) return false;
  }
  return true;
}

/**
 * Envoy's route path matchers: `prefix` sees the whole `:path` (query included), `path` (exact)
 * and `safe_regex` see it without the query; `case_sensitive: false` does not apply to regexes.
 */
export function uriMatches(m: StringMatch, path: string, ignoreCase: boolean): boolean {
  if (m.prefix !== undefined) return matchString(m, path, { ignoreCase });
  if (m.exact !== undefined) return matchString(m, pathOnly(path), { ignoreCase });
  return matchString(m, pathOnly(path));
}

const valueMatches = (m: StringMatch, value: string | undefined): boolean =>
  value !== undefined && (isPresenceMatch(m) || matchString(m, value));

// Istio turns `@request.auth.claims…` header matches into JWT metadata matches; this proxy validates no JWT, so there are no claims.
const isClaimMatch = (name: string): boolean => name.startsWith('@request.auth.claims');

function headerMatches(name: string, m: StringMatch, req: RequestAttributes): boolean {
  if (isClaimMatch(name)) return false;
  return valueMatches(m, requestHeader(req, name));
}

/** Inverted header match; a missing header counts as empty (Istio sets treat_missing_header_as_empty), or as absent for a presence test. */
function withoutHeaderMatches(name: string, m: StringMatch, req: RequestAttributes): boolean {
  if (isClaimMatch(name)) return true;
  const v = requestHeader(req, name);
  if (isPresenceMatch(m)) return v === undefined;
  return !matchString(m, v ?? '');
}

/** The route and the one match of its list that matched (rewrites depend on which): undefined match = the route has none. */
export interface SelectedRoute<R> {
  readonly route: R;
  readonly match?: RouteMatch;
}

export function selectRouteWithMatch<R extends { readonly match: readonly RouteMatch[] }>(routes: readonly R[], req: RequestAttributes): SelectedRoute<R> | undefined {
  for (const route of routes) {
    if (route.match.length === 0) return { route };
    const match = route.match.find((m) => requestMatches(m as HttpMatch, req));
    if (match !== undefined) return { route, match };
  }
  return undefined;
}
