import * as t from 'io-ts';
import { enumOf, intRange, list, nonNegativeInt, record, str, struct, bool } from '../codec/schema.js';
import { Destination, Percent, PortSelector, StringMatch, duration, exportTo, hostname, labels, portNumber, stringMap } from '../codec/istio-fields.js';

/** networking.istio.io VirtualService: the fields Jetmesh derives routing from, checked like Istio's webhook. */

const HeaderOperations = struct('HeaderOperations', {}, { set: stringMap, add: stringMap, remove: list(str) });
const Headers = struct('Headers', {}, { request: HeaderOperations, response: HeaderOperations });

export const HTTPMatchRequest = struct(
  'HTTPMatchRequest',
  {},
  {
    name: str,
    uri: StringMatch,
    scheme: StringMatch,
    method: StringMatch,
    authority: StringMatch,
    headers: record(StringMatch, { name: 'HeaderMatches' }),
    port: portNumber,
    sourceLabels: labels,
    gateways: list(str),
    queryParams: record(StringMatch, { name: 'QueryParamMatches' }),
    ignoreUriCase: bool,
    withoutHeaders: record(StringMatch, { name: 'HeaderMatches' }),
    sourceNamespace: str,
  },
);
export type HTTPMatchRequest = t.TypeOf<typeof HTTPMatchRequest>;

export const HTTPRouteDestination = struct('HTTPRouteDestination', { destination: Destination }, { weight: nonNegativeInt, headers: Headers });
export type HTTPRouteDestination = t.TypeOf<typeof HTTPRouteDestination>;

export const HTTPRetry = struct('HTTPRetry', {}, { attempts: nonNegativeInt, perTryTimeout: duration, retryOn: str, retryRemoteLocalities: bool });
export type HTTPRetry = t.TypeOf<typeof HTTPRetry>;

const HTTPRedirect = struct('HTTPRedirect', {}, { uri: str, authority: str, port: portNumber, scheme: str, redirectCode: intRange(300, 399) });
const HTTPRewrite = struct('HTTPRewrite', {}, { uri: str, authority: str });
const HTTPDirectResponse = struct('HTTPDirectResponse', { status: intRange(200, 599) }, { body: struct('HTTPBody', {}, { string: str, bytes: str }) });

export const HTTPFaultInjection = struct(
  'HTTPFaultInjection',
  {},
  {
    delay: struct('Delay', {}, { fixedDelay: duration, percentage: Percent, percent: intRange(0, 100) }),
    abort: struct('Abort', {}, { httpStatus: intRange(200, 599), grpcStatus: str, percentage: Percent }),
  },
  { check: (f) => (f.delay === undefined && f.abort === undefined ? [{ path: '', reason: 'must set delay or abort' }] : []) },
);
export type HTTPFaultInjection = t.TypeOf<typeof HTTPFaultInjection>;

export const HTTPRoute = struct(
  'HTTPRoute',
  {},
  {
    name: str,
    match: list(HTTPMatchRequest),
    route: list(HTTPRouteDestination),
    redirect: HTTPRedirect,
    directResponse: HTTPDirectResponse,
    rewrite: HTTPRewrite,
    timeout: duration,
    retries: HTTPRetry,
    fault: HTTPFaultInjection,
    mirror: Destination,
    mirrorPercentage: Percent,
    headers: Headers,
  },
  {
    check: (r) => {
      const problems: Array<{ path: string; reason: string }> = [];
      const targets = [r.route, r.redirect, r.directResponse].filter((x) => x !== undefined).length;
      if (targets === 0) problems.push({ path: '', reason: 'must set one of route, redirect, directResponse' });
      if (targets > 1) problems.push({ path: '', reason: 'route, redirect and directResponse are mutually exclusive' });
      const route = r.route ?? [];
      if (route.length === 0 && r.route !== undefined) problems.push({ path: 'route', reason: 'must not be empty' });
      if (route.length > 1) {
        const total = route.reduce((s, d) => s + (d.weight ?? 0), 0);
        if (total <= 0) problems.push({ path: 'route', reason: 'weights of several destinations must add up to more than 0' });
      }
      return problems;
    },
  },
);
export type HTTPRoute = t.TypeOf<typeof HTTPRoute>;

const RouteDestination = struct('RouteDestination', { destination: Destination }, { weight: nonNegativeInt });
const L4MatchAttributes = struct('L4MatchAttributes', {}, {
  destinationSubnets: list(str), port: portNumber, sourceLabels: labels, gateways: list(str), sourceNamespace: str,
});
const TLSMatchAttributes = struct('TLSMatchAttributes', { sniHosts: list(hostname, { minItems: 1 }) }, {
  destinationSubnets: list(str), port: portNumber, sourceLabels: labels, gateways: list(str), sourceNamespace: str,
});
export const TCPRoute = struct('TCPRoute', {}, { match: list(L4MatchAttributes), route: list(RouteDestination, { minItems: 1 }) });
export const TLSRoute = struct('TLSRoute', { match: list(TLSMatchAttributes, { minItems: 1 }) }, { route: list(RouteDestination, { minItems: 1 }) });

export const VirtualServiceSpec = struct(
  'VirtualServiceSpec',
  { hosts: list(hostname, { minItems: 1 }) },
  { gateways: list(str), http: list(HTTPRoute), tcp: list(TCPRoute), tls: list(TLSRoute), exportTo },
  {
    check: (s) => {
      const problems: Array<{ path: string; reason: string }> = [];
      if (s.http === undefined && s.tcp === undefined && s.tls === undefined) {
        problems.push({ path: '', reason: 'must set at least one of http, tcp, tls' });
      }
      const seen = new Set<string>();
      s.hosts.forEach((h, i) => {
        if (seen.has(h)) problems.push({ path: `hosts[${i}]`, reason: `duplicate host "${h}"` });
        seen.add(h);
        if (h === '*' && (s.gateways === undefined || s.gateways.includes('mesh'))) {
          problems.push({ path: `hosts[${i}]`, reason: '"*" is not allowed for VirtualServices bound to the mesh' });
        }
      });
      return problems;
    },
  },
);
export type VirtualServiceSpec = t.TypeOf<typeof VirtualServiceSpec>;

export { enumOf, PortSelector };
