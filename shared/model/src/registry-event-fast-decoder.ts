import type * as t from 'io-ts';
import { dnsLabelReason, resourceNameReason } from './codec/istio-fields.js';
import type { RegistryEvent } from './events.js';
import { plainObject } from './plain-value.js';
import { OPEN_BRACE, StoredJsonReader, readOrGiveUp, type StoredTextDecoding } from './stored-json-reader.js';

/*
 * Compaction leaves MESH_REGISTRY mostly `WorkloadRemoved` tombstones, so a replay decodes
 * thousands of them. Their shape is six flat strings: read by hand (see stored-json-reader.ts)
 * and checked exactly as the strict struct checks them; every other event, and any tombstone
 * the reader gives up on, goes through JSON.parse and the strict codec (property-tested equal).
 */

const TOMBSTONE_KEYS = ['id', 'at', 'actor', 'namespace', 'name', 'type'] as const;

class TombstoneReader extends StoredJsonReader {
  read(): RegistryEvent | undefined {
    const values: Array<string | undefined> = [undefined, undefined, undefined, undefined, undefined, undefined];
    this.expect(OPEN_BRACE);
    for (let more = this.firstMember(); more; more = this.nextMember()) {
      const k = this.key(TOMBSTONE_KEYS);
      // Another key (a registration's `workload`), or a repeated one: the strict codec decides.
      // Returned, not thrown: registrations are common, and an exception costs more than the read.
      if (k < 0 || values[k] !== undefined) return undefined;
      values[k] = this.string();
    }
    this.end();
    const [id, at, actor, namespace, name, type] = values;
    if (type !== 'WorkloadRemoved' || id === undefined || at === undefined || actor === undefined) return undefined;
    if (namespace === undefined || dnsLabelReason(namespace) !== undefined) return undefined;
    if (name === undefined || resourceNameReason(name) !== undefined) return undefined;
    const out = plainObject<Extract<RegistryEvent, { type: 'WorkloadRemoved' }>>();
    out.id = id;
    out.at = at;
    out.actor = actor;
    out.namespace = namespace;
    out.name = name;
    out.type = type;
    return out;
  }
}

/** The StoredTextDecoding of the registry event codec: tombstones read by hand, the rest strictly. */
export const storedRegistryEventDecoder =
  (strict: t.Decoder<unknown, RegistryEvent>): StoredTextDecoding<RegistryEvent>['storedTextDecoder'] =>
  () =>
  (text) => {
    const tombstone = readOrGiveUp(() => new TombstoneReader(text).read());
    if (tombstone !== undefined) return tombstone;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    const r = strict.decode(json);
    return r._tag === 'Right' ? r.right : undefined;
  };
