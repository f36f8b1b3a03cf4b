import * as t from 'io-ts';
import type { Either } from 'fp-ts/lib/Either.js';
import { decodeWith, enumOf, list, nonNegativeInt, str, struct } from './codec/schema.js';
import type { Invalid } from './invalid.js';

/**
 * What a pilot replica answers on the proxy-status subject: every xDS stream it serves and, per
 * resource type, whether the client holds what pilot has. Pilot writes it, `jetmesh proxy-status`
 * reads it; the shape is the contract between them.
 */

export const XdsSyncStatus = enumOf('XdsSyncStatus', ['SYNCED', 'STALE', 'NACKED', 'NOT_SENT'] as const);
export type XdsSyncStatus = t.TypeOf<typeof XdsSyncStatus>;

export const XdsTypeStatus = struct(
  'XdsTypeStatus',
  {
    /** LDS, RDS, CDS or EDS. */
    type: enumOf('XdsShortType', ['LDS', 'RDS', 'CDS', 'EDS'] as const),
    status: XdsSyncStatus,
    /** Resources the client subscribes to (all of the type for a wildcard). */
    subscribed: nonNegativeInt,
  },
  {
    /** Version (`config.registry` log sequences) of the last response the client ACKed. */
    acked: str,
    /** Version pilot has for what the client subscribes to: equal to `acked` when in sync. */
    latest: str,
    /** The client's error_detail for the response it rejected. */
    error: str,
    /** Version of the rejected response. */
    rejected: str,
  },
);
export type XdsTypeStatus = t.TypeOf<typeof XdsTypeStatus>;

export const XdsStreamStatus = struct(
  'XdsStreamStatus',
  {
    /** The client's node.id. */
    node: str,
    protocol: enumOf('XdsProtocol', ['sotw', 'delta'] as const),
    /** ISO time the stream opened. */
    connectedAt: str,
    types: list(XdsTypeStatus),
  },
  { peer: str, namespace: str },
);
export type XdsStreamStatus = t.TypeOf<typeof XdsStreamStatus>;

export const PilotProxyStatus = struct(
  'PilotProxyStatus',
  {
    replica: str,
    /** The log position of the snapshots this replica serves (`config.registry`), empty before the first. */
    version: str,
    streams: list(XdsStreamStatus),
  },
  {
    /** Streams left out because the reply would exceed the bus's message size. */
    omitted: nonNegativeInt,
  },
);
export type PilotProxyStatus = t.TypeOf<typeof PilotProxyStatus>;

export const decodePilotProxyStatus = (u: unknown): Either<Invalid[], PilotProxyStatus> => decodeWith(PilotProxyStatus, u);
