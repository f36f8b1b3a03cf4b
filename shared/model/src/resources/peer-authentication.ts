import { emptySelectorWarning } from './schema-warning.js';
import * as t from 'io-ts';
import { enumOf, record, struct } from '../codec/schema.js';
import { MatchLabelsSelector, portNumberString } from '../codec/istio-fields.js';

/** security.istio.io PeerAuthentication: which mTLS mode a workload's inbound traffic must use. */

export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;
const MutualTLS = struct('MutualTLS', {}, { mode: enumOf('MTLSMode', MTLS_MODES) });

export const PeerAuthenticationSpec = struct(
  'PeerAuthenticationSpec',
  {},
  {
    selector: MatchLabelsSelector,
    mtls: MutualTLS,
    portLevelMtls: record(MutualTLS, { name: 'PortLevelMtls', keyCheck: portNumberString, reason: 'must be a map of port number to mTLS settings' }),
  },
  {
    check: (p) => {
      if (p.portLevelMtls === undefined) return [];
      if (p.selector === undefined) return [{ path: 'portLevelMtls', reason: 'needs a selector: a mesh- or namespace-wide PeerAuthentication cannot set port-level mTLS' }];
      return Object.keys(p.portLevelMtls).length === 0 ? [{ path: 'portLevelMtls', reason: 'must name at least one port when given' }] : [];
    },
  },
);
export type PeerAuthenticationSpec = t.TypeOf<typeof PeerAuthenticationSpec>;

/** Istio's webhook warning for a PeerAuthentication: an empty selector (it applies to the whole namespace). */
export const peerAuthenticationWarnings = (p: PeerAuthenticationSpec): Array<{ path: string; reason: string }> =>
  emptySelectorWarning('selector', p.selector, p.selector?.matchLabels);
