import { isLeft, left, type Either } from 'fp-ts/lib/Either.js';
import { gatherReplies, openSnapshotStore, Subjects, type Bus } from '@jetmesh/bus';
import {
  decodePilotProxyStatus,
  decodeSidecarProxyStatus,
  formatInvalid,
  sidecarSyncStatus,
  worstSync,
  type Invalid,
  type PilotProxyStatus,
  type SidecarKeyStatus,
  type SidecarProxyStatus,
  type SidecarStatusQuery,
  type SidecarSync,
} from '@jetmesh/model';

const decodedOr = <T>(decoded: Either<Invalid[], T>): Either<string, T> => (isLeft(decoded) ? left(decoded.left.slice(0, 3).map(formatInvalid).join('; ')) : decoded);

/** Asks every pilot replica for its xDS streams (`jetmesh proxy-status`, the console's node details). */
export function gatherPilotStatus(bus: Bus, waitMs: number): Promise<{ replies: PilotProxyStatus[]; invalid: string[] }> {
  return gatherReplies(bus, Subjects.pilotStatus, '', waitMs, (reply) => decodedOr(decodePilotProxyStatus(reply)));
}

export interface SidecarKeySync extends SidecarKeyStatus {
  /** The key's revision in KV when asked; undefined: not in KV. */
  readonly kvRevision?: number;
  readonly sync: SidecarSync;
}

/** One sidecar or gateway proxy, its keys compared with KV. */
export interface SidecarSyncRow extends Omit<SidecarProxyStatus, 'keys'> {
  readonly sync: SidecarSync;
  readonly keys: readonly SidecarKeySync[];
}

// Keys are shared by many proxies; each distinct key is read once, a few at a time.
const KV_READS_IN_FLIGHT = 16;

/**
 * Asks the sidecars `query` names (every one when empty) for their applied snapshot revisions,
 * then reads each key's current revision in mesh_snapshots: equal is SYNCED, behind STALE, the
 * latest refused NACKED (sidecarSyncStatus).
 */
export async function gatherSidecarStatus(bus: Bus, query: SidecarStatusQuery, waitMs: number): Promise<{ proxies: SidecarSyncRow[]; invalid: string[] }> {
  const { replies, invalid } = await gatherReplies(bus, Subjects.proxyStatus, JSON.stringify(query), waitMs, (reply) => decodedOr(decodeSidecarProxyStatus(reply)));
  const keys = [...new Set(replies.flatMap((r) => r.keys.map((k) => k.key)))];
  const revisions = new Map<string, number | 'unreadable'>();
  if (keys.length > 0) {
    const store = await openSnapshotStore(bus);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(KV_READS_IN_FLIGHT, keys.length) }, async () => {
        while (next < keys.length) {
          const key = keys[next++]!;
          // A value that is not even JSON cannot be read here; every proxy refused it too.
          const entry = await store.get(key).catch(() => 'unreadable' as const);
          if (entry === 'unreadable') revisions.set(key, 'unreadable');
          else if (entry !== undefined) revisions.set(key, entry.revision);
        }
      }),
    );
  }
  const proxies = replies
    .map((r): SidecarSyncRow => {
      const synced = r.keys.map((k): SidecarKeySync => {
        const kv = revisions.get(k.key);
        const kvRevision = kv === 'unreadable' ? (k.refusedRevision ?? k.revision) : kv;
        return { ...k, ...(kvRevision !== undefined ? { kvRevision } : {}), sync: sidecarSyncStatus(k, kvRevision) };
      });
      return { ...r, sync: worstSync(synced.map((k) => k.sync)), keys: synced };
    })
    .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { proxies, invalid };
}
