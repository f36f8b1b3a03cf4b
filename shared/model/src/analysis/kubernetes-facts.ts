import type { ServiceEntry } from '../resource.js';
import type { ViewWorkload } from './mesh-view.js';

/*
 * Kubernetes objects beside Istio config in an `analyze -f` input (as istioctl reads a cluster
 * dump): Services, Pods and workload controllers become read-only registry facts for the analyzers.
 * Jetmesh's registry is its ServiceEntries and WorkloadEntries, so a Service reads as the entry
 * Istio derives from it. Facts are never stored; they only answer "does this host/workload exist".
 */

/** What analyzers see of the Kubernetes objects of an input. */
export interface KubernetesFacts {
  readonly services: readonly ServiceEntry[];
  readonly workloads: readonly ViewWorkload[];
  /** Namespace objects of the input: when there are any, the namespaces that exist. */
  readonly namespaces: readonly string[];
  /** Namespaces the input puts in ambient mode (no sidecars there): their Namespace objects' labels say so. */
  readonly ambientNamespaces?: readonly string[];
  /** Gateway API Gateways (`namespace/name`): a VirtualService may bind to them. */
  readonly gateways: readonly string[];
  /**
   * Secrets of the input (`namespace/name`; only that, never their data), or undefined when it
   * holds none: a gateway's credentialName is checked only against an input that lists secrets.
   */
  readonly secrets?: readonly string[];
  /** ServiceEntries (`namespace/name`) whose `status.addresses` says the controller allocated them addresses. */
  readonly allocatedAddresses: readonly string[];
  /** The mesh config of the input (the `istio` ConfigMap of istio-system), as far as analyzers read it. */
  readonly meshConfig?: MeshConfigFacts;
}

/** What analyzers read of Istio's MeshConfig. */
export interface MeshConfigFacts {
  /**
   * Proxies capture DNS and give ServiceEntries without addresses one of their own
   * (`defaultConfig.proxyMetadata` ISTIO_META_DNS_CAPTURE with ISTIO_META_DNS_AUTO_ALLOCATE or
   * PILOT_ENABLE_IP_AUTOALLOCATE, all "true"), so a TCP port needs no address in the entry.
   */
  readonly dnsAutoAllocate: boolean;
}

export const noKubernetesFacts: KubernetesFacts = { services: [], workloads: [], namespaces: [], gateways: [], allocatedAddresses: [] };

type Obj = Record<string, unknown>;
const isObj = (u: unknown): u is Obj => typeof u === 'object' && u !== null && !Array.isArray(u);
const stringMap = (u: unknown): Record<string, string> =>
  isObj(u) ? Object.fromEntries(Object.entries(u).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
const str = (u: unknown): string | undefined => (typeof u === 'string' && u !== '' ? u : undefined);

/** Kinds read as facts: `kind` of apiVersion `v1` or `apps/v1` (and the batch controllers). */
const WORKLOAD_CONTROLLERS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);
const FACT_KINDS = new Set(['Service', 'Pod', 'Namespace', 'Node', 'Endpoints', 'EndpointSlice', 'Secret', 'ConfigMap', ...WORKLOAD_CONTROLLERS]);

/** Where Istio keeps its mesh config: ConfigMap `istio` (`istio-<revision>`) in istio-system, key `mesh`. */
const MESH_CONFIG_NAMESPACE = 'istio-system';
const isMeshConfigMap = (name: string, namespace: string): boolean => namespace === MESH_CONFIG_NAMESPACE && (name === 'istio' || name.startsWith('istio-'));

// As Istio's registry, a pod carries its node's locality as labels (subsets may select on them).
const LOCALITY_LABELS = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'];

const GATEWAY_API = 'gateway.networking.k8s.io/';

/**
 * Istio's test for an ambient namespace: `istio.io/dataplane-mode: ambient`, unless sidecar
 * injection (`istio-injection: enabled`) or a revision (`istio.io/rev`) claims it.
 */
const isAmbientNamespace = (labels: Readonly<Record<string, string>>): boolean =>
  labels['istio-injection'] !== 'enabled' && (labels['istio.io/rev'] ?? '') === '' && labels['istio.io/dataplane-mode'] === 'ambient';

/** A pod the ambient data plane redirects (annotation `ambient.istio.io/redirection: enabled`) has no sidecar. */
const isAmbientPod = (annotations: Readonly<Record<string, string>>): boolean => annotations['ambient.istio.io/redirection'] === 'enabled';

/** Whether a parsed document is a Kubernetes object `analyze` reads as a fact (not Istio config). */
export const isKubernetesFact = (u: unknown): boolean =>
  isObj(u) &&
  typeof u.kind === 'string' &&
  typeof u.apiVersion === 'string' &&
  ((FACT_KINDS.has(u.kind) && !u.apiVersion.includes('istio.io')) || (u.kind === 'Gateway' && u.apiVersion.startsWith(GATEWAY_API)));


/** Istio's protocol from a Service port: appProtocol, else the name's prefix (`http-web`, `grpc`), else TCP. */
const portProtocol = (p: Obj): string => {
  const app = str(p.appProtocol)?.toUpperCase();
  if (app !== undefined) return app;
  const prefix = (str(p.name) ?? '').split('-')[0]?.toUpperCase() ?? '';
  return ['HTTP', 'HTTP2', 'HTTPS', 'GRPC', 'GRPC-WEB', 'TCP', 'TLS', 'MONGO', 'REDIS', 'MYSQL'].includes(prefix) ? prefix : 'TCP';
};

