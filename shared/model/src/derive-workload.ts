import { ROOT_NAMESPACE } from './analysis/mesh-view.js';
import { isHttpProtocol } from './codec/istio-fields.js';
import { buildIndex, matchesLabels, resolveGatewayName, routeRules, type MeshIndex } from './derive.js';
import { fqdn } from './hostname.js';
import type { MeshState } from './mesh-state.js';
import { type AuthorizationPolicy, type Gateway, type PeerAuthentication, type VirtualService, refOf, resourceKey } from './resource.js';
import type { MTLS_MODES } from './resources/peer-authentication.js';
import { hostsOverlap } from './resources/virtual-service.js';
import type {
  AppliedAuthorizationPolicy,
  GatewayRouteTable,
  GatewayServer,
  GatewaySnapshot,
  InboundMtls,
  MtlsMode,
  WorkloadSnapshot,
} from './workload-snapshot.js';

/*
 * deriveWorkloadSnapshots(MeshState) → one inbound snapshot per workload (registered or
 * WorkloadEntry), with Istio's semantics for PeerAuthentication (pilot/pkg/security/authn),
 * AuthorizationPolicy (pilot/pkg/model/authorization.go) and Gateway selection. Pure and
 * deterministic; policies are indexed once per call, gateway route tables built once per gateway.
 */

type Labels = Readonly<Record<string, string>>;

interface WorkloadIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly serviceAccount?: string;
}

interface Aged<R> {
  readonly resource: R;
  readonly key: string;
  readonly createdAt: number;
}

/** Everything the per-workload part reads, indexed once per derivation. */
interface PolicyIndex {
  /** Per namespace, oldest first (Istio: the oldest policy wins a conflict). */
  readonly peerAuthentications: ReadonlyMap<string, readonly Aged<PeerAuthentication>[]>;
  /** Per namespace, by name. */
  readonly authorizationPolicies: ReadonlyMap<string, readonly AuthorizationPolicy[]>;
  /** Gateways with a selector, by `namespace/name`. */
  readonly gateways: readonly Gateway[];
  /** VirtualServices naming a gateway, by the gateway's `namespace/name`, oldest first. */
  readonly virtualServicesByGateway: ReadonlyMap<string, readonly VirtualService[]>;
}

const nsName = (r: { metadata: { namespace: string; name: string } }): string => `${r.metadata.namespace}/${r.metadata.name}`;
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byAge = <R>(a: Aged<R>, b: Aged<R>): number => (a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : compareStrings(a.key, b.key));

const push = <K, V>(map: Map<K, V[]>, key: K, value: V): void => {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
};

const indexPolicies = (state: MeshState): PolicyIndex => {
  const pas = new Map<string, Aged<PeerAuthentication>[]>();
  const aps = new Map<string, AuthorizationPolicy[]>();
  const gateways: Gateway[] = [];
  const vss: Aged<VirtualService>[] = [];
  for (const stored of state.resources.values()) {
    const r = stored.resource;
    const aged = <R>(resource: R): Aged<R> => ({ resource, key: resourceKey(refOf(r)), createdAt: stored.createdAt });
    switch (r.kind) {
      case 'PeerAuthentication':
        push(pas, r.metadata.namespace, aged(r));
        break;
      case 'AuthorizationPolicy':
        push(aps, r.metadata.namespace, r);
        break;
      case 'Gateway':
        gateways.push(r);
        break;
      case 'VirtualService':
        if ((r.spec.gateways ?? []).some((g) => g !== 'mesh')) vss.push(aged(r));
        break;
      default:
        break;
    }
  }
  for (const list of pas.values()) list.sort(byAge);
  for (const list of aps.values()) list.sort((a, b) => compareStrings(a.metadata.name, b.metadata.name));
  gateways.sort((a, b) => compareStrings(nsName(a), nsName(b)));
  vss.sort(byAge);
  const virtualServicesByGateway = new Map<string, VirtualService[]>();
  for (const { resource: vs } of vss) {
    const named = new Set((vs.spec.gateways ?? []).filter((g) => g !== 'mesh').map((g) => resolveGatewayName(g, vs.metadata.namespace)));
    for (const g of named) push(virtualServicesByGateway, g, vs);
  }
  return { peerAuthentications: pas, authorizationPolicies: aps, gateways, virtualServicesByGateway };
};

// ---------------------------------------------------------------------------------------------
// PeerAuthentication

type PaMode = (typeof MTLS_MODES)[number];
const modeOf = (m: { mode?: PaMode } | undefined): MtlsMode | undefined => (m?.mode === undefined || m.mode === 'UNSET' ? undefined : m.mode);
const selectorOf = (spec: { selector?: { matchLabels?: Labels } }): Labels | undefined => {
  const labels = spec.selector?.matchLabels;
  return labels === undefined || Object.keys(labels).length === 0 ? undefined : labels;
};

