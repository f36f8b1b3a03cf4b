import * as t from 'io-ts';
import { isIP } from 'node:net';
import { intRange, record, str, struct } from '../codec/schema.js';
import { WORKLOAD_PORTS_MAX, fqdnReason, portName, portNumber, workloadLabels } from '../codec/istio-fields.js';

/** networking.istio.io WorkloadEntry: one endpoint of the mesh (a VM, a process, a pod). */

const UNIX_PREFIX = 'unix://';

/** Why `address` cannot reach a workload: an IP, a DNS name, or `unix:///absolute/path`. */
export const workloadAddressReason = (address: string): string | undefined => {
  if (address.trim() === '') return 'must not be empty';
  if (address.startsWith(UNIX_PREFIX)) {
    const path = address.slice(UNIX_PREFIX.length);
    return path.startsWith('@') || (path.startsWith('/') && !path.endsWith('/')) ? undefined : `"${address}" is not an absolute path to a unix domain socket`;
  }
  return isIP(address) !== 0 || fqdnReason(address) === undefined ? undefined : `"${address}" is not a valid IP address or DNS name`;
};

export const WorkloadEntrySpec = struct(
  'WorkloadEntrySpec',
  {},
  {
    // Optional only beside `network`: a workload on another network is reached through that network's gateway.
    address: str,
    ports: record(portNumber, { name: 'PortMap', keyCheck: (k) => (portName.is(k) ? undefined : `invalid port name "${k}": must be a DNS-1123 label`), reason: 'must be a map of port name to number', maxEntries: WORKLOAD_PORTS_MAX }),
    labels: workloadLabels,
    network: str,
    locality: str,
    weight: intRange(0, 4294967295),
    serviceAccount: str,
  },
  {
    check: (w) => {
      if (w.address === undefined || w.address === '') {
        return w.network !== undefined && w.network !== '' ? [] : [{ path: 'address', reason: 'required (it may be left out only for a workload on another network: set network)' }];
      }
      const reason = workloadAddressReason(w.address);
      if (reason !== undefined) return [{ path: 'address', reason }];
      if (w.address.startsWith(UNIX_PREFIX) && w.ports !== undefined) return [{ path: 'ports', reason: 'a unix domain socket endpoint has no ports' }];
      return [];
    },
  },
);
export type WorkloadEntrySpec = t.TypeOf<typeof WorkloadEntrySpec>;

/** Istio's webhook warning for a WorkloadEntry without address: it is reached through its network's gateway. */
export const workloadEntryWarnings = (w: WorkloadEntrySpec, at = ''): Array<{ path: string; reason: string }> =>
  (w.address === undefined || w.address === '') && w.network !== undefined && w.network !== ''
    ? [{ path: at === '' ? 'address' : `${at}.address`, reason: `address is unset with network "${w.network}"` }]
    : [];
