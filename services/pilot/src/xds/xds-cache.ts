import { isLeft } from 'fp-ts/lib/Either.js';
import type { Logger } from '@jetmesh/log';
import { formatVersion, type SnapshotVersion } from '@jetmesh/model';
import type { SnapshotSet } from '../snapshot-set.js';
import { listenerCandidates } from './listener-name.js';
import { listenerFor, toXds, type HostXds } from './translation.js';
import { TypeUrls, shortNameOf, type ResourceTypeUrl } from './type-urls.js';
import { checkHostXds, formatXdsInconsistency } from './xds-consistency.js';
import type { XdsMetrics } from './xds-metrics.js';
import type { XdsProtos } from './xds-protos.js';

/** One resource as it goes on the wire, with the log position at which its bytes last changed. */
export interface XdsEntry {
  readonly typeUrl: ResourceTypeUrl;
  readonly name: string;
  readonly resource: { readonly type_url: string; readonly value: Buffer };
  readonly version: SnapshotVersion;
}

/** What one snapshot update changed, per type. */
export interface XdsChange {
  readonly version: SnapshotVersion;
  /** The version before this update, undefined for the first. */
  readonly previous: SnapshotVersion | undefined;
  readonly changed: ReadonlyMap<ResourceTypeUrl, ReadonlySet<string>>;
  readonly removed: ReadonlyMap<ResourceTypeUrl, ReadonlySet<string>>;
  /** performance.now() when the snapshots reached the cache. */
  readonly startedAt: number;
}

/** A subscribed name resolved against the cache. */
export interface Resolution {
  /** The resource to send, named as the client asked; undefined while it does not exist. */
  readonly entry: XdsEntry | undefined;
  /** Cache names whose change may change this resolution. */
  readonly watchKeys: readonly string[];
}

/**
 * The xDS view of the latest snapshots: every resource translated, consistency-checked and
 * encoded once, then shared by every stream. Only hosts whose snapshot changed (and hosts
 * routing to them) are translated again; an entry's version moves only when its bytes change.
 */
export interface XdsCache {
  /** Takes a new snapshot set; returns what changed and tells every listener. */
  update(set: SnapshotSet): XdsChange;
  /** The log position of the snapshots served; undefined before the first update. */
  version(): SnapshotVersion | undefined;
  resolve(typeUrl: ResourceTypeUrl, name: string, namespace: string): Resolution;
  /** Every resource of a type (wildcard subscriptions), in name order. */
  all(typeUrl: ResourceTypeUrl): readonly XdsEntry[];
  onChange(listener: (change: XdsChange) => void): () => void;
}

const RESOURCE_TYPES: readonly ResourceTypeUrl[] = [TypeUrls.listener, TypeUrls.routeConfiguration, TypeUrls.cluster, TypeUrls.clusterLoadAssignment];

interface HostOutput {
  readonly contentHash: string;
  readonly xds: HostXds;
  /** Encoded bodies by type and name. */
  readonly encoded: ReadonlyMap<ResourceTypeUrl, ReadonlyMap<string, Buffer>>;
}

const bodiesOf = (x: HostXds): ReadonlyArray<readonly [ResourceTypeUrl, string, object]> => [
  ...x.listeners.map((l) => [TypeUrls.listener, l.name, l] as const),
  ...x.routeConfigurations.map((r) => [TypeUrls.routeConfiguration, r.name, r] as const),
  ...x.clusters.map((c) => [TypeUrls.cluster, c.name, c] as const),
  ...x.loadAssignments.map((a) => [TypeUrls.clusterLoadAssignment, a.cluster_name, a] as const),
];