interface LevelWinner {
  readonly policy?: PeerAuthentication;
  readonly warning?: string;
}

const winnerOf = (level: string, candidates: readonly Aged<PeerAuthentication>[]): LevelWinner => {
  const [first, ...others] = candidates;
  if (first === undefined) return {};
  if (others.length === 0) return { policy: first.resource };
  const names = candidates.map((c) => nsName(c.resource)).join(', ');
  return { policy: first.resource, warning: `PeerAuthentication ${names} all apply at the ${level} level; the oldest (${nsName(first.resource)}) wins` };
};

/** What does not depend on the workload's labels, computed once per namespace. */
interface NamespacePolicies {
  readonly mesh: LevelWinner;
  readonly namespace: LevelWinner;
  /** Own-namespace PeerAuthentications with a selector, oldest first. */
  readonly selecting: readonly { readonly selector: Labels; readonly aged: Aged<PeerAuthentication> }[];
  /** Root namespace's, then the namespace's, each by name; selector undefined: all workloads. */
  readonly authorization: readonly { readonly selector?: Labels; readonly applied: AppliedAuthorizationPolicy }[];
  readonly warnings: readonly string[];
}

const namespacePolicies = (index: PolicyIndex, namespace: string): NamespacePolicies => {
  const root = index.peerAuthentications.get(ROOT_NAMESPACE) ?? [];
  const own = namespace === ROOT_NAMESPACE ? [] : (index.peerAuthentications.get(namespace) ?? []);
  const mesh = winnerOf('mesh', root.filter((p) => selectorOf(p.resource.spec) === undefined));
  const ns = winnerOf('namespace', own.filter((p) => selectorOf(p.resource.spec) === undefined));
  // A root-namespace policy with a selector is ignored, as in Istio.
  const selecting = own.flatMap((aged) => {
    const selector = selectorOf(aged.resource.spec);
    return selector === undefined ? [] : [{ selector, aged }];
  });
  const warnings = [mesh.warning, ns.warning].filter((w): w is string => w !== undefined);
  const authorization: Array<{ selector?: Labels; applied: AppliedAuthorizationPolicy }> = [];
  for (const n of namespace === ROOT_NAMESPACE ? [ROOT_NAMESPACE] : [ROOT_NAMESPACE, namespace]) {
    for (const policy of index.authorizationPolicies.get(n) ?? []) {
      const spec = policy.spec;
      if (spec.targetRef !== undefined || spec.targetRefs !== undefined) {
        warnings.push(`AuthorizationPolicy ${nsName(policy)} uses targetRef, which applies to gateways and waypoints only; ignored for this sidecar`);
        continue;
      }
      const selector = selectorOf(spec);
      authorization.push({
        ...(selector !== undefined ? { selector } : {}),
        applied: {
          source: nsName(policy),
          action: spec.action ?? 'ALLOW',
          rules: spec.rules ?? [],
          ...(spec.provider !== undefined ? { provider: spec.provider.name } : {}),
        },
      });
    }
  }
  return { mesh, namespace: ns, selecting, authorization, warnings };
};

/** Istio's composePeerAuthentication: mesh → namespace → workload, UNSET inheriting, PERMISSIVE by default. */
const inboundMtls = (policies: NamespacePolicies, w: WorkloadIdentity, warnings: string[]): InboundMtls => {
  const candidates = policies.selecting.filter((p) => matchesLabels(w.labels, p.selector)).map((p) => p.aged);
  const chosen = winnerOf('workload', candidates);
  if (chosen.warning !== undefined) warnings.push(chosen.warning);
  const { policy: mesh } = policies.mesh;
  const { policy: namespace } = policies.namespace;
  const workload = chosen.policy;
  let mode: MtlsMode = 'PERMISSIVE';
  for (const policy of [mesh, namespace, workload]) mode = modeOf(policy?.spec.mtls) ?? mode;
  const sources = [workload, namespace, mesh]
    .filter((p): p is PeerAuthentication => p !== undefined && (modeOf(p.spec.mtls) !== undefined || (p === workload && p.spec.portLevelMtls !== undefined)))
    .map(nsName);
  const ports: Record<string, MtlsMode> = {};
  for (const [port, m] of Object.entries(workload?.spec.portLevelMtls ?? {}).sort(([a], [b]) => Number(a) - Number(b))) ports[port] = modeOf(m) ?? mode;
  return { mode, ports, sources };
};

