import { exportScopes, visibleFrom } from './export-to.js';
import { fqdn } from './hostname.js';
import type { VirtualService } from './resource.js';
import { isDelegate, type HTTPMatchRequest, type HTTPRoute } from './resources/virtual-service.js';

/*
 * Delegate VirtualServices, as Istio merges them: a root route that names `delegate` is replaced
 * by the delegate's HTTP routes, each narrowed to the root's matches and inheriting what it does
 * not set itself. Pure: the lookup of delegates is the caller's.
 */

type StringMatch = NonNullable<HTTPMatchRequest['uri']>;

/** The delegate a root route names: `delegate.namespace` defaults to the root's namespace. */
export const delegateRefOf = (route: HTTPRoute, rootNamespace: string): { namespace: string; name: string } | undefined =>
  route.delegate === undefined ? undefined : { namespace: route.delegate.namespace || rootNamespace, name: route.delegate.name };

const exportedTo = (delegate: VirtualService, namespace: string): boolean => visibleFrom(exportScopes(delegate.spec.exportTo, delegate.metadata.namespace), namespace);

/** Why a root route's delegate cannot be used, or the delegate. */
export type DelegateLookup = { readonly found: VirtualService } | { readonly missing: string };

/** Every VirtualService by namespace and name (delegates are found by reference). */
export type VirtualServiceLookup = (namespace: string, name: string) => VirtualService | undefined;

/** Finds a root route's delegate: it must exist, have no hosts and be exported to the root's namespace. */
export const findDelegate = (lookup: VirtualServiceLookup, root: VirtualService, route: HTTPRoute): DelegateLookup | undefined => {
  const ref = delegateRefOf(route, root.metadata.namespace);
  if (ref === undefined) return undefined;
  const name = `VirtualService ${ref.namespace}/${ref.name}`;
  const delegate = lookup(ref.namespace, ref.name);
  if (delegate === undefined) return { missing: `delegate ${name} does not exist` };
  if (!isDelegate(delegate.spec)) return { missing: `${name} has hosts, so it is not a delegate` };
  if (!exportedTo(delegate, root.metadata.namespace)) return { missing: `delegate ${name} is not exported to namespace ${root.metadata.namespace}` };
  return { found: delegate };
};

/** Istio's conflict rule for one attribute: the delegate's match must lie inside the root's. */
const stringMatchConflict = (root: StringMatch | undefined, leaf: StringMatch | undefined): boolean => {
  if (root === undefined || leaf === undefined) return false;
  if (root.regex !== undefined && root.regex !== '') return leaf.regex !== undefined || leaf.prefix !== undefined || leaf.exact !== undefined;
  if (leaf.regex !== undefined && leaf.regex !== '') return root.regex !== undefined || root.prefix !== undefined || root.exact !== undefined;
  if (root.exact !== undefined && root.exact !== '') return leaf.prefix !== undefined || leaf.exact !== root.exact;
  if (root.prefix !== undefined && root.prefix !== '') {
    const inner = leaf.prefix ?? leaf.exact;
    if (inner !== undefined && inner !== '') return !inner.startsWith(root.prefix);
  }
  return true;
};

const mapConflict = (root: Readonly<Record<string, StringMatch>> | undefined, leaf: Readonly<Record<string, StringMatch>> | undefined): boolean =>
  Object.entries(leaf ?? {}).some(([k, m]) => stringMatchConflict(root?.[k], m));

