import { buildIndex, deriveHost, matchesLabels, routableHosts, type MeshIndex } from './derive.js';
import { fqdn } from './hostname.js';
import type { MeshState, RegisteredWorkload, StoredResource } from './mesh-state.js';
import type { RoutingSnapshot } from './routing-snapshot.js';

/*
 * Incremental derivation: after a batch of events only the hosts the changed resources touch
 * (and the hosts routing to them) are derived again. The result is, by construction and by
 * property test, identical to `deriveSnapshots` over the whole state.
 */

/** Snapshots of one state plus what incremental derivation needs to move to the next. */
export interface DerivedMesh {
  readonly state: MeshState;
  /** By host, in host order. */
  readonly snapshots: ReadonlyMap<string, RoutingSnapshot>;
  /** Host → hosts whose snapshots route to it (their endpoints, subsets and policies depend on it). */
  readonly dependents: ReadonlyMap<string, ReadonlySet<string>>;
  readonly index: MeshIndex;
}

export interface DerivationStep {
  readonly derived: DerivedMesh;
  /** Hosts whose snapshot was derived again (new or possibly changed). */
  readonly rederived: ReadonlySet<string>;
  /** Hosts that no longer exist. */
  readonly removed: ReadonlySet<string>;
}

/** Hosts a snapshot shows endpoints and policies of: its destinations and its mirrors. */
const destinationsOf = (snapshot: RoutingSnapshot): Set<string> =>
  new Set(snapshot.routes.flatMap((r) => [...r.destinations, ...(r.mirrors ?? [])].map((d) => d.host)).filter((h) => h !== snapshot.host));

const dependentsOf = (snapshots: ReadonlyMap<string, RoutingSnapshot>): Map<string, Set<string>> => {
  const dependents = new Map<string, Set<string>>();
  for (const [host, snapshot] of snapshots) {
    for (const dest of destinationsOf(snapshot)) {
      const set = dependents.get(dest);
      if (set === undefined) dependents.set(dest, new Set([host]));
      else set.add(host);
    }
  }
  return dependents;
};

/** Full derivation, keeping what the next incremental step needs. */
export const deriveMesh = (state: MeshState): DerivedMesh => {
  const index = buildIndex(state);
  const snapshots = new Map(routableHosts(index).map((h) => [h, deriveHost(index, h)]));
  return { state, snapshots, dependents: dependentsOf(snapshots), index };
};

/** Hosts whose snapshot a config resource feeds, as seen through `index`. */
const hostsOfResource = (stored: StoredResource, index: MeshIndex): string[] => {
  const r = stored.resource;
  const ns = r.metadata.namespace;
  switch (r.kind) {
    case 'VirtualService':
      // Its own hosts, and those of the routes that delegate to it (or name it, when it is no delegate).
      return [...(r.spec.hosts ?? []).map((h) => fqdn(h, ns)), ...(index.delegatingHosts.get(`${ns}/${r.metadata.name}`) ?? [])];
    case 'ServiceEntry':
      return r.spec.hosts.map((h) => fqdn(h, ns));
    case 'DestinationRule':
      return [fqdn(r.spec.host, ns)];
    case 'WorkloadEntry':
      return servicesSelecting(index, ns, { ...(r.metadata.labels ?? {}), ...(r.spec.labels ?? {}) });
    default:
      // Kinds that do not shape routing (yet) touch no snapshot.
      return [];
  }
};

const servicesSelecting = (index: MeshIndex, namespace: string, labels: Readonly<Record<string, string>>): string[] =>
  [...index.services.values()]
    .filter((s) => s.namespace === namespace && s.selector !== undefined && matchesLabels(labels, s.selector))
    .map((s) => s.host);

const hostsOfWorkload = (w: RegisteredWorkload, index: MeshIndex): string[] => servicesSelecting(index, w.namespace, w.workload.labels ?? {});

/** Keys whose value differs between two maps (the reducer replaces exactly the entries it changes). */
const changedKeys = <V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): string[] => {
  if (a === b) return [];
  const keys: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) keys.push(k);
  for (const k of b.keys()) if (!a.has(k)) keys.push(k);
  return keys;
};

/** Derives `state` from the previous derivation, re-deriving only the hosts the difference touches. */
export const deriveMeshIncrementally = (prev: DerivedMesh, state: MeshState): DerivationStep => {
  const index = buildIndex(state);
  const touched = new Set<string>();
  for (const key of changedKeys(prev.state.resources, state.resources)) {
    const before = prev.state.resources.get(key);
    const after = state.resources.get(key);
    if (before !== undefined) for (const h of hostsOfResource(before, prev.index)) touched.add(h);
    if (after !== undefined) for (const h of hostsOfResource(after, index)) touched.add(h);
  }
  for (const key of changedKeys(prev.state.workloads, state.workloads)) {
    const before = prev.state.workloads.get(key);
    const after = state.workloads.get(key);
    if (before !== undefined) for (const h of hostsOfWorkload(before, prev.index)) touched.add(h);
    if (after !== undefined) for (const h of hostsOfWorkload(after, index)) touched.add(h);
  }
  // Whoever routes to a touched host shows its endpoints and subsets: derive those again too.
  const dirty = new Set<string>();
  const pending = [...touched];
  while (pending.length > 0) {
    const host = pending.pop() as string;
    if (dirty.has(host)) continue;
    dirty.add(host);
    for (const dependent of prev.dependents.get(host) ?? []) pending.push(dependent);
  }
  const hosts = routableHosts(index);
  const rederived = new Set<string>();
  const snapshots = new Map<string, RoutingSnapshot>();
  for (const host of hosts) {
    const previous = prev.snapshots.get(host);
    if (previous !== undefined && !dirty.has(host)) snapshots.set(host, previous);
    else {
      snapshots.set(host, deriveHost(index, host));
      rederived.add(host);
    }
  }
  const removed = new Set([...prev.snapshots.keys()].filter((h) => !snapshots.has(h)));
  return { derived: { state, snapshots, dependents: dependentsOf(snapshots), index }, rederived, removed };
};
