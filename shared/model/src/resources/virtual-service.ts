import * as t from 'io-ts';
import { isIP } from 'node:net';
import { coveredByHosts, earlierHosts, hostsOverlap } from '../host-overlap.js';
import { bool, enumOf, fastDecoderOf, intRange, KitType, list, record, refine, str, struct } from '../codec/schema.js';
import {
  Destination,
  Percent,
  PortSelector,
  StrictStringMatch,
  StringMatch,
  dnsLabel,
  duration,
  durationMs,
  exportTo,
  gatewayName,
  headerMatchNameReason,
  headerNameReason,
  headerOperationReason,
  headerValueReason,
  int32,
  wildcardDomainReason,
  ipSubnet,
  labels,
  portNumber,
  regex,
  requestHeaderSetReason,
  routeHost,
} from '../codec/istio-fields.js';

/** networking.istio.io VirtualService: every field of Istio's reference, checked like Istio's validating webhook. */

type Problems = Array<{ path: string; reason: string }>;

const headerValue = refine(str, 'HeaderValue', headerValueReason);
const headerName = (check: (name: string) => string | undefined) => refine(str, 'HeaderName', check);

const HeaderOperations = (keyCheck: (name: string) => string | undefined) =>
  struct('HeaderOperations', {}, {
    set: record(headerValue, { name: 'HeaderValues', keyCheck, reason: 'must be a map of header name to value' }),
    add: record(headerValue, { name: 'HeaderValues', keyCheck, reason: 'must be a map of header name to value' }),
    remove: list(headerName(headerOperationReason)),
  });
// Request headers may set the authority (Envoy rewrites it); response headers may not touch Host.
const RequestHeaderOperations = HeaderOperations(requestHeaderSetReason);
const ResponseHeaderOperations = HeaderOperations(headerOperationReason);
const Headers = struct('Headers', {}, { request: RequestHeaderOperations, response: ResponseHeaderOperations });
type Headers = t.TypeOf<typeof Headers>;

/** `withoutHeaders` may test presence with the pseudo-regex `*` (not RE2: Istio turns it into a present match). */
const isPresenceMatch = (u: unknown): boolean =>
  typeof u === 'object' && u !== null && (u as Record<string, unknown>).regex === '*' && Object.keys(u).length === 1;
const strictStringMatchFast = fastDecoderOf(StrictStringMatch);
const WithoutHeaderMatch = new KitType<t.TypeOf<typeof StrictStringMatch>, t.OutputOf<typeof StrictStringMatch>>(
  'WithoutHeaderMatch',
  StrictStringMatch.is,
  (u, c) => (isPresenceMatch(u) ? t.success({ regex: '*' }) : StrictStringMatch.validate(u, c)),
  StrictStringMatch.encode,
  (u) => (isPresenceMatch(u) ? { regex: '*' } : strictStringMatchFast(u)),
);

const headerMatches = (match: t.Type<t.TypeOf<typeof StrictStringMatch>, t.OutputOf<typeof StrictStringMatch>, unknown>) =>
  record(match, { name: 'HeaderMatches', keyCheck: headerMatchNameReason, reason: 'must be a map of header name to match' });

export const HTTPMatchRequest = struct('HTTPMatchRequest', {}, {
  name: str,
  uri: StringMatch,
  scheme: StrictStringMatch,
  method: StrictStringMatch,
  authority: StrictStringMatch,
  headers: headerMatches(StrictStringMatch),
  port: portNumber,
  sourceLabels: labels,
  gateways: list(gatewayName),
  queryParams: record(StrictStringMatch, { name: 'QueryParamMatches', reason: 'must be a map of parameter name to match' }),
  ignoreUriCase: bool,
  withoutHeaders: headerMatches(WithoutHeaderMatch),
  sourceNamespace: dnsLabel,
  statPrefix: str,
});
export type HTTPMatchRequest = t.TypeOf<typeof HTTPMatchRequest>;

export const HTTPRouteDestination = struct('HTTPRouteDestination', { destination: Destination }, { weight: int32, headers: Headers });
export type HTTPRouteDestination = t.TypeOf<typeof HTTPRouteDestination>;

/** Envoy's `x-envoy-retry-on` and `x-envoy-retry-grpc-on` policies; a bare HTTP status code is a policy too. */
const RETRY_ON = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
];
const HTTP_STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
  500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);