const matchConflict = (root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean =>
  stringMatchConflict(root.uri, leaf.uri) ||
  stringMatchConflict(root.scheme, leaf.scheme) ||
  stringMatchConflict(root.method, leaf.method) ||
  stringMatchConflict(root.authority, leaf.authority) ||
  mapConflict(root.headers, leaf.headers) ||
  mapConflict(root.withoutHeaders as Record<string, StringMatch> | undefined, leaf.withoutHeaders as Record<string, StringMatch> | undefined) ||
  mapConflict(root.queryParams, leaf.queryParams) ||
  (root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false) ||
  (root.port !== undefined && leaf.port !== undefined && root.port !== leaf.port) ||
  (root.sourceNamespace !== undefined && leaf.sourceNamespace !== root.sourceNamespace) ||
  Object.entries(leaf.sourceLabels ?? {}).some(([k, v]) => root.sourceLabels?.[k] !== undefined && root.sourceLabels[k] !== v) ||
  (root.gateways !== undefined && root.gateways.length > 0 && leaf.gateways !== undefined && leaf.gateways.length > 0 && !leaf.gateways.every((g) => root.gateways?.includes(g)));

const joinedName = (root: string | undefined, leaf: string | undefined): string | undefined =>
  leaf === undefined || leaf === '' ? root : root === undefined || root === '' ? leaf : `${root}-${leaf}`;

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The delegate's match narrowed by the root's: the delegate's own attributes win, maps are merged. */
const mergeMatch = (root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest =>
  defined({
    ...leaf,
    name: joinedName(root.name, leaf.name),
    uri: leaf.uri ?? root.uri,
    scheme: leaf.scheme ?? root.scheme,
    method: leaf.method ?? root.method,
    authority: leaf.authority ?? root.authority,
    headers: root.headers !== undefined || leaf.headers !== undefined ? { ...root.headers, ...leaf.headers } : undefined,
    withoutHeaders: root.withoutHeaders !== undefined || leaf.withoutHeaders !== undefined ? { ...root.withoutHeaders, ...leaf.withoutHeaders } : undefined,
    queryParams: root.queryParams !== undefined || leaf.queryParams !== undefined ? { ...root.queryParams, ...leaf.queryParams } : undefined,
    port: leaf.port ?? root.port,
    sourceLabels: root.sourceLabels !== undefined || leaf.sourceLabels !== undefined ? { ...root.sourceLabels, ...leaf.sourceLabels } : undefined,
    sourceNamespace: leaf.sourceNamespace ?? root.sourceNamespace,
    gateways: leaf.gateways !== undefined && leaf.gateways.length > 0 ? leaf.gateways : root.gateways,
    statPrefix: leaf.statPrefix !== undefined && leaf.statPrefix !== '' ? leaf.statPrefix : root.statPrefix,
  });

/**
 * The merged matches, or undefined on a conflict: every delegate match must fit inside at least
 * one root match (it is then merged with each root match it fits).
 */
export const mergeMatches = (root: readonly HTTPMatchRequest[] | undefined, leaf: readonly HTTPMatchRequest[] | undefined): HTTPMatchRequest[] | undefined => {
  if (root === undefined || root.length === 0) return [...(leaf ?? [])];
  if (leaf === undefined || leaf.length === 0) return [...root];
  const out: HTTPMatchRequest[] = [];
  for (const m of leaf) {
    const fitting = root.filter((r) => !matchConflict(r, m));
    if (fitting.length === 0) return undefined;
    out.push(...fitting.map((r) => mergeMatch(r, m)));
  }
  return out;
};

/** Short destination hosts of a delegate resolve in the delegate's namespace, not the root's. */
const resolvedIn = (route: HTTPRoute, namespace: string): HTTPRoute => {
  const host = <D extends { host: string }>(d: D): D => ({ ...d, host: fqdn(d.host, namespace) });
  return defined({
    ...route,
    route: route.route?.map((d) => ({ ...d, destination: host(d.destination) })),
    mirror: route.mirror !== undefined ? host(route.mirror) : undefined,
    mirrors: route.mirrors?.map((m) => ({ ...m, destination: host(m.destination) })),
  });
};

/** One delegate route under its root route, or undefined when their matches conflict (Istio drops it). */
export const mergeDelegateRoute = (root: HTTPRoute, leaf: HTTPRoute): HTTPRoute | undefined => {
  const match = mergeMatches(root.match, leaf.match);
  if (match === undefined) return undefined;
  return defined({
    ...leaf,
    match: match.length > 0 ? match : undefined,
    name: joinedName(root.name, leaf.name),
    rewrite: leaf.rewrite ?? root.rewrite,
    directResponse: leaf.directResponse ?? root.directResponse,
    timeout: leaf.timeout ?? root.timeout,
    retries: leaf.retries ?? root.retries,
    fault: leaf.fault ?? root.fault,
    mirror: leaf.mirror ?? root.mirror,
    mirrorPercent: leaf.mirrorPercent ?? root.mirrorPercent,
    mirrorPercentage: leaf.mirrorPercentage ?? root.mirrorPercentage,
    corsPolicy: leaf.corsPolicy ?? root.corsPolicy,
    mirrors: leaf.mirrors ?? root.mirrors,
    headers: leaf.headers ?? root.headers,
  });
};

/**
 * A root VirtualService's HTTP routes with every delegating route replaced by its delegate's
 * routes; a delegate that is missing, has hosts or is not exported drops that route only, with a
 * warning, as Istio does.
 */
export const delegatedRoutes = (virtualServices: VirtualServiceLookup, root: VirtualService, warnings: string[]): HTTPRoute[] =>
  (root.spec.http ?? []).flatMap((route) => {
    const lookup = findDelegate(virtualServices, root, route);
    if (lookup === undefined) return [route];
    if ('missing' in lookup) {
      warnings.push(`VirtualService ${root.metadata.namespace}/${root.metadata.name}: ${lookup.missing}; its route is skipped`);
      return [];
    }
    const delegate = lookup.found;
    return (delegate.spec.http ?? []).flatMap((leaf, i) => {
      const merged = mergeDelegateRoute(route, resolvedIn(leaf, delegate.metadata.namespace));
      if (merged === undefined) {
        warnings.push(
          `VirtualService ${delegate.metadata.namespace}/${delegate.metadata.name} http[${i}]: its matches conflict with the delegating route of ${root.metadata.namespace}/${root.metadata.name}; skipped`,
        );
        return [];
      }
      return [merged];
    });
  });

/** Keys (`namespace/name`) of the delegates a root VirtualService names. */
export const delegatesNamedBy = (root: VirtualService): string[] =>
  (root.spec.http ?? []).flatMap((route) => {
    const ref = delegateRefOf(route, root.metadata.namespace);
    return ref === undefined ? [] : [`${ref.namespace}/${ref.name}`];
  });
