import { fqdn } from '../hostname.js';
import { wildcardCovers } from '../host-overlap.js';
import type { MeshState } from '../mesh-state.js';
import { exportScopes, visibleFrom } from '../export-to.js';
import type { Invalid } from '../invalid.js';
import type { KubernetesFacts } from './kubernetes-facts.js';
import { type MeshResource, type ResourceKind, type ResourceRef, type ServiceEntry, refOf, resourceKey } from '../resource.js';

/** The namespace whose policies apply mesh-wide (Istio's default root namespace). */
export const ROOT_NAMESPACE = 'istio-system';

type OfKind<K extends ResourceKind> = Extract<MeshResource, { kind: K }>;

/** A workload that selectors can pick: a WorkloadEntry, a registered workload, an inline endpoint, or a WorkloadGroup's members-to-be. */
export interface ViewWorkload {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** A pod of the input the ambient data plane redirects: it runs no sidecar. */
  readonly ambient?: true;
}

export interface ViewService {
  readonly host: string;
  readonly entry: ServiceEntry;
  readonly ports: ReadonlyArray<{ number: number; name: string; protocol?: string }>;
}

/**
 * The state analyzers look at: the live resources with the proposed ones laid over them
 * (a proposed resource replaces the live one of the same name), indexed the way the checks
 * ask. Conflicts resolve as in derivation: the oldest resource wins, a new one is the youngest.
 */
export interface MeshView {
  ofKind<K extends ResourceKind>(kind: K): ReadonlyArray<OfKind<K>>;
  /** The resources diagnostics are wanted for (all, unless the caller narrowed it). */
  focused<K extends ResourceKind>(kind: K): ReadonlyArray<OfKind<K>>;
  /** The ServiceEntry serving an FQDN: an exact host, else a wildcard host covering it. */
  service(host: string): ViewService | undefined;
  /**
   * The ServiceEntry serving an FQDN as a VirtualService sees it (Istio's lookup): only entries
   * exported everywhere, or to the VirtualService's namespace (its exportTo namespaces, when set).
   */
  serviceSeenFrom(host: string, from: { readonly namespace: string; readonly exportTo?: readonly string[] }): ViewService | undefined;
  /** Every FQDN some ServiceEntry declares, with the entries claiming it, oldest first. */
  readonly serviceClaims: ReadonlyMap<string, readonly ServiceEntry[]>;
  /** DestinationRules per FQDN host, oldest first. */
  readonly ruleClaims: ReadonlyMap<string, readonly OfKind<'DestinationRule'>[]>;
  readonly workloads: readonly ViewWorkload[];
  /** The namespaces that exist, when the input says (Kubernetes Namespace objects); else unknown. */
  readonly namespaces?: readonly string[];
  /** Namespaces in ambient mode (the input's Namespace labels say so): no workload there runs a sidecar. */
  readonly ambientNamespaces: readonly string[];
  /** Workloads a selector picks; `namespace` undefined means any namespace. */
  selectWorkloads(namespace: string | undefined, selector: Readonly<Record<string, string>>): ViewWorkload[];
  /** The ServiceEntry's own endpoints: what its selector picks in its namespace, or its inline endpoints. */
  endpointsOf(service: ViewService): ViewWorkload[];
  has(ref: ResourceRef): boolean;
  /** A Gateway API Gateway of the input's Kubernetes objects (`namespace/name`). */
  hasGatewayApiGateway(namespace: string, name: string): boolean;
  /** Whether a Secret exists; undefined when the input lists no secrets (Jetmesh holds none). */
  hasSecret(namespace: string, name: string): boolean | undefined;
  /** Whether the ServiceEntry has addresses it did not write itself: allocated (its status) or by the proxies (mesh config). */
  addressesAllocated(ref: ResourceRef): boolean;
  readonly refusals: readonly Refusal[];
}

export interface ViewInput {
  readonly state: MeshState;
  readonly proposed?: readonly MeshResource[];
  /** Only these resources get diagnostics (the others still count as context). */
  readonly focus?: readonly ResourceRef[];
  /** Kubernetes objects of an `analyze -f` input, as registry facts (never stored, never diagnosed). */
  readonly facts?: KubernetesFacts;
  /** What validation refuses in proposed documents (their resources, read as far as they go, are among `proposed`). */
  readonly refusals?: readonly Refusal[];
}

export interface Refusal {
  readonly ref: ResourceRef;
  readonly problems: readonly Invalid[];
}

export const matchesSelector = (labels: Readonly<Record<string, string>> | undefined, selector: Readonly<Record<string, string>>): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

export { wildcardCovers } from '../host-overlap.js';