const retryOn = refine(str, 'RetryOn', (s) => {
  const bad = s.split(',').filter((p) => !RETRY_ON.includes(p) && !(/^[0-9]{3}$/.test(p) && HTTP_STATUS_CODES.has(Number(p))));
  return bad.length === 0 ? undefined : `${bad.map((p) => `"${p}"`).join(', ')} ${bad.length === 1 ? 'is not a retryOn policy' : 'are not retryOn policies'}: use ${RETRY_ON.slice(0, 6).join(', ')}, … or an HTTP status code`;
});

export const HTTPRetry = struct(
  'HTTPRetry',
  {},
  { attempts: int32, perTryTimeout: duration, retryOn, retryRemoteLocalities: bool, retryIgnorePreviousHosts: bool, backoff: duration },
  {
    check: (r) =>
      (r.attempts ?? 0) === 0 && (r.perTryTimeout !== undefined || r.retryOn !== undefined || r.retryRemoteLocalities !== undefined)
        ? [{ path: '', reason: 'retry settings given while attempts is 0 (retries disabled): set attempts >= 1' }]
        : [],
  },
);
export type HTTPRetry = t.TypeOf<typeof HTTPRetry>;

const HTTPRedirect = struct(
  'HTTPRedirect',
  {},
  {
    uri: str,
    prefixRewrite: str,
    authority: str,
    port: portNumber,
    derivePort: enumOf('RedirectPortSelection', ['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'] as const),
    scheme: enumOf('RedirectScheme', ['http', 'https'] as const),
    redirectCode: intRange(300, 399),
  },
  {
    check: (r) => {
      const problems: Problems = [];
      if (r.uri === undefined && r.prefixRewrite === undefined && r.authority === undefined && r.port === undefined && r.derivePort === undefined && r.scheme === undefined) {
        problems.push({ path: '', reason: 'must set at least one of uri, prefixRewrite, authority, scheme, port, derivePort' });
      }
      if (r.uri !== undefined && r.prefixRewrite !== undefined) problems.push({ path: '', reason: 'uri and prefixRewrite are mutually exclusive' });
      if (r.port !== undefined && r.derivePort !== undefined) problems.push({ path: '', reason: 'port and derivePort are mutually exclusive' });
      return problems;
    },
  },
);

const RegexRewrite = struct('RegexRewrite', { match: regex, rewrite: str }, {});

const HTTPRewrite = struct(
  'HTTPRewrite',
  {},
  { uri: str, authority: str, uriRegexRewrite: RegexRewrite },
  {
    check: (r) => {
      if (r.uri !== undefined && r.uriRegexRewrite !== undefined) return [{ path: '', reason: 'uri and uriRegexRewrite are mutually exclusive' }];
      if (r.uri === undefined && r.uriRegexRewrite === undefined && r.authority === undefined) {
        return [{ path: '', reason: 'must set at least one of uri, uriRegexRewrite, authority' }];
      }
      return [];
    },
  },
);

const MAX_DIRECT_RESPONSE_BYTES = 1024 * 1024;
const HTTPBody = struct(
  'HTTPBody',
  {},
  { string: str, bytes: refine(str, 'Base64', (s) => (/^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 ? undefined : 'must be base64')) },
  {
    check: (b) => {
      if ((b.string === undefined) === (b.bytes === undefined)) return [{ path: '', reason: 'must set exactly one of string, bytes' }];
      const size = b.string !== undefined ? Buffer.byteLength(b.string) : Math.floor(((b.bytes ?? '').length * 3) / 4);
      return size > MAX_DIRECT_RESPONSE_BYTES ? [{ path: '', reason: 'a direct response body must be smaller than 1 MiB' }] : [];
    },
  },
);
const HTTPDirectResponse = struct('HTTPDirectResponse', { status: intRange(200, 599) }, { body: HTTPBody });

/** gRPC status names Istio's webhook accepts for an abort. */
const GRPC_STATUS = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

const FaultDelay = struct(
  'Delay',
  {},
  { fixedDelay: duration, exponentialDelay: duration, percentage: Percent, percent: intRange(0, 100) },
  {
    check: (d) => {
      // Without fixedDelay Istio accepts the delay and injects none; so does the proxy.
      if (d.exponentialDelay !== undefined) return [{ path: 'exponentialDelay', reason: 'is not supported (by Istio either): use fixedDelay' }];
      return [];
    },
  },
);
const FaultAbort = struct(
  'Abort',
  {},
  { httpStatus: intRange(200, 599), grpcStatus: enumOf('GrpcStatus', GRPC_STATUS), http2Error: str, percentage: Percent },
  {
    check: (a) => {
      if (a.http2Error !== undefined) return [{ path: 'http2Error', reason: 'is not supported (by Istio either): use httpStatus or grpcStatus' }];
      // Without httpStatus or grpcStatus nothing is aborted; Istio warns (virtualServiceWarnings).
      return [];
    },
  },
);

