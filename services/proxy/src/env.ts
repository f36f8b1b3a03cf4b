import { dnsLabelReason, resourceNameReason, serviceAccountReason, trustDomainReason } from '@jetmesh/model';
import { LocalProxyFiles, MeshPorts, textCodec, envVar, hostPort, logLevel, NatsCredentialsEnv, natsUrl, DEFAULT_NATS_URL, nonEmptyString, optionalEnvVar, port, durationMs, type ConfigOf, type EnvCodec } from '@jetmesh/runtime';

const checked = (name: string, reason: (s: string) => string | undefined, expected: string): EnvCodec<string> =>
  textCodec(name, (s) => (s !== '' && reason(s) === undefined ? s : undefined), expected);

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** `app=reviews,version=v2` → { app: 'reviews', version: 'v2' }. */
export const labelList: EnvCodec<Record<string, string>> = textCodec(
  'labels',
  (text) => {
    if (text === '') return {};
    const out: Record<string, string> = {};
    for (const pair of text.split(',')) {
      const [k, v, ...rest] = pair.split('=');
      if (k === undefined || v === undefined || rest.length > 0 || !LABEL_KEY.test(k.trim()) || !LABEL_VALUE.test(v.trim())) return undefined;
      out[k.trim()] = v.trim();
    }
    return out;
  },
  'must be comma-separated key=value pairs of Kubernetes label syntax (app=reviews,version=v2)',
);

/** `8080,8443` → [8080, 8443]. */
export const portList: EnvCodec<number[]> = textCodec(
  'ports',
  (text) => {
    const ports = text.split(',').map((p) => p.trim());
    return ports.length > 0 && ports.every((p) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535) ? ports.map(Number) : undefined;
  },
  'must be a comma-separated list of ports (1-65535)',
);

/** A percentage, `0`-`100`, decimals allowed (`0.5`), as Istio's meshConfig `tracing.sampling`. */
export const percent: EnvCodec<number> = textCodec(
  'percent',
  (s) => (/^\d{1,3}(\.\d{1,4})?$/.test(s.trim()) && Number(s) <= 100 ? Number(s) : undefined),
  'must be a percentage from 0 to 100 (e.g. 1 or 0.5)',
);

const bool: EnvCodec<boolean> = textCodec('boolean', (s) => (s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : undefined), 'must be true or false');

/**
 * A proxy's whole configuration; `jetmesh proxy --flag` sets the same variables
 * (`--service` → JETMESH_PROXY_SERVICE …).
 */
