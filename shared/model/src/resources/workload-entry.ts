import * as t from 'io-ts';
import { intRange, record, str, struct } from '../codec/schema.js';
import { labels, portNumber } from '../codec/istio-fields.js';

/** networking.istio.io WorkloadEntry: one endpoint of the mesh (a VM, a process, a pod). */
export const WorkloadEntrySpec = struct(
  'WorkloadEntrySpec',
  { address: str },
  {
    ports: record(portNumber, { name: 'PortMap', reason: 'must be a map of port name to number' }),
    labels,
    network: str,
    locality: str,
    weight: intRange(0, 4294967295),
    serviceAccount: str,
  },
  { check: (w) => (w.address.trim() === '' ? [{ path: 'address', reason: 'must not be empty' }] : []) },
);
export type WorkloadEntrySpec = t.TypeOf<typeof WorkloadEntrySpec>;