const authorizationFor = (policies: NamespacePolicies, w: WorkloadIdentity): AppliedAuthorizationPolicy[] =>
  policies.authorization.filter((p) => p.selector === undefined || matchesLabels(w.labels, p.selector)).map((p) => p.applied);

// ---------------------------------------------------------------------------------------------
// Gateways

/** Server hosts keep their `ns/` prefix here: it decides which namespaces' VirtualServices may bind. */
interface ServerHost {
  readonly namespace?: string;
  readonly host: string;
}
const serverHost = (h: string): ServerHost => {
  const slash = h.indexOf('/');
  return slash < 0 ? { host: h } : { namespace: h.slice(0, slash), host: h.slice(slash + 1) };
};

const admits = (sh: ServerHost, gatewayNamespace: string, vsNamespace: string): boolean =>
  sh.namespace === undefined || sh.namespace === '*' || (sh.namespace === '.' ? vsNamespace === gatewayNamespace : sh.namespace === vsNamespace);

/** A server that carries HTTP routes: plain HTTP kinds, or HTTPS terminated here. */
const servesHttp = (s: Gateway['spec']['servers'][number]): boolean =>
  isHttpProtocol(s.port.protocol) ||
  (s.port.protocol.toUpperCase() === 'HTTPS' && s.tls?.mode !== 'PASSTHROUGH' && s.tls?.mode !== 'AUTO_PASSTHROUGH');

const isWildcard = (h: string): boolean => h.startsWith('*');
/** Of two overlapping hosts, the one a request must match (Istio's pickMatchingGatewayHosts). */
const moreSpecific = (a: string, b: string): string => {
  if (a === b || !isWildcard(a)) return a;
  if (!isWildcard(b)) return b;
  return a.length >= b.length ? a : b;
};
/** Exact hosts first, then wildcards with the longer suffix first, `*` last; ties by name. */
export const compareHostSpecificity = (a: string, b: string): number => {
  const wa = isWildcard(a);
  const wb = isWildcard(b);
  if (wa !== wb) return wa ? 1 : -1;
  if (wa && a.length !== b.length) return b.length - a.length;
  return compareStrings(a, b);
};

const gatewaySnapshot = (mesh: MeshIndex, index: PolicyIndex, gw: Gateway, warnings: string[]): GatewaySnapshot => {
  const key = nsName(gw);
  const gatewayNamespace = gw.metadata.namespace;
  const servers: GatewayServer[] = gw.spec.servers.map((s) => ({
    port: { number: s.port.number, protocol: s.port.protocol, name: s.port.name, ...(s.port.targetPort !== undefined ? { targetPort: s.port.targetPort } : {}) },
    hosts: s.hosts.map((h) => serverHost(h).host),
    ...(s.tls !== undefined ? { tls: s.tls } : {}),
    ...(s.name !== undefined ? { name: s.name } : {}),
  }));
  const httpServers = gw.spec.servers.filter(servesHttp).map((s) => ({ port: s.port.number, hosts: s.hosts.map(serverHost) }));
  const tables: Array<GatewayRouteTable & { order: number }> = [];
  (index.virtualServicesByGateway.get(key) ?? []).forEach((vs, order) => {
    const vsNamespace = vs.metadata.namespace;
    const portsByHost = new Map<string, Set<number>>();
    for (const h of (vs.spec.hosts ?? []).map((x) => fqdn(x, vsNamespace))) {
      for (const server of httpServers) {
        for (const sh of server.hosts) {
          if (!admits(sh, gatewayNamespace, vsNamespace) || !hostsOverlap(h, sh.host)) continue;
          const host = moreSpecific(h, sh.host);
          const ports = portsByHost.get(host) ?? new Set<number>();
          ports.add(server.port);
          portsByHost.set(host, ports);
        }
      }
    }
    if (portsByHost.size === 0) return;
    const routes = routeRules(mesh, vs, warnings, { kind: 'gateway', gateway: key });
    if (routes.length === 0) return;
    // When every match names a port, the table serves those ports only.
    const matchPorts = routes.every((r) => r.match.length > 0 && r.match.every((m) => m.port !== undefined))
      ? new Set(routes.flatMap((r) => r.match.map((m) => m.port as number)))
      : undefined;
    for (const [host, ports] of portsByHost) {
      const served = [...ports].filter((p) => matchPorts === undefined || matchPorts.has(p)).sort((a, b) => a - b);
      if (served.length > 0) tables.push({ host, virtualService: nsName(vs), ports: served, routes, order });
    }
  });
  tables.sort((a, b) => compareHostSpecificity(a.host, b.host) || a.order - b.order);
  return { source: key, servers, routeTables: tables.map(({ order: _order, ...t }) => t) };
};

// ---------------------------------------------------------------------------------------------