export const ProxyEnv = {
  natsUrl: envVar('JETMESH_NATS_URL', natsUrl, DEFAULT_NATS_URL),
  // JETMESH_NATS_CREDS, on a mesh with NATS JWT users: the shared bootstrap user (the trust bundle
  // only); the proxy's own user, limited to its own snapshot and telemetry, comes from citadel.
  ...NatsCredentialsEnv,
  service: envVar('JETMESH_PROXY_SERVICE', checked('service', dnsLabelReason, 'must be a DNS-1123 label (the service name, e.g. reviews)')),
  namespace: envVar('JETMESH_PROXY_NAMESPACE', checked('namespace', dnsLabelReason, 'must be a DNS-1123 label'), 'default'),
  serviceAccount: envVar('JETMESH_PROXY_SERVICE_ACCOUNT', checked('serviceAccount', (s) => serviceAccountReason(s), 'must be a DNS-1123 subdomain')),
  /** The WorkloadEntry name it registers; default `<service>[-<version label>]-<inbound or first gateway port>`, stable across restarts. */
  name: optionalEnvVar('JETMESH_PROXY_NAME', checked('name', resourceNameReason, 'must be a DNS-1123 subdomain')),
  labels: envVar('JETMESH_PROXY_LABELS', labelList, {}),
  /** The service port callers address (the app's port as the mesh sees it). */
  port: optionalEnvVar('JETMESH_PROXY_PORT', port),
  /** Gateway: the ports it serves (`8080,8443`). */
  gatewayPorts: optionalEnvVar('JETMESH_PROXY_GATEWAY_PORTS', portList),
  appPort: optionalEnvVar('JETMESH_PROXY_APP_PORT', port),
  appHost: envVar('JETMESH_PROXY_APP_HOST', nonEmptyString, '127.0.0.1'),
  /** The address peers dial this proxy at (its WorkloadEntry address). */
  address: envVar('JETMESH_PROXY_ADDRESS', nonEmptyString, '127.0.0.1'),
  bindHost: envVar('JETMESH_PROXY_BIND_HOST', nonEmptyString, '127.0.0.1'),
  inboundPort: envVar('JETMESH_PROXY_INBOUND_PORT', port, MeshPorts.proxyInbound),
  outboundPort: envVar('JETMESH_PROXY_OUTBOUND_PORT', port, MeshPorts.proxyOutbound),
  adminPort: envVar('JETMESH_PROXY_ADMIN_PORT', port, MeshPorts.proxyAdmin),
  gateway: envVar('JETMESH_PROXY_GATEWAY', bool, false),
  /** A CA bootstrap token (`jetmesh token create`). */
  token: optionalEnvVar('JETMESH_PROXY_TOKEN', nonEmptyString, { secret: true }),
  caAddress: envVar('JETMESH_CA_ADDRESS', hostPort, `127.0.0.1:${MeshPorts.citadelCa}`),
  /** The name citadel's certificate carries, when the dialled host is an IP. */
  caServerName: envVar('JETMESH_CA_SERVER_NAME', nonEmptyString, 'localhost'),
  trustDomain: envVar('JETMESH_TRUST_DOMAIN', checked('trustDomain', trustDomainReason, 'must be 1-255 of a-z 0-9 . - _'), 'cluster.local'),
  certTtlMs: optionalEnvVar('JETMESH_PROXY_CERT_TTL', durationMs),
  /** Last good snapshots and the saved certificate live here; default `.jetmesh/proxies/<namespace>.<name>`. */
  stateDir: optionalEnvVar('JETMESH_PROXY_STATE_DIR', nonEmptyString),
  /** Gateway: `credentialName` secrets as `<dir>/<name>/tls.crt` and `tls.key` (SDS stand-in). */
  credentialsDir: optionalEnvVar('JETMESH_PROXY_CREDENTIALS_DIR', nonEmptyString),
  accessLog: envVar('JETMESH_PROXY_ACCESS_LOG', bool, true),
  /**
   * Percent of new traces sampled (a caller's sampled flag is always honoured); Istio's default,
   * 1%. Sampled requests' spans go to telemetry on `mesh.spans.<ns>.<workload>`.
   */
  traceSampling: envVar('JETMESH_PROXY_TRACE_SAMPLING', percent, 1),
  heartbeatMs: envVar('JETMESH_PROXY_HEARTBEAT', durationMs, 10_000),
  logLevel: envVar('JETMESH_LOG_LEVEL', logLevel, 'info'),
};

export type ProxyConfig = ConfigOf<typeof ProxyEnv>;

/** What the codecs cannot say alone: which ports a sidecar or a gateway needs. */
export function proxyConfigProblems(c: ProxyConfig): string[] {
  const problems: string[] = [];
  if (c.gateway) {
    if (c.gatewayPorts === undefined && c.port === undefined) problems.push('JETMESH_PROXY_GATEWAY_PORTS (--port): a gateway needs the ports it serves');
  } else {
    if (c.port === undefined) problems.push('JETMESH_PROXY_PORT (--port): the service port callers address is required');
    if (c.appPort === undefined) problems.push('JETMESH_PROXY_APP_PORT (--app-port): where the local app listens is required');
  }
  return problems;
}

/** The name a proxy registers under: given, or derived so a restarted proxy finds its saved state again. */
export function proxyName(c: ProxyConfig): string {
  if (c.name !== undefined) return c.name;
  const version = c.labels.version !== undefined && /^[a-z0-9-]+$/.test(c.labels.version) ? `-${c.labels.version}` : '';
  const port = c.gateway ? (c.gatewayPorts?.[0] ?? c.port ?? 0) : c.inboundPort;
  return `${c.service}${version}-${port}`;
}

/** Where a proxy keeps its state (also where `jetmesh proxy-config` finds its admin port). */
export const proxyStateDir = (c: ProxyConfig, name: string): string => c.stateDir ?? LocalProxyFiles.stateDir(c.namespace, name);