export const HTTPFaultInjection = struct(
  'HTTPFaultInjection',
  {},
  { delay: FaultDelay, abort: FaultAbort },
  { check: (f) => (f.delay === undefined && f.abort === undefined ? [{ path: '', reason: 'must set delay or abort' }] : []) },
);
export type HTTPFaultInjection = t.TypeOf<typeof HTTPFaultInjection>;

const HTTPMirrorPolicy = struct('HTTPMirrorPolicy', { destination: Destination }, { percentage: Percent });

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE'] as const;
const corsHeader = refine(str, 'CorsHeader', (h) => (h === '*' ? undefined : headerNameReason(h)));
const CorsOrigin = refine(StringMatch, 'CorsOrigin', (m) => ((m.exact ?? m.prefix ?? m.regex) === '' ? 'an origin match must not be empty' : undefined));
const CorsPolicy = struct('CorsPolicy', {}, {
  allowOrigins: list(CorsOrigin),
  allowOrigin: list(str),
  allowMethods: list(enumOf('HttpMethod', HTTP_METHODS)),
  allowHeaders: list(corsHeader),
  exposeHeaders: list(corsHeader),
  maxAge: refine(duration, 'MaxAge', (d) => ((durationMs(d) ?? 0) % 1000 === 0 ? undefined : 'is accurate to seconds only: use a whole number of seconds')),
  allowCredentials: bool,
  unmatchedPreflights: enumOf('UnmatchedPreflights', ['UNSPECIFIED', 'FORWARD', 'IGNORE'] as const),
});

// Istio resolves the namespace as given (empty: the root's); a name no namespace has simply matches nothing.
const Delegate = struct('Delegate', { name: str }, { namespace: str });

const authorityCount = (r: { rewrite?: { authority?: string }; headers?: Headers }): number =>
  (r.rewrite?.authority !== undefined ? 1 : 0) +
  [r.headers?.request?.set, r.headers?.request?.add].reduce((n, ops) => n + Object.keys(ops ?? {}).filter((k) => [':authority', 'host'].includes(k.toLowerCase())).length, 0);

export const HTTPRoute = struct(
  'HTTPRoute',
  {},
  {
    name: str,
    match: list(HTTPMatchRequest),
    route: list(HTTPRouteDestination),
    redirect: HTTPRedirect,
    directResponse: HTTPDirectResponse,
    delegate: Delegate,
    rewrite: HTTPRewrite,
    timeout: duration,
    retries: HTTPRetry,
    fault: HTTPFaultInjection,
    mirror: Destination,
    mirrors: list(HTTPMirrorPolicy),
    mirrorPercentage: Percent,
    mirrorPercent: intRange(0, 100),
    corsPolicy: CorsPolicy,
    headers: Headers,
  },
  {
    check: (r) => {
      const problems: Problems = [];
      const targets = [r.route, r.redirect, r.directResponse].filter((x) => x !== undefined).length;
      if (r.delegate !== undefined) {
        if (targets > 0) problems.push({ path: '', reason: 'a route that delegates cannot also set route, redirect or directResponse' });
      } else if (targets === 0) problems.push({ path: '', reason: 'must set one of route, redirect, directResponse' });
      else if (targets > 1) problems.push({ path: '', reason: 'route, redirect and directResponse are mutually exclusive' });
      const endsHere = r.redirect !== undefined ? 'redirect' : r.directResponse !== undefined ? 'directResponse' : undefined;
      if (endsHere !== undefined) {
        if (r.fault !== undefined) problems.push({ path: 'fault', reason: `cannot be combined with ${endsHere}` });
        if (r.rewrite !== undefined) problems.push({ path: 'rewrite', reason: `cannot be combined with ${endsHere}` });
      }
      if (r.mirror !== undefined && r.mirrors !== undefined) problems.push({ path: '', reason: 'mirror and mirrors are mutually exclusive' });
      if (r.mirrorPercent !== undefined && r.mirrorPercentage !== undefined) problems.push({ path: 'mirrorPercent', reason: 'is deprecated and cannot be combined with mirrorPercentage' });
      if (authorityCount(r) > 1) problems.push({ path: '', reason: 'the authority is rewritten more than once (rewrite.authority and headers)' });
      const route = r.route ?? [];
      if (route.length === 0 && r.route !== undefined) problems.push({ path: 'route', reason: 'must not be empty' });
      problems.push(...weightsProblem(route));
      return problems;
    },
  },
);
export type HTTPRoute = t.TypeOf<typeof HTTPRoute>;

