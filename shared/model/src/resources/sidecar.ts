import * as t from 'io-ts';
import { enumOf, list, refine, str, struct } from '../codec/schema.js';
import { Destination, LabelsSelector, fqdnReason, ipAddressReason, isHttpProtocol, namespacedHostReason, portName, portNumber, protocol } from '../codec/istio-fields.js';
import { ConnectionPoolSettings } from './destination-rule.js';
import { ServerTLSSettings, serverTlsWarnings } from './gateway.js';
import { emptySelectorWarning } from './schema-warning.js';

/** networking.istio.io Sidecar: what a workload's proxy listens on and which services it may reach. */

type Problems = Array<{ path: string; reason: string }>;

const CaptureMode = enumOf('CaptureMode', ['DEFAULT', 'IPTABLES', 'NONE'] as const);
const SidecarPort = struct('SidecarPort', { number: portNumber }, { protocol, name: portName, targetPort: portNumber }, {
  check: (p) => (p.targetPort !== undefined ? [{ path: 'targetPort', reason: 'has no effect on a Sidecar: remove it' }] : []),
});
const bind = refine(str, 'Bind', (b) => (b.startsWith('unix://') ? undefined : ipAddressReason(b)));

/** Where inbound traffic goes: a loopback or any-address port, or a unix socket. */
const defaultEndpoint = refine(str, 'DefaultEndpoint', (e) => {
  if (e.startsWith('unix://')) return e.length > 'unix://'.length ? undefined : 'must name a unix socket path';
  const m = /^(\[[^\]]*\]|[^:]*):([0-9]+)$/.exec(e);
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (m === null || !['', '127.0.0.1', '0.0.0.0', '[::1]', '[::]'].includes(host ?? 'x') || port < 1 || port > 65535) {
    return 'must be 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port> or unix://<path>';
  }
  return undefined;
});

const IngressListener = struct(
  'IstioIngressListener',
  { port: SidecarPort },
  { bind, captureMode: CaptureMode, defaultEndpoint, tls: ServerTLSSettings, connectionPool: ConnectionPoolSettings },
  {
    check: (l) => {
      const problems: Problems = [];
      if (l.tls !== undefined) {
        if (l.tls.mode === 'ISTIO_MUTUAL' || l.tls.mode === 'AUTO_PASSTHROUGH') problems.push({ path: 'tls.mode', reason: `${l.tls.mode} cannot be used on a sidecar ingress listener` });
        if (l.tls.httpsRedirect !== undefined) problems.push({ path: 'tls.httpsRedirect', reason: 'is not supported on a sidecar' });
        if (l.tls.credentialName !== undefined) problems.push({ path: 'tls.credentialName', reason: 'is not supported on a sidecar' });
        if (l.tls.subjectAltNames !== undefined) problems.push({ path: 'tls.subjectAltNames', reason: 'is not supported on a sidecar ingress listener' });
      }
      // HTTP pool settings on a non-HTTP port: Istio warns (sidecarWarnings), only the tcp settings apply.
      return problems;
    },
  },
);

const egressHost = refine(str, 'EgressHost', (h) => namespacedHostReason(h, true, true));
// A host listed twice is only warned about (sidecarWarnings), as Istio does.
const EgressListener = struct('IstioEgressListener', { hosts: list(egressHost, { minItems: 1 }) }, { port: SidecarPort, bind, captureMode: CaptureMode });

const OutboundTrafficPolicy = struct('OutboundTrafficPolicy', {}, { mode: enumOf('OutboundMode', ['REGISTRY_ONLY', 'ALLOW_ANY'] as const), egressProxy: Destination }, {
  check: (p) => {
    if (p.egressProxy === undefined) return [];
    const problems: Problems = [];
    if (p.mode !== 'ALLOW_ANY') problems.push({ path: 'egressProxy', reason: 'needs mode ALLOW_ANY' });
    const reason = fqdnReason(p.egressProxy.host);
    if (reason !== undefined) problems.push({ path: 'egressProxy.host', reason });
    if (p.egressProxy.port === undefined) problems.push({ path: 'egressProxy.port', reason: 'required' });
    return problems;
  },
});

