import * as t from 'io-ts';
import { isIP } from 'node:net';
import { enumOf, list, refine, str, struct } from '../codec/schema.js';
import { LabelsSelector, fqdnReason, ipSubnet, wildcardDomainReason, isHttpProtocol, isTlsProtocol, portName, portNumber, protocolReason, serviceEntryExportTo } from '../codec/istio-fields.js';
import { emptySelectorWarning } from './schema-warning.js';
import { WorkloadEntrySpec, workloadEntryWarnings } from './workload-entry.js';

/** networking.istio.io ServiceEntry: in Jetmesh the service registry (hosts, ports, which workloads serve them). */

// An empty protocol is Istio's "sniff it" (treated as TCP unless HTTP is detected); the analyzer warns.
const sniffedOrProtocol = refine(str, 'Protocol', (p) => (p === '' ? undefined : protocolReason(p)));
const ServicePort = struct('ServicePort', { number: portNumber, name: portName }, { protocol: sniffedOrProtocol, targetPort: portNumber });
export type ServicePort = t.TypeOf<typeof ServicePort>;

type Problems = Array<{ path: string; reason: string }>;

export const ServiceEntrySpec = struct(
  'ServiceEntrySpec',
  // maxItems: Istio's CRD bounds.
  { hosts: list(refine(str, 'ServiceEntryHost', wildcardDomainReason), { minItems: 1, maxItems: 256 }) },
  {
    addresses: list(ipSubnet, { maxItems: 256 }),
    ports: list(ServicePort, { maxItems: 256 }),
    location: enumOf('Location', ['MESH_EXTERNAL', 'MESH_INTERNAL'] as const),
    resolution: enumOf('Resolution', ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] as const),
    endpoints: list(WorkloadEntrySpec, { maxItems: 4096 }),
    workloadSelector: LabelsSelector,
    exportTo: serviceEntryExportTo,
    subjectAltNames: list(str),
  },
  {
    check: (s) => {
      const problems: Problems = [];
      const resolution = s.resolution ?? 'NONE';
      if (s.workloadSelector !== undefined && s.endpoints !== undefined) {
        problems.push({ path: 'workloadSelector', reason: 'workloadSelector and endpoints are mutually exclusive' });
      }
      const names = new Set<string>();
      const numbers = new Set<number>();
      (s.ports ?? []).forEach((p, i) => {
        if (names.has(p.name)) problems.push({ path: `ports[${i}].name`, reason: `duplicate port name "${p.name}"` });
        if (numbers.has(p.number)) problems.push({ path: `ports[${i}].number`, reason: `duplicate port ${p.number}` });
        names.add(p.name);
        numbers.add(p.number);
      });
      s.hosts.forEach((h, i) => {
        if (h === '*') problems.push({ path: `hosts[${i}]`, reason: '"*" is not allowed in a ServiceEntry' });
        else if (s.hosts.indexOf(h) !== i) problems.push({ path: `hosts[${i}]`, reason: `duplicate host "${h}"` });
      });
      (s.addresses ?? []).forEach((a, i) => {
        if (a.includes('/') && resolution !== 'NONE' && resolution !== 'STATIC') {
          problems.push({ path: `addresses[${i}]`, reason: `a CIDR block needs resolution NONE or STATIC (got ${resolution})` });
        }
      });
      const endpoints = s.endpoints ?? [];
      if (resolution === 'NONE' && endpoints.length > 0) problems.push({ path: 'endpoints', reason: 'must be empty with resolution NONE' });
      if (resolution === 'STATIC') {
        endpoints.forEach((e, i) => {
          if (e.address !== undefined && isIP(e.address) === 0 && !e.address.startsWith('unix://')) {
            problems.push({ path: `endpoints[${i}].address`, reason: `"${e.address}" is not an IP address (resolution STATIC needs one; use DNS for names)` });
          }
        });
      }
      if ((resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && endpoints.length === 0) {
        s.hosts.forEach((h, i) => {
          if (h !== '*' && fqdnReason(h) !== undefined) problems.push({ path: `hosts[${i}]`, reason: `must be a DNS name without wildcard: resolution ${resolution} resolves the host itself when no endpoints are given` });
        });
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) problems.push({ path: 'endpoints', reason: 'at most one endpoint with resolution DNS_ROUND_ROBIN' });
      endpoints.forEach((e, i) =>
        Object.keys(e.ports ?? {}).forEach((name) => {
          if (!names.has(name)) problems.push({ path: `endpoints[${i}].ports.${name}`, reason: `port "${name}" is not declared in spec.ports` });
        }),
      );
      // Plain TCP carries no host name, so several hosts on one TCP port cannot be told apart.
      if (resolution !== 'NONE' && s.hosts.length > 1) {
        const opaque = (s.ports ?? []).findIndex((p) => !isHttpProtocol(p.protocol) && !isTlsProtocol(p.protocol));
        if (opaque >= 0) {
          problems.push({ path: `ports[${opaque}].protocol`, reason: 'several hosts need HTTP or TLS ports (a TCP port cannot tell hosts apart): split the ServiceEntry' });
        }
      }
      return problems;
    },
  },
);
export type ServiceEntrySpec = t.TypeOf<typeof ServiceEntrySpec>;

/**
 * Istio's webhook warnings for a ServiceEntry (ValidateServiceEntry): an empty workload selector,
 * a partial wildcard host (`*x.example.com`), a selector with resolution NONE (no endpoints are
 * looked up), and endpoints without address. Addresses for TCP ports are the IST0134 analyzer's.
 */
export const serviceEntryWarnings = (s: ServiceEntrySpec): Array<{ path: string; reason: string }> => [
  ...emptySelectorWarning('workloadSelector', s.workloadSelector, s.workloadSelector?.labels, 'service entry: ').map((w) => ({
    ...w,
    reason: `${w.reason}, will be applied to all services in namespace`,
  })),
  ...s.hosts.flatMap((h, i) => (h.includes('*') && h !== '*' && !h.startsWith('*.') ? [{ path: `hosts[${i}]`, reason: `partial wildcard "${h}" not allowed` }] : [])),
  ...((s.resolution ?? 'NONE') === 'NONE' && s.workloadSelector !== undefined ? [{ path: 'workloadSelector', reason: 'workloadSelector should not be set when resolution mode is NONE' }] : []),
  ...((s.resolution ?? 'NONE') === 'STATIC' ? (s.endpoints ?? []).flatMap((e, i) => workloadEntryWarnings(e, `endpoints[${i}]`)) : []),
];