const RouteDestination = struct('RouteDestination', { destination: Destination }, { weight: int32 });
/** Envoy's weighted clusters add the weights up in a uint32: a larger total would not reach the proxy as written. */
const MAX_TOTAL_WEIGHT = 4294967295;
const weightsProblem = (route: ReadonlyArray<{ weight?: number }>): Problems => {
  const total = route.reduce((s, d) => s + (d.weight ?? 0), 0);
  if (route.length > 1 && total <= 0) return [{ path: 'route', reason: 'weights of several destinations must add up to more than 0' }];
  return total > MAX_TOTAL_WEIGHT ? [{ path: 'route', reason: `weights add up to ${total}, more than ${MAX_TOTAL_WEIGHT} (the uint32 total Envoy keeps)` }] : [];
};

const l4Match = {
  destinationSubnets: list(ipSubnet),
  port: portNumber,
  sourceLabels: labels,
  gateways: list(gatewayName),
  sourceNamespace: dnsLabel,
  sourceSubnet: ipSubnet,
};
const L4MatchAttributes = struct('L4MatchAttributes', {}, l4Match);
// An IP address as SNI goes against the SNI spec but Istio only warns (virtualServiceWarnings).
const sniHost = refine(str, 'SniHost', (h) => (isIP(h) !== 0 ? undefined : wildcardDomainReason(h)));
const TLSMatchAttributes = struct('TLSMatchAttributes', { sniHosts: list(sniHost, { minItems: 1 }) }, l4Match);
export const TCPRoute = struct('TCPRoute', { route: list(RouteDestination, { minItems: 1 }) }, { match: list(L4MatchAttributes) }, { check: (r) => weightsProblem(r.route) });
export const TLSRoute = struct(
  'TLSRoute',
  { match: list(TLSMatchAttributes, { minItems: 1 }), route: list(RouteDestination, { minItems: 1 }) },
  {},
  { check: (r) => weightsProblem(r.route) },
);
export type TCPRoute = t.TypeOf<typeof TCPRoute>;
export type TLSRoute = t.TypeOf<typeof TLSRoute>;

export { hostsOverlap };

/**
 * A VirtualService without hosts is a delegate: it serves only the HTTP routes of the root
 * VirtualServices that delegate to it, so it names no gateways, no TCP/TLS routes and does not
 * delegate further (Istio's rules).
 */
export const isDelegate = (spec: { readonly hosts?: readonly string[] | undefined }): boolean => spec.hosts === undefined || spec.hosts.length === 0;

const delegateProblems = (s: { gateways?: readonly string[]; tcp?: readonly unknown[]; tls?: readonly unknown[]; http?: ReadonlyArray<{ delegate?: unknown }> }): Problems => {
  const problems: Problems = [];
  const why = 'a VirtualService without hosts is a delegate';
  if (s.gateways !== undefined && s.gateways.length > 0) problems.push({ path: 'gateways', reason: `must not be set: ${why}; the root VirtualService names the gateways` });
  if (s.tcp !== undefined && s.tcp.length > 0) problems.push({ path: 'tcp', reason: `must not be set: ${why}, and delegates carry HTTP routes only` });
  if (s.tls !== undefined && s.tls.length > 0) problems.push({ path: 'tls', reason: `must not be set: ${why}, and delegates carry HTTP routes only` });
  s.http?.forEach((r, i) => {
    if (r.delegate !== undefined) problems.push({ path: `http[${i}].delegate`, reason: `must not be set: ${why}, and a delegate cannot delegate again` });
  });
  return problems;
};

/** A VirtualService applies to sidecars unless every gateway it names is a real gateway. */
export const boundToMesh = (gateways: readonly string[] | undefined): boolean => gateways === undefined || gateways.length === 0 || gateways.includes('mesh');