export const SidecarSpec = struct(
  'SidecarSpec',
  {},
  {
    workloadSelector: LabelsSelector,
    ingress: list(IngressListener),
    egress: list(EgressListener),
    outboundTrafficPolicy: OutboundTrafficPolicy,
    inboundConnectionPool: ConnectionPoolSettings,
  },
  {
    check: (s) => {
      const problems: Problems = [];
      if ((s.ingress ?? []).length === 0 && (s.egress ?? []).length === 0 && s.outboundTrafficPolicy === undefined && s.inboundConnectionPool === undefined) {
        problems.push({ path: '', reason: 'must set at least one of ingress, egress, outboundTrafficPolicy, inboundConnectionPool' });
      }
      const ingressPorts = new Set<number>();
      (s.ingress ?? []).forEach((l, i) => {
        if (ingressPorts.has(l.port.number)) problems.push({ path: `ingress[${i}].port.number`, reason: `duplicate port ${l.port.number}` });
        ingressPorts.add(l.port.number);
      });
      const egressPorts = new Set<number>();
      const egress = s.egress ?? [];
      egress.forEach((l, i) => {
        if (l.port === undefined) {
          if (i !== egress.length - 1) problems.push({ path: `egress[${i}]`, reason: 'the listener without a port catches everything else and must come last' });
          return;
        }
        if (egressPorts.has(l.port.number)) problems.push({ path: `egress[${i}].port.number`, reason: `duplicate port ${l.port.number}` });
        egressPorts.add(l.port.number);
      });
      return problems;
    },
  },
);
export type SidecarSpec = t.TypeOf<typeof SidecarSpec>;

/**
 * Istio's webhook warnings for a Sidecar (ValidateSidecar): an empty workload selector, HTTP pool
 * settings on a port that is not HTTP, egress hosts named twice (a host twice, or beside its
 * namespace's wildcard), the all-namespaces wildcard beside other hosts, and inbound TLS.
 */
export const sidecarWarnings = (s: SidecarSpec, namespace: string): Array<{ path: string; reason: string }> => {
  const out = emptySelectorWarning('workloadSelector', s.workloadSelector, s.workloadSelector?.labels, 'sidecar: ').map((w) => ({
    ...w,
    reason: `${w.reason}, will be applied to all services in namespace`,
  }));
  (s.ingress ?? []).forEach((l, i) => {
    if (l.tls !== undefined) out.push(...serverTlsWarnings(l.tls, `ingress[${i}].tls`));
    if (l.connectionPool?.http !== undefined && !isHttpProtocol(l.port.protocol)) {
      out.push({
        path: `ingress[${i}].connectionPool.http`,
        reason: `sidecar: HTTP connection pool settings are configured for port ${l.port.number} ("${l.port.name ?? ''}") but its protocol is not HTTP (${l.port.protocol ?? ''}); only TCP settings will apply`,
      });
    }
  });
  (s.egress ?? []).forEach((l, i) => {
    // Per namespace, the service names seen so far ("*" for all of them).
    const byNamespace = new Map<string, Set<string>>();
    l.hosts.forEach((h, j) => {
      const slash = h.indexOf('/');
      // Excluded hosts (`~ns/host`) take nothing in, so they duplicate nothing; `.` is the Sidecar's namespace.
      if (h.startsWith('~')) return;
      const ns = h.slice(0, slash) === '.' ? namespace : h.slice(0, slash);
      const svc = h.slice(slash + 1);
      const seen = byNamespace.get(ns) ?? new Set<string>();
      if (svc !== '*' ? seen.has(svc) || seen.has('*') : seen.size > 0) out.push({ path: `egress[${i}].hosts[${j}]`, reason: `duplicated egress host: ${h}` });
      seen.add(svc);
      byNamespace.set(ns, seen);
    });
    if (byNamespace.get('*')?.has('*') === true && byNamespace.size !== 1) {
      out.push({ path: `egress[${i}].hosts`, reason: '`*/*` host select all resources, no other hosts can be added' });
    }
  });
  return out;
};