const workloadsOf = (state: MeshState): Map<string, { identity: WorkloadIdentity; warnings: string[] }> => {
  const out = new Map<string, { identity: WorkloadIdentity; warnings: string[] }>();
  for (const stored of state.resources.values()) {
    const r = stored.resource;
    if (r.kind !== 'WorkloadEntry') continue;
    out.set(nsName(r), {
      identity: {
        namespace: r.metadata.namespace,
        name: r.metadata.name,
        labels: { ...(r.metadata.labels ?? {}), ...(r.spec.labels ?? {}) },
        ...(r.spec.serviceAccount !== undefined ? { serviceAccount: r.spec.serviceAccount } : {}),
      },
      warnings: [],
    });
  }
  for (const w of state.workloads.values()) {
    const key = `${w.namespace}/${w.name}`;
    // The registration is the proxy's own word about itself: it wins over a WorkloadEntry of the same name.
    const shadowed = out.has(key);
    out.set(key, {
      identity: {
        namespace: w.namespace,
        name: w.name,
        labels: w.workload.labels ?? {},
        ...(w.workload.serviceAccount !== undefined ? { serviceAccount: w.workload.serviceAccount } : {}),
      },
      warnings: shadowed ? [`WorkloadEntry ${key} has the name of a registered workload; the registration is used`] : [],
    });
  }
  return out;
};

/** What one derivation shares between workloads. */
interface Derivation {
  readonly index: PolicyIndex;
  /** Built on first use: only gateway route tables need it. */
  readonly mesh: () => MeshIndex;
  readonly namespaces: Map<string, NamespacePolicies>;
  readonly gateways: Map<string, { snapshot: GatewaySnapshot; warnings: string[] }>;
}

const derivation = (state: MeshState, mesh: MeshIndex | undefined): Derivation => {
  let built = mesh;
  return { index: indexPolicies(state), mesh: () => (built ??= buildIndex(state)), namespaces: new Map(), gateways: new Map() };
};

const snapshotOf = (d: Derivation, identity: WorkloadIdentity, initialWarnings: readonly string[]): WorkloadSnapshot => {
  const { index } = d;
  let policies = d.namespaces.get(identity.namespace);
  if (policies === undefined) {
    policies = namespacePolicies(index, identity.namespace);
    d.namespaces.set(identity.namespace, policies);
  }
  const warnings = [...initialWarnings, ...policies.warnings];
  const mtls = inboundMtls(policies, identity, warnings);
  const authorization = authorizationFor(policies, identity);
  const gatewayMemo = d.gateways;
  const gateways: GatewaySnapshot[] = [];
  for (const gw of index.gateways) {
    const selector = gw.spec.selector;
    // Istio lets a selector-less Gateway apply to every gateway proxy; a snapshot cannot tell a gateway from a sidecar, so it applies to none.
    if (selector === undefined || Object.keys(selector).length === 0 || !matchesLabels(identity.labels, selector)) continue;
    const key = nsName(gw);
    let memo = gatewayMemo.get(key);
    if (memo === undefined) {
      const gwWarnings: string[] = [];
      memo = { snapshot: gatewaySnapshot(d.mesh(), index, gw, gwWarnings), warnings: gwWarnings };
      gatewayMemo.set(key, memo);
    }
    gateways.push(memo.snapshot);
    warnings.push(...memo.warnings);
  }
  return {
    workload: {
      namespace: identity.namespace,
      name: identity.name,
      labels: identity.labels,
      ...(identity.serviceAccount !== undefined ? { serviceAccount: identity.serviceAccount } : {}),
    },
    mtls,
    authorization,
    gateways,
    warnings: warnings.length === 0 ? [] : [...new Set(warnings)].sort(),
  };
};

/** Every workload's inbound snapshot, keyed `namespace/name`, in key order. `mesh` may be the index the host snapshots were derived with. */
export const deriveWorkloadSnapshots = (state: MeshState, mesh?: MeshIndex): ReadonlyMap<string, WorkloadSnapshot> => {
  const d = derivation(state, mesh);
  const workloads = workloadsOf(state);
  const out = new Map<string, WorkloadSnapshot>();
  for (const key of [...workloads.keys()].sort()) {
    const w = workloads.get(key);
    if (w !== undefined) out.set(key, snapshotOf(d, w.identity, w.warnings));
  }
  return out;
};

/** One workload's inbound snapshot, or undefined when no such workload exists. */
export const deriveWorkloadSnapshot = (state: MeshState, namespace: string, name: string, mesh?: MeshIndex): WorkloadSnapshot | undefined => {
  const w = workloadsOf(state).get(`${namespace}/${name}`);
  return w === undefined ? undefined : snapshotOf(derivation(state, mesh), w.identity, w.warnings);
};