export const VirtualServiceSpec = struct(
  'VirtualServiceSpec',
  {},
  { hosts: list(routeHost), gateways: list(gatewayName), http: list(HTTPRoute), tcp: list(TCPRoute), tls: list(TLSRoute), exportTo },
  {
    check: (s) => {
      const problems: Problems = [];
      if ((s.http ?? []).length === 0 && (s.tcp ?? []).length === 0 && (s.tls ?? []).length === 0) {
        problems.push({ path: '', reason: 'must set at least one of http, tcp, tls' });
      }
      if (isDelegate(s)) problems.push(...delegateProblems(s));
      const hosts = s.hosts ?? [];
      const mesh = boundToMesh(s.gateways);
      const earlier = earlierHosts(hosts, (h) => isIP(h) === 0);
      hosts.forEach((h, i) => {
        if (h === '*' && mesh) problems.push({ path: `hosts[${i}]`, reason: '"*" is not allowed for VirtualServices bound to the mesh' });
        const found = earlier[i];
        if (found?.kind === 'duplicate') problems.push({ path: `hosts[${i}]`, reason: `duplicate host "${h}"` });
        else if (found !== undefined && !(h === '*' && mesh)) problems.push({ path: `hosts[${i}]`, reason: `host "${h}" overlaps host "${found.host}"` });
      });
      if (mesh) {
        s.http?.forEach((r, i) =>
          r.match?.forEach((m, j) =>
            [...Object.keys(m.headers ?? {}), ...Object.keys(m.withoutHeaders ?? {})]
              .filter((k) => k.startsWith('@request.auth.claims.'))
              .forEach((k) => problems.push({ path: `http[${i}].match[${j}]`, reason: `JWT claim routing ("${k}") works only on gateways: bind this VirtualService to a gateway` })),
          ),
        );
      }
      const covered = coveredByHosts(hosts);
      s.tls?.forEach((r, i) =>
        r.match.forEach((m, j) =>
          m.sniHosts.forEach((sni, k) => {
            if (isIP(sni) === 0 && !covered(sni)) {
              problems.push({ path: `tls[${i}].match[${j}].sniHosts[${k}]`, reason: `"${sni}" is not one of the VirtualService's hosts (or covered by a wildcard host)` });
            }
          }),
        ),
      );
      return problems;
    },
  },
);
export type VirtualServiceSpec = t.TypeOf<typeof VirtualServiceSpec>;

export { enumOf, PortSelector };

/** Direct response bodies above this are warned about, as Istio does (they travel in every route table). */
const LARGE_DIRECT_RESPONSE_BYTES = 100 * 1024;
const bodyBytes = (b: { string?: string; bytes?: string }): number =>
  b.string !== undefined ? Buffer.byteLength(b.string) : Math.floor(((b.bytes ?? '').length * 3) / 4);

/** `name.namespace` (Istio's legacy gateway name format) and the `namespace/name` Istio recommends instead. */
const legacyGatewayWarnings = (names: readonly string[] | undefined, at: string): Array<{ path: string; reason: string }> =>
  (names ?? []).flatMap((g, i) => {
    if (g.includes('/') || !g.includes('.')) return [];
    const [name, namespace] = g.split('.');
    return [{ path: `${at}[${i}]`, reason: `using legacy gatewayName format "${g}"; prefer the <namespace>/<name> format: "${namespace ?? ''}/${name ?? ''}"` }];
  });

/**
 * Istio's webhook warnings for a VirtualService (ValidateVirtualService): legacy gateway names, an
 * abort without error type, a large direct response, the deprecated mirrorPercent, an IP as SNI.
 * (Unreachable rules and ineffective matches are the IST0130/IST0131 analyzers' findings.)
 */
export const virtualServiceWarnings = (s: VirtualServiceSpec): Array<{ path: string; reason: string }> => [
  ...legacyGatewayWarnings(s.gateways, 'gateways'),
  ...(s.http ?? []).flatMap((r, i) => [
    ...(r.match ?? []).flatMap((m, j) => legacyGatewayWarnings(m.gateways, `http[${i}].match[${j}].gateways`)),
    ...(r.fault?.abort !== undefined && r.fault.abort.httpStatus === undefined && r.fault.abort.grpcStatus === undefined
      ? [{ path: `http[${i}].fault.abort`, reason: 'abort configured, but error type not set' }]
      : []),
    ...(r.directResponse?.body !== undefined && bodyBytes(r.directResponse.body) > LARGE_DIRECT_RESPONSE_BYTES
      ? [{ path: `http[${i}].directResponse.body`, reason: 'large direct_responses may impact control plane performance' }]
      : []),
    ...(r.mirrorPercent !== undefined ? [{ path: `http[${i}].mirrorPercent`, reason: 'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead' }] : []),
  ]),
  ...(s.tcp ?? []).flatMap((r, i) => (r.match ?? []).flatMap((m, j) => legacyGatewayWarnings(m.gateways, `tcp[${i}].match[${j}].gateways`))),
  ...(s.tls ?? []).flatMap((r, i) =>
    r.match.flatMap((m, j) => [
      ...legacyGatewayWarnings(m.gateways, `tls[${i}].match[${j}].gateways`),
      ...m.sniHosts.flatMap((h, k) =>
        isIP(h) !== 0 ? [{ path: `tls[${i}].match[${j}].sniHosts[${k}]`, reason: `using an IP address ("${h}") goes against SNI spec and most clients do not support this` }] : [],
      ),
    ]),
  ),
];
