import type * as t from 'io-ts';
import { dnsLabelReason, resourceNameReason } from './codec/istio-fields.js';
import type { StoredTextDecoding } from './change-set-fast-decoder.js';
import type { RegistryEvent } from './events.js';

/*
 * Compaction leaves MESH_REGISTRY mostly `WorkloadRemoved` tombstones, so a replay decodes
 * thousands of them. Their shape is six flat fields: checked by hand here, exactly as the strict
 * struct checks them; every other event goes through the strict codec (property-tested equal).
 */

const TOMBSTONE_KEYS = new Set(['id', 'at', 'actor', 'namespace', 'name', 'type']);

const decodeTombstone = (u: Record<string, unknown>): RegistryEvent | undefined => {
  const { id, at, actor, namespace, name, type } = u;
  if (type !== 'WorkloadRemoved' || typeof id !== 'string' || typeof at !== 'string' || typeof actor !== 'string') return undefined;
  if (typeof namespace !== 'string' || dnsLabelReason(namespace) !== undefined) return undefined;
  if (typeof name !== 'string' || resourceNameReason(name) !== undefined) return undefined;
  for (const k of Object.keys(u)) if (!TOMBSTONE_KEYS.has(k)) return undefined;
  return { id, at, actor, namespace, name, type };
};

/** The StoredTextDecoding of the registry event codec: one JSON.parse, tombstones checked by hand. */
export const storedRegistryEventDecoder =
  (strict: t.Decoder<unknown, RegistryEvent>): StoredTextDecoding<RegistryEvent>['storedTextDecoder'] =>
  () =>
  (text) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
    const fast = decodeTombstone(json as Record<string, unknown>);
    if (fast !== undefined) return fast;
    const r = strict.decode(json);
    return r._tag === 'Right' ? r.right : undefined;
  };
