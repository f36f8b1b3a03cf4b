import { durationMs } from '@jetmesh/model';
import { headerOf, type RequestAttributes } from './request-attributes.js';
import { matchString, type StringMatch } from './string-match.js';

/** VirtualService corsPolicy, by Istio's field names. */
export interface CorsPolicy {
  readonly allowOrigins?: readonly StringMatch[];
  /** Deprecated exact origins; `*` allows any. */
  readonly allowOrigin?: readonly string[];
  readonly allowMethods?: readonly string[];
  readonly allowHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAge?: string;
  readonly allowCredentials?: boolean;
  readonly unmatchedPreflights?: 'UNSPECIFIED' | 'FORWARD' | 'IGNORE';
}

export interface LocalResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** Envoy's CORS filter sees a preflight in an OPTIONS request with Origin and Access-Control-Request-Method. */
export const isPreflight = (req: RequestAttributes): boolean =>
  req.method === 'OPTIONS' && nonEmpty(headerOf(req.headers, 'origin')) && nonEmpty(headerOf(req.headers, 'access-control-request-method'));

export function originAllowed(policy: CorsPolicy, origin: string): boolean {
  if ((policy.allowOrigins ?? []).some((m) => matchString(m, origin))) return true;
  return (policy.allowOrigin ?? []).some((o) => o === '*' || o === origin);
}

/**
 * The answer to a preflight, or undefined when the request goes on upstream: not a preflight,
 * or a preflight from an origin the policy does not allow while unmatchedPreflights is FORWARD or
 * unset (Istio's default). IGNORE answers such a preflight itself, without CORS headers.
 */
export function preflight(policy: CorsPolicy, req: RequestAttributes): LocalResponse | undefined {
  if (!isPreflight(req)) return undefined;
  const origin = headerOf(req.headers, 'origin') ?? '';
  if (!originAllowed(policy, origin)) return policy.unmatchedPreflights === 'IGNORE' ? { status: 200, headers: {} } : undefined;
  const headers: Record<string, string> = { 'access-control-allow-origin': origin };
  if (policy.allowCredentials === true) headers['access-control-allow-credentials'] = 'true';
  if (nonEmptyList(policy.allowMethods)) headers['access-control-allow-methods'] = policy.allowMethods.join(',');
  if (nonEmptyList(policy.allowHeaders)) headers['access-control-allow-headers'] = policy.allowHeaders.join(',');
  if (policy.maxAge !== undefined) {
    const ms = durationMs(policy.maxAge);
    if (ms !== undefined) headers['access-control-max-age'] = String(Math.floor(ms / 1000));
  }
  return { status: 200, headers };
}

/** Headers to add to the upstream's response to an actual (non-preflight) cross-origin request from an allowed origin. */
export function responseHeaders(policy: CorsPolicy, req: RequestAttributes): Readonly<Record<string, string>> {
  const origin = headerOf(req.headers, 'origin');
  if (!nonEmpty(origin) || isPreflight(req) || !originAllowed(policy, origin)) return {};
  const headers: Record<string, string> = { 'access-control-allow-origin': origin };
  if (policy.allowCredentials === true) headers['access-control-allow-credentials'] = 'true';
  if (nonEmptyList(policy.exposeHeaders)) headers['access-control-expose-headers'] = policy.exposeHeaders.join(',');
  return headers;
}

const nonEmpty = (v: string | undefined): v is string => v !== undefined && v !== '';
const nonEmptyList = (v: readonly string[] | undefined): v is readonly string[] => v !== undefined && v.length > 0;
