import * as t from 'io-ts';
import { enumOf, list, str, struct } from '../codec/schema.js';
import { exportTo, hostname, labels, portNumber } from '../codec/istio-fields.js';
import { WorkloadEntrySpec } from './workload-entry.js';

/** networking.istio.io ServiceEntry: in Jetmesh the service registry (hosts, ports, which workloads serve them). */

const ServicePort = struct('ServicePort', { number: portNumber, name: str }, { protocol: str, targetPort: portNumber });
export type ServicePort = t.TypeOf<typeof ServicePort>;

export const ServiceEntrySpec = struct(
  'ServiceEntrySpec',
  { hosts: list(hostname, { minItems: 1 }) },
  {
    addresses: list(str),
    ports: list(ServicePort),
    location: enumOf('Location', ['MESH_EXTERNAL', 'MESH_INTERNAL'] as const),
    resolution: enumOf('Resolution', ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] as const),
    endpoints: list(WorkloadEntrySpec),
    workloadSelector: struct('WorkloadSelector', { labels }, {}),
    exportTo,
    subjectAltNames: list(str),
  },
  {
    check: (s) => {
      const problems: Array<{ path: string; reason: string }> = [];
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
      });
      return problems;
    },
  },
);
export type ServiceEntrySpec = t.TypeOf<typeof ServiceEntrySpec>;