const byName = (a: XdsEntry, b: XdsEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function createXdsCache(protos: XdsProtos, log: Logger, metrics: XdsMetrics): XdsCache {
  const outputs = new Map<string, HostOutput>();
  /** Destination host → hosts whose clusters took its traffic policy. */
  const dependents = new Map<string, Set<string>>();
  const owners = new Map<ResourceTypeUrl, Map<string, Set<string>>>(RESOURCE_TYPES.map((t) => [t, new Map()]));
  const entries = new Map<ResourceTypeUrl, Map<string, XdsEntry>>(RESOURCE_TYPES.map((t) => [t, new Map()]));
  const aliases = new Map<string, { readonly canonical: XdsEntry; readonly entry: XdsEntry }>();
  const listeners = new Set<(change: XdsChange) => void>();
  let current: SnapshotVersion | undefined;

  const encode = (x: HostXds): HostOutput['encoded'] => {
    const out = new Map<ResourceTypeUrl, Map<string, Buffer>>(RESOURCE_TYPES.map((t) => [t, new Map()]));
    for (const [type, name, body] of bodiesOf(x)) out.get(type)?.set(name, protos.encode(type, body));
    return out;
  };

  const setDependencies = (host: string, before: readonly string[], after: readonly string[]): void => {
    for (const d of before) dependents.get(d)?.delete(host);
    for (const d of after) {
      let set = dependents.get(d);
      if (set === undefined) dependents.set(d, (set = new Set()));
      set.add(host);
    }
  };

  const setOwnership = (host: string, output: HostOutput | undefined, add: boolean, touched: Map<ResourceTypeUrl, Set<string>>): void => {
    if (output === undefined) return;
    for (const [type, names] of output.encoded) {
      const byType = owners.get(type) as Map<string, Set<string>>;
      for (const name of names.keys()) {
        touched.get(type)?.add(name);
        let set = byType.get(name);
        if (set === undefined) byType.set(name, (set = new Set()));
        if (add) set.add(host);
        else set.delete(host);
        if (set.size === 0) byType.delete(name);
      }
    }
  };

  /** The copy served when several hosts produce a resource: exact before approximate, then the first host by name. */
  const winner = (type: ResourceTypeUrl, name: string): Buffer | undefined => {
    const hosts = [...(owners.get(type)?.get(name) ?? [])].sort();
    const exact = hosts.find((h) => !outputs.get(h)?.xds.approximate.includes(name));
    const host = exact ?? hosts[0];
    return host === undefined ? undefined : outputs.get(host)?.encoded.get(type)?.get(name);
  };

  const update = (set: SnapshotSet): XdsChange => {
    const startedAt = performance.now();
    const policyOf = (host: string) => set.snapshots.get(host)?.snapshot.trafficPolicy;
    const changedHosts = new Set<string>();
    for (const [host, vs] of set.snapshots) if (outputs.get(host)?.contentHash !== vs.contentHash) changedHosts.add(host);
    // A host whose new snapshot failed its check keeps its last good resources.
    const removedHosts = [...outputs.keys()].filter((h) => !set.snapshots.has(h) && !set.rejected.has(h));
    const retranslate = new Set(changedHosts);
    for (const h of [...changedHosts, ...removedHosts]) for (const d of dependents.get(h) ?? []) if (set.snapshots.has(d)) retranslate.add(d);

    const touched = new Map<ResourceTypeUrl, Set<string>>(RESOURCE_TYPES.map((t) => [t, new Set()]));
    for (const host of removedHosts) {
      const old = outputs.get(host);
      setOwnership(host, old, false, touched);
      setDependencies(host, old?.xds.dependsOn ?? [], []);
      outputs.delete(host);
    }
    for (const host of [...retranslate].sort()) {
      const vs = set.snapshots.get(host);
      if (vs === undefined) continue;
      const checked = checkHostXds(toXds(vs.snapshot, policyOf));
      if (isLeft(checked)) {
        // Translation is pure and property-tested, so this is a bug: keep serving the last good resources.
        log.error({ host, version: formatVersion(set.version), problems: checked.left.map(formatXdsInconsistency) }, 'inconsistent xDS translation not served');
        metrics.inconsistent.inc();
        continue;
      }
      const old = outputs.get(host);
      const output: HostOutput = { contentHash: vs.contentHash, xds: checked.right, encoded: encode(checked.right) };
      setOwnership(host, old, false, touched);
      setOwnership(host, output, true, touched);
      setDependencies(host, old?.xds.dependsOn ?? [], output.xds.dependsOn);
      outputs.set(host, output);
    }

    const changed = new Map<ResourceTypeUrl, Set<string>>();
    const removed = new Map<ResourceTypeUrl, Set<string>>();
    for (const [type, names] of touched) {
      const byType = entries.get(type) as Map<string, XdsEntry>;
      for (const name of names) {
        const bytes = winner(type, name);
        const before = byType.get(name);
        if (bytes === undefined) {
          if (before === undefined) continue;
          byType.delete(name);
          if (!removed.has(type)) removed.set(type, new Set());
          removed.get(type)?.add(name);
          continue;
        }
        if (before !== undefined && before.resource.value.equals(bytes)) continue;
        byType.set(name, { typeUrl: type, name, resource: { type_url: type, value: bytes }, version: set.version });
        if (!changed.has(type)) changed.set(type, new Set());
        changed.get(type)?.add(name);
      }
      metrics.resources.set({ type: shortNameOf(type) ?? type }, byType.size);
    }
    // Aliases live as long as their listener: clients name them, so they must not pile up.
    for (const name of removed.get(TypeUrls.listener) ?? []) for (const [alias, a] of aliases) if (a.canonical.name === name) aliases.delete(alias);
    const previous = current;
    current = set.version;
    metrics.translateSeconds.observe((performance.now() - startedAt) / 1000);
    const change: XdsChange = { version: set.version, previous, changed, removed, startedAt };
    for (const listener of listeners) listener(change);
    return change;
  };

  const aliasOf = (name: string, canonical: XdsEntry): XdsEntry => {
    const cached = aliases.get(name);
    if (cached?.canonical === canonical) return cached.entry;
    const value = protos.encode(TypeUrls.listener, listenerFor(name, canonical.name));
    const entry: XdsEntry = { typeUrl: TypeUrls.listener, name, resource: { type_url: TypeUrls.listener, value }, version: canonical.version };
    aliases.set(name, { canonical, entry });
    return entry;
  };

  return {
    update,
    version: () => current,
    resolve: (typeUrl, name, namespace) => {
      const byType = entries.get(typeUrl) as Map<string, XdsEntry>;
      if (typeUrl !== TypeUrls.listener) return { entry: byType.get(name), watchKeys: [name] };
      const exact = byType.get(name);
      if (exact !== undefined) return { entry: exact, watchKeys: [name] };
      const candidates = listenerCandidates(name, namespace);
      const found = candidates.map((c) => byType.get(c)).find((e) => e !== undefined);
      return { entry: found === undefined ? undefined : aliasOf(name, found), watchKeys: [name, ...candidates] };
    },
    all: (typeUrl) => [...(entries.get(typeUrl)?.values() ?? [])].sort(byName),
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