export const buildMeshView = (input: ViewInput): MeshView => {
  const entries = new Map<string, { resource: MeshResource; age: number }>();
  for (const [key, stored] of input.state.resources) entries.set(key, { resource: stored.resource, age: stored.createdAt });
  for (const r of input.proposed ?? []) {
    const key = resourceKey(refOf(r));
    entries.set(key, { resource: r, age: entries.get(key)?.age ?? Number.MAX_SAFE_INTEGER });
  }
  const ordered = [...entries.entries()]
    .sort(([ka, a], [kb, b]) => (a.age !== b.age ? a.age - b.age : ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, e]) => e.resource);
  const byKind = new Map<ResourceKind, MeshResource[]>();
  for (const r of ordered) {
    const list = byKind.get(r.kind);
    if (list === undefined) byKind.set(r.kind, [r]);
    else list.push(r);
  }
  const ofKind = <K extends ResourceKind>(kind: K): ReadonlyArray<OfKind<K>> => (byKind.get(kind) ?? []) as unknown as OfKind<K>[];
  const focus = input.focus === undefined ? undefined : new Set(input.focus.map(resourceKey));

  const serviceClaims = new Map<string, ServiceEntry[]>();
  for (const se of [...ofKind('ServiceEntry'), ...(input.facts?.services ?? [])]) {
    for (const h of se.spec.hosts) {
      const host = fqdn(h, se.metadata.namespace);
      const claims = serviceClaims.get(host);
      if (claims === undefined) serviceClaims.set(host, [se]);
      else if (!claims.includes(se)) claims.push(se);
    }
  }
  const ruleClaims = new Map<string, OfKind<'DestinationRule'>[]>();
  for (const dr of ofKind('DestinationRule')) {
    const host = fqdn(dr.spec.host, dr.metadata.namespace);
    const claims = ruleClaims.get(host);
    if (claims === undefined) ruleClaims.set(host, [dr]);
    else claims.push(dr);
  }
  const toService = (host: string, entry: ServiceEntry): ViewService => ({ host, entry, ports: entry.spec.ports ?? [] });

  const workloads: ViewWorkload[] = [
    ...ofKind('WorkloadEntry').map((we) => ({ namespace: we.metadata.namespace, labels: { ...(we.metadata.labels ?? {}), ...(we.spec.labels ?? {}) } })),
    ...[...input.state.workloads.values()].map((w) => ({ namespace: w.namespace, labels: w.workload.labels ?? {} })),
    ...ofKind('ServiceEntry').flatMap((se) => (se.spec.endpoints ?? []).map((e) => ({ namespace: se.metadata.namespace, labels: e.labels ?? {} }))),
    // VMs that will register through a group carry its labels: policies may name them already.
    ...ofKind('WorkloadGroup').map((wg) => ({ namespace: wg.metadata.namespace, labels: { ...(wg.spec.metadata?.labels ?? {}), ...(wg.spec.template.labels ?? {}) } })),
    ...(input.facts?.workloads ?? []),
  ];
  const selectWorkloads = (namespace: string | undefined, selector: Readonly<Record<string, string>>): ViewWorkload[] =>
    workloads.filter((w) => (namespace === undefined || w.namespace === namespace) && matchesSelector(w.labels, selector));

  const scopesOfEntry = (se: ServiceEntry): string[] => exportScopes(se.spec.exportTo, se.metadata.namespace);
  const serviceSeenFrom = (host: string, from: { readonly namespace: string; readonly exportTo?: readonly string[] }): ViewService | undefined => {
    const wanted = (from.exportTo ?? []).length === 0 ? [from.namespace] : (from.exportTo ?? []).map((e) => (e === '.' ? from.namespace : e));
    const visible = (se: ServiceEntry): boolean => wanted.some((ns) => visibleFrom(scopesOfEntry(se), ns));
    const exact = serviceClaims.get(host)?.find(visible);
    if (exact !== undefined) return toService(host, exact);
    for (const [pattern, claims] of serviceClaims) {
      const entry = wildcardCovers(pattern, host) ? claims.find((se) => visibleFrom(scopesOfEntry(se), from.namespace)) : undefined;
      if (entry !== undefined) return toService(pattern, entry);
    }
    return undefined;
  };

  return {
    ofKind,
    serviceSeenFrom,
    focused: (kind) => (focus === undefined ? ofKind(kind) : ofKind(kind).filter((r) => focus.has(resourceKey(refOf(r))))),
    service: (host) => {
      const exact = serviceClaims.get(host)?.[0];
      if (exact !== undefined) return toService(host, exact);
      for (const [pattern, claims] of serviceClaims) if (wildcardCovers(pattern, host) && claims[0] !== undefined) return toService(pattern, claims[0]);
      return undefined;
    },
    serviceClaims,
    ruleClaims,
    workloads,
    ...((input.facts?.namespaces ?? []).length > 0 ? { namespaces: input.facts?.namespaces } : {}),
    ambientNamespaces: input.facts?.ambientNamespaces ?? [],
    selectWorkloads,
    endpointsOf: (service) =>
      service.entry.spec.endpoints !== undefined
        ? service.entry.spec.endpoints.map((e) => ({ namespace: service.entry.metadata.namespace, labels: e.labels ?? {} }))
        : service.entry.spec.workloadSelector !== undefined
          ? workloads.filter(
              (w) => w.namespace === service.entry.metadata.namespace && matchesSelector(w.labels, service.entry.spec.workloadSelector?.labels ?? {}),
            )
          : [],
    has: (ref) => entries.has(resourceKey(ref)),
    hasGatewayApiGateway: (namespace, name) => (input.facts?.gateways ?? []).includes(`${namespace}/${name}`),
    hasSecret: (namespace, name) => (input.facts?.secrets === undefined ? undefined : input.facts.secrets.includes(`${namespace}/${name}`)),
    refusals: input.refusals ?? [],
    addressesAllocated: (ref) =>
      input.facts?.meshConfig?.dnsAutoAllocate === true || (input.facts?.allocatedAddresses ?? []).includes(`${ref.namespace}/${ref.name}`),
  };
};

/** `app=reviews,version=v1`, as Istio prints a selector. */
export const formatSelector = (selector: Readonly<Record<string, string>>): string =>
  Object.entries(selector)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
