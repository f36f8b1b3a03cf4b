import type { Endpoint, RouteRule, WeightedDestination } from '@jetmesh/model';
import {
  applyHeaderOperations,
  authorize,
  authorityRewrite,
  backoffDelayMs,
  buildRedirect,
  createBalancer,
  createOutlierDetector,
  decideFault,
  endpointKey,
  hashKeyFor,
  pickWeighted,
  preflight,
  requestHeaderOperations,
  requestMatches,
  responseHeaderOperations,
  responseHeaders,
  retryPolicyOf,
  selectRoute,
  shouldRetry,
  type HttpMatch,
} from '../routing/index.js';
import type { BalancingCore } from './cluster-registry.js';
import type { AuthorizeRequest } from './inbound-handler.js';
import type { RequestView, RouteDecisions } from './route-decisions.js';
import type { AttemptOutcome, RetryPlan } from './upstream-forwarder.js';

/*
 * The data plane's binding of the pure routing core (services/proxy/src/routing): the one
 * place that turns its decisions into what the pipeline acts on.
 */

const NO_RETRIES: RetryPlan = { retries: 0, shouldRetry: () => false, backoffMs: () => 0 };

const retryPlans = new WeakMap<RouteRule, RetryPlan>();

const replaceAll = (target: Record<string, string | string[] | number>, next: Record<string, string | string[]>): void => {
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, next);
};

export const routeDecisions: RouteDecisions = {
  selectRoute: (snapshot, req) => selectRoute(snapshot, req),
  pickDestination: (route, random01) => pickWeighted(route.destinations, random01),
  fault: (route, random) => decideFault(route.fault, { delay: random(), abort: random() }),
  redirect: (route, req) =>
    route.redirect === undefined ? undefined : buildRedirect(route.redirect, req, route.match.find((m) => requestMatches(m as HttpMatch, req))?.uri),
  rewrite: (route, req) => {
    const match = route.match.find((m) => requestMatches(m as HttpMatch, req));
    const rewritten = route.rewrite === undefined ? { path: req.path } : rewriteOf(route, match, req);
    const headerAuthority = authorityRewrite(route.headers?.request);
    return { path: rewritten.path, authority: headerAuthority ?? rewritten.authority ?? req.authority };
  },
  corsPreflight: (route, req) => (route.corsPolicy === undefined ? undefined : preflight(route.corsPolicy, req)),
  corsResponseHeaders: (route, req) => (route.corsPolicy === undefined ? {} : responseHeaders(route.corsPolicy, req)),
  requestHeaders: (route, destination, headers) => {
    if (route.headers?.request === undefined && destination.headers?.request === undefined) return;
    const ops = requestHeaderOperations(route.headers, destination.headers).map((o) => (o === undefined ? o : withoutAuthority(o)));
    replaceAll(headers as Record<string, string | string[] | number>, applyHeaderOperations(headers, ...ops));
  },
  responseHeaders: (route, destination, headers) => {
    if (route.headers?.response === undefined && destination.headers?.response === undefined) return;
    replaceAll(headers, applyHeaderOperations(stringHeaders(headers), ...responseHeaderOperations(route.headers, destination.headers)));
  },
  retryPlan: (route) => {
    const cached = retryPlans.get(route);
    if (cached !== undefined) return cached;
    const consistentHash = route.destinations.some((d) => (d.trafficPolicy?.loadBalancer ?? d.loadBalancer)?.consistentHash !== undefined);
    const policy = retryPolicyOf(route.retries, { consistentHash });
    const plan: RetryPlan =
      policy === undefined
        ? NO_RETRIES
        : {
            retries: policy.numRetries,
            ...(policy.perTryTimeoutMs !== undefined ? { perTryTimeoutMs: policy.perTryTimeoutMs } : {}),
            shouldRetry: (outcome: AttemptOutcome) => shouldRetry(policy, outcome),
            backoffMs: (n) => backoffDelayMs(policy, n, Math.random()),
          };
    retryPlans.set(route, plan);
    return plan;
  },
  hashKey: (lb, req) => hashKeyFor(lb, req) ?? {},
  mirrors: (route, random) => (route.mirrors ?? []).filter((m) => random() * 100 < m.percentage) as readonly WeightedDestination[],
};

function rewriteOf(route: RouteRule, match: RouteRule['match'][number] | undefined, req: RequestView): { path: string; authority?: string } {
  // Imported lazily by name to keep this module's import list readable.
  return rewriteRequestBound(route.rewrite, match?.uri, req);
}

import { rewriteRequest as rewriteRequestBound } from '../routing/index.js';

const withoutAuthority = (o: { set?: Readonly<Record<string, string>>; add?: Readonly<Record<string, string>>; remove?: readonly string[] }) => {
  const drop = (m: Readonly<Record<string, string>> | undefined) => (m === undefined ? undefined : Object.fromEntries(Object.entries(m).filter(([k]) => !['host', ':authority'].includes(k.toLowerCase()))));
  const set = drop(o.set);
  const add = drop(o.add);
  return { ...(set !== undefined ? { set } : {}), ...(add !== undefined ? { add } : {}), ...(o.remove !== undefined ? { remove: o.remove } : {}) };
};

const stringHeaders = (h: Record<string, string | string[] | number>): Record<string, string | string[]> => {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) out[k] = typeof v === 'number' ? String(v) : v;
  return out;
};

const NEVER_EJECTED = { record: () => false, isEjected: () => false, setEndpoints: () => undefined };

export const balancingCore: BalancingCore = {
  balancer: (lb, endpoints) => createBalancer(lb, endpoints),
  endpointKey: (e: Endpoint) => endpointKey(e),
  outlierDetector: (settings, keys) => {
    if (settings === undefined) return NEVER_EJECTED;
    const detector = createOutlierDetector(settings, keys, Date.now());
    return {
      record: (key, outcome, now) => {
        const before = detector.isEjected(key, now);
        detector.recordOutcome(key, outcome, now);
        return !before && detector.isEjected(key, now);
      },
      isEjected: (key, now) => !detector.inPanic(now) && detector.isEjected(key, now),
      setEndpoints: (k) => detector.setEndpoints(k),
    };
  },
};

export const authorizeInbound: AuthorizeRequest = (policies, req) => {
  const r = authorize(policies, { ...req, ...(req.principal !== undefined ? { sourcePrincipal: req.principal } : {}), ...(req.peerNamespace !== undefined ? { sourceNamespace: req.peerNamespace } : {}) });
  return { allowed: r.decision === 'allow', ...(r.policy !== undefined ? { policy: r.policy } : {}), audit: r.audit };
};