const serviceEntryOf = (o: Obj, namespace: string, name: string): ServiceEntry => {
  const spec = isObj(o.spec) ? o.spec : {};
  const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isObj).flatMap((p, i) =>
    typeof p.port === 'number' ? [{ number: p.port, name: str(p.name) ?? `port-${i}`, protocol: portProtocol(p) }] : [],
  );
  const selector = stringMap(spec.selector);
  // Istio reads a Service's visibility from this annotation (default: everywhere).
  const metadata = isObj(o.metadata) ? o.metadata : {};
  const exportTo = (stringMap(metadata.annotations)['networking.istio.io/exportTo'] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace },
    spec: {
      hosts: [`${name}.${namespace}.svc.cluster.local`],
      ports,
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ...(Object.keys(selector).length > 0 ? { workloadSelector: { labels: selector } } : {}),
      ...(exportTo.length > 0 ? { exportTo } : {}),
    },
  } as ServiceEntry;
};

/** The mesh config facts of a parsed MeshConfig (`defaultConfig.proxyMetadata`, as Istio's ProtocolAddressesAnalyzer reads it). */
export const meshConfigFacts = (mesh: unknown): MeshConfigFacts => {
  const defaultConfig = isObj(mesh) && isObj(mesh.defaultConfig) ? mesh.defaultConfig : {};
  const metadata = stringMap(defaultConfig.proxyMetadata);
  const on = (k: string): boolean => metadata[k] === 'true';
  return { dnsAutoAllocate: on('ISTIO_META_DNS_CAPTURE') && (on('ISTIO_META_DNS_AUTO_ALLOCATE') || on('PILOT_ENABLE_IP_AUTOALLOCATE')) };
};

export interface KubernetesFactsOptions {
  /** Reads the mesh config text of the `istio` ConfigMap (YAML); the model parses no YAML itself. */
  readonly parseMeshConfig?: (text: string) => unknown;
}

/**
 * The facts of every Kubernetes object among `documents` (others are ignored), and the
 * `status.addresses` of the ServiceEntries among them.
 */
export const kubernetesFacts = (documents: readonly unknown[], defaultNamespace: string, options: KubernetesFactsOptions = {}): KubernetesFacts => {
  const services: ServiceEntry[] = [];
  const secrets: string[] = [];
  const allocatedAddresses: string[] = [];
  let meshConfig: MeshConfigFacts | undefined;
  const workloads: ViewWorkload[] = [];
  const namespaces: string[] = [];
  const ambientNamespaces: string[] = [];
  const gateways: string[] = [];
  const nodeLocality = new Map<string, Record<string, string>>();
  for (const o of documents) {
    if (!isKubernetesFact(o) || !isObj(o) || o.kind !== 'Node' || !isObj(o.metadata)) continue;
    const labels = stringMap(o.metadata.labels);
    const name = str(o.metadata.name);
    if (name !== undefined) nodeLocality.set(name, Object.fromEntries(LOCALITY_LABELS.flatMap((l) => (labels[l] !== undefined && labels[l] !== '' ? [[l, labels[l]]] : []))));
  }
  for (const o of documents) {
    if (!isObj(o)) continue;
    const metadata = isObj(o.metadata) ? o.metadata : {};
    const name = str(metadata.name);
    const namespace = str(metadata.namespace) ?? defaultNamespace;
    if (name === undefined) continue;
    if (o.kind === 'ServiceEntry' && String(o.apiVersion).startsWith('networking.istio.io/')) {
      const addresses = isObj(o.status) && Array.isArray(o.status.addresses) ? o.status.addresses : [];
      if (addresses.length > 0) allocatedAddresses.push(`${namespace}/${name}`);
      continue;
    }
    if (!isKubernetesFact(o)) continue;
    const spec = isObj(o.spec) ? o.spec : {};
    if (o.kind === 'Service') services.push(serviceEntryOf(o, namespace, name));
    else if (o.kind === 'Secret') secrets.push(`${namespace}/${name}`);
    else if (o.kind === 'ConfigMap') {
      const text = isObj(o.data) && typeof o.data.mesh === 'string' ? o.data.mesh : undefined;
      if (text !== undefined && options.parseMeshConfig !== undefined && isMeshConfigMap(name, namespace)) meshConfig = meshConfigFacts(options.parseMeshConfig(text));
    }
    else if (o.kind === 'Namespace') {
      namespaces.push(name);
      if (isAmbientNamespace(stringMap(metadata.labels))) ambientNamespaces.push(name);
    } else if (o.kind === 'Gateway') gateways.push(`${namespace}/${name}`);
    else if (o.kind === 'Pod') {
      const labels = { ...(nodeLocality.get(str(spec.nodeName) ?? '') ?? {}), ...stringMap(metadata.labels) };
      workloads.push(isAmbientPod(stringMap(metadata.annotations)) ? { namespace, labels, ambient: true } : { namespace, labels });
    }
    else if (WORKLOAD_CONTROLLERS.has(o.kind as string)) {
      // A controller's pods carry its template's labels (a CronJob's are one level deeper).
      const template = isObj(spec.template) ? spec.template : isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec) && isObj(spec.jobTemplate.spec.template) ? spec.jobTemplate.spec.template : {};
      const templateMeta = isObj(template.metadata) ? template.metadata : {};
      workloads.push({ namespace, labels: stringMap(templateMeta.labels) });
    }
  }
  return {
    services,
    workloads,
    namespaces,
    ...(ambientNamespaces.length > 0 ? { ambientNamespaces } : {}),
    gateways,
    allocatedAddresses,
    ...(secrets.length > 0 ? { secrets } : {}),
    ...(meshConfig !== undefined ? { meshConfig } : {}),
  };
};
