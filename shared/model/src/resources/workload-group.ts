import * as t from 'io-ts';
import { enumOf, intRange, list, record, str, struct } from '../codec/schema.js';
import { WORKLOAD_PORTS_MAX, headerNameReason, int32, portName, portNumber, workloadLabels } from '../codec/istio-fields.js';

/** networking.istio.io WorkloadGroup: the template WorkloadEntries are made from when VMs register, and their health probe. */

const TemplateEntry = struct(
  'WorkloadEntryTemplate',
  {},
  {
    address: str,
    ports: record(portNumber, { name: 'PortMap', keyCheck: (k) => (portName.is(k) ? undefined : `invalid port name "${k}": must be a DNS-1123 label`), reason: 'must be a map of port name to number', maxEntries: WORKLOAD_PORTS_MAX }),
    labels: workloadLabels,
    network: str,
    locality: str,
    weight: intRange(0, 4294967295),
    serviceAccount: str,
  },
  { check: (w) => (w.address !== undefined ? [{ path: 'address', reason: 'must not be set in a template: each workload brings its own when it registers' }] : []) },
);

const HTTPHeader = struct('HTTPHeader', { name: str }, { value: str }, {
  check: (h) => {
    const reason = headerNameReason(h.name);
    return reason === undefined ? [] : [{ path: 'name', reason }];
  },
});
const HTTPHealthCheck = struct('HTTPHealthCheckConfig', { port: portNumber }, {
  path: str,
  host: str,
  scheme: enumOf('HTTPScheme', ['HTTP', 'HTTPS'] as const),
  httpHeaders: list(HTTPHeader),
});
const TCPHealthCheck = struct('TCPHealthCheckConfig', { port: portNumber }, { host: str });
const ExecHealthCheck = struct('ExecHealthCheckConfig', { command: list(str, { minItems: 1 }) }, {});

const ReadinessProbe = struct(
  'ReadinessProbe',
  {},
  {
    initialDelaySeconds: int32,
    timeoutSeconds: int32,
    periodSeconds: int32,
    successThreshold: int32,
    failureThreshold: int32,
    httpGet: HTTPHealthCheck,
    tcpSocket: TCPHealthCheck,
    exec: ExecHealthCheck,
  },
  {
    check: (p) =>
      [p.httpGet, p.tcpSocket, p.exec].filter((x) => x !== undefined).length === 1 ? [] : [{ path: '', reason: 'must set exactly one of httpGet, tcpSocket, exec' }],
  },
);

export const WorkloadGroupSpec = struct(
  'WorkloadGroupSpec',
  { template: TemplateEntry },
  { metadata: struct('ObjectMeta', {}, { labels: workloadLabels, annotations: record(str, { name: 'Annotations', reason: 'must be a map of strings', maxEntries: 256 }) }), probe: ReadinessProbe },
);
export type WorkloadGroupSpec = t.TypeOf<typeof WorkloadGroupSpec>;
