import * as t from 'io-ts';
import type { Either } from 'fp-ts/lib/Either.js';
import { bool, decodeWith, list, nonNegativeInt, str, struct } from './codec/schema.js';
import type { Invalid } from './invalid.js';

/**
 * What a sidecar (or gateway) proxy answers on the proxy-status subject: per snapshot key it
 * follows, the KV revision it applied and the last one it refused, and its certificate's
 * not-after. The proxy writes it; `jetmesh proxy-status` and the console read it and compare it
 * with the key's current revision in KV (sidecarSyncStatus).
 */

export const SidecarKeyStatus = struct(
  'SidecarKeyStatus',
  {
    /** The mesh_snapshots key (`host.<fqdn>`, `workload.<ns>.<name>`). */
    key: str,
  },
  {
    /** KV revision of the value the proxy routes with; absent: it holds none. */
    revision: nonNegativeInt,
    /** That value's version (`config.registry` log sequences). */
    version: str,
    /** KV revision of the last value the proxy refused (it failed validation), while no later one was applied. */
    refusedRevision: nonNegativeInt,
    refusedReason: str,
  },
);
export type SidecarKeyStatus = t.TypeOf<typeof SidecarKeyStatus>;

export const SidecarProxyStatus = struct(
  'SidecarProxyStatus',
  {
    namespace: str,
    /** The proxy's workload name (its WorkloadEntry's). */
    name: str,
    gateway: bool,
    keys: list(SidecarKeyStatus),
  },
  {
    spiffeId: str,
    /** RFC 3339 not-after of the workload certificate it serves with; absent: none yet. */
    certificateNotAfter: str,
    /** Keys left out because the reply would exceed the bus's message size. */
    omitted: nonNegativeInt,
  },
);
export type SidecarProxyStatus = t.TypeOf<typeof SidecarProxyStatus>;

/** What a status request may ask: one workload's proxies, or every proxy (empty body). */
export const SidecarStatusQuery = struct('SidecarStatusQuery', {}, { namespace: str, name: str });
export type SidecarStatusQuery = t.TypeOf<typeof SidecarStatusQuery>;

export const decodeSidecarProxyStatus = (u: unknown): Either<Invalid[], SidecarProxyStatus> => decodeWith(SidecarProxyStatus, u);
export const decodeSidecarStatusQuery = (u: unknown): Either<Invalid[], SidecarStatusQuery> => decodeWith(SidecarStatusQuery, u);

/** Whether a proxy answers `query`. */
export const sidecarMatches = (query: SidecarStatusQuery, proxy: { namespace: string; name: string }): boolean =>
  (query.namespace === undefined || query.namespace === proxy.namespace) && (query.name === undefined || query.name === proxy.name);

export type SidecarSync = 'SYNCED' | 'STALE' | 'NACKED';

/**
 * One key's sync state against its current KV revision (undefined: the key is not in KV).
 * NACKED: the latest value was refused; STALE: the proxy holds an older revision (or none) than
 * KV has, or holds one KV no longer has; SYNCED otherwise. A held revision above `kvRevision`
 * means KV was read before that write reached the reader, so it counts as in sync.
 */
export function sidecarSyncStatus(key: SidecarKeyStatus, kvRevision: number | undefined): SidecarSync {
  if (kvRevision === undefined) return key.revision === undefined ? 'SYNCED' : 'STALE';
  if (key.refusedRevision !== undefined && key.refusedRevision >= kvRevision && (key.revision === undefined || key.revision < key.refusedRevision)) return 'NACKED';
  if (key.revision !== undefined && key.revision >= kvRevision) return 'SYNCED';
  return 'STALE';
}

const rank: Record<SidecarSync, number> = { SYNCED: 0, STALE: 1, NACKED: 2 };

/** A proxy's state: its worst key's. */
export const worstSync = (states: readonly SidecarSync[]): SidecarSync => states.reduce<SidecarSync>((w, s) => (rank[s] > rank[w] ? s : w), 'SYNCED');
