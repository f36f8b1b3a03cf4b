import * as t from 'io-ts';
import { type Either, isLeft } from 'fp-ts/lib/Either.js';
import { decodeWith, enumOf, intRange, list, str, struct } from './codec/schema.js';
import { resourceName, dnsLabel } from './codec/istio-fields.js';
import type { Invalid } from './invalid.js';
import { type MeshResource, type ResourceRef, decodeResource, encodeResource, isResourceKind, resourceKindNames } from './resource.js';
import { WorkloadEntrySpec } from './resources/workload-entry.js';
import { contentHash } from './canonical-json.js';
import { storedRegistryEventDecoder } from './registry-event-fast-decoder.js';
import { storedChangeSetDecoder, type StoredTextDecoding } from './change-set-fast-decoder.js';

/** The hash a ChangeSet carries as `prev` when it is the first in the log. */
export const GENESIS_HASH = '0'.repeat(64);

export type Change =
  | { readonly op: 'apply'; readonly resource: MeshResource }
  | { readonly op: 'delete'; readonly ref: ResourceRef };

/** One apply/delete: every resource it touched, atomically, as one message of MESH_CONFIG. */
export interface ChangeSet {
  readonly id: string;
  readonly type: 'ChangeSet';
  /** RFC 3339, set by galley when it accepted the change. */
  readonly at: string;
  /** Who asked: a user or a service identity. */
  readonly actor: string;
  readonly reason?: string;
  /** SHA-256 of the previous ChangeSet's canonical bytes: the log is a tamper-evident chain. */
  readonly prev: string;
  /** Sequence this ChangeSet restores, when it is a rollback. */
  readonly rollbackOf?: number;
  /**
   * The client's id for the request (Apply/Delete `request_id`): a retry with the same id is
   * answered with this ChangeSet instead of making a second change. Also its Nats-Msg-Id.
   */
  readonly requestId?: string;
  /** Set on a chain repair (which changes nothing): the ChangeSets a fork left out of the chain, re-chained by hash. */
  readonly repairs?: readonly ChainRepair[];
  /** Empty only on a repair. */
  readonly changes: readonly Change[];
}

/**
 * One ChangeSet a fork left out of the `prev` chain (no successor names its hash), named by
 * a repair with the hash it has as stored, so that it is tamper-evident again.
 */
export interface ChainRepair {
  readonly seq: number;
  readonly hash: string;
}

const ChainRepairCodec = struct('ChainRepair', { seq: intRange(1, Number.MAX_SAFE_INTEGER), hash: str }, {});

const RefCodec = struct('ResourceRef', { kind: enumOf('Kind', resourceKindNames), namespace: dnsLabel, name: resourceName }, {});

/** A resource inside an event is held to the same rules as one that is applied. */
const ResourceCodec = new t.Type<MeshResource, Record<string, unknown>, unknown>(
  'MeshResource',
  (u): u is MeshResource => typeof u === 'object' && u !== null && isResourceKind(String((u as { kind?: unknown }).kind)),
  (u, c) => {
    const r = decodeResource(u, '');
    if (isLeft(r)) return t.failure(u, c, `INVALID|${r.left.map((e) => `${e.path}: ${e.reason}`).join('; ')}`);
    if (r.right.resource.metadata.namespace === '') return t.failure(u, c, 'INVALID|metadata.namespace: required in a stored resource');
    return t.success(r.right.resource);
  },
  encodeResource,
);

/** `resource` decodes an applied resource. */
const changeCodecOf = (resource: t.Type<MeshResource, Record<string, unknown>, unknown>) =>
  new t.Type<Change, unknown, unknown>(
    'Change',
    (u): u is Change => typeof u === 'object' && u !== null,
    (u, c) => {
      const op = (u as { op?: unknown } | null)?.op;
      if (op === 'apply') {
        const r = resource.validate((u as { resource?: unknown }).resource, t.appendContext(c, 'resource', resource, u));
        return isLeft(r) ? r : t.success({ op: 'apply', resource: r.right });
      }
      if (op === 'delete') {
        const r = RefCodec.validate((u as { ref?: unknown }).ref, t.appendContext(c, 'ref', RefCodec, u));
        return isLeft(r) ? r : t.success({ op: 'delete', ref: r.right as ResourceRef });
      }
      return t.failure(u, c, 'INVALID|op must be apply or delete');
    },
    (ch) => (ch.op === 'apply' ? { op: 'apply', resource: encodeResource(ch.resource) } : { op: 'delete', ref: { ...ch.ref } }),
  );

const changeSetCodecOf = (resource: t.Type<MeshResource, Record<string, unknown>, unknown>) =>
  struct(
    'ChangeSet',
    {
      id: str,
      type: enumOf('ChangeSetType', ['ChangeSet'] as const),
      at: str,
      actor: str,
      prev: str,
      changes: list(changeCodecOf(resource)),
    },
    { reason: str, rollbackOf: t.number as unknown as t.Type<number, number, unknown>, requestId: str, repairs: list(ChainRepairCodec, { minItems: 1 }) },
    {
      check: (cs) => {
        if (cs.repairs === undefined) return cs.changes.length === 0 ? [{ path: 'changes', reason: 'must not be empty' }] : [];
        return cs.changes.length > 0 ? [{ path: 'changes', reason: 'must be empty on a chain repair' }] : [];
      },
    },
  ) as unknown as t.Type<ChangeSet, unknown, unknown>;

/** The strict ChangeSet codec, plus a faster decoder of stored text that accepts exactly what it accepts (see change-set-fast-decoder.ts). */
export const ChangeSetCodec: t.Type<ChangeSet, unknown, unknown> & StoredTextDecoding<ChangeSet> = Object.assign(changeSetCodecOf(ResourceCodec), {
  storedTextDecoder: storedChangeSetDecoder({
    resource: ResourceCodec,
    ref: RefCodec as unknown as t.Decoder<unknown, ResourceRef>,
  }),
});

/** The hash of a ChangeSet as the next one's `prev` names it. */
export const changeSetHash = (cs: ChangeSet): string => contentHash(ChangeSetCodec.encode(cs));

export const decodeChangeSet = (u: unknown): Either<Invalid[], ChangeSet> => decodeWith(ChangeSetCodec, u);

/** Workload registrations (MESH_REGISTRY): endpoints that come and go without a config change. */
export type RegistryEvent =
  | {
      readonly id: string;
      readonly type: 'WorkloadRegistered' | 'WorkloadUpdated';
      readonly at: string;
      readonly actor: string;
      readonly namespace: string;
      readonly name: string;
      readonly workload: t.TypeOf<typeof WorkloadEntrySpec>;
    }
  | {
      readonly id: string;
      readonly type: 'WorkloadRemoved';
      readonly at: string;
      readonly actor: string;
      readonly namespace: string;
      readonly name: string;
    };

const RegistryBase = { id: str, at: str, actor: str, namespace: dnsLabel, name: resourceName };
const WorkloadUpsert = struct('WorkloadUpsert', { ...RegistryBase, type: enumOf('RegistryType', ['WorkloadRegistered', 'WorkloadUpdated'] as const), workload: WorkloadEntrySpec }, {});
const WorkloadRemoved = struct('WorkloadRemoved', { ...RegistryBase, type: enumOf('RegistryType', ['WorkloadRemoved'] as const) }, {});

/** Only reached for an unknown type: reports it against every known one. */
const AnyRegistryEvent = struct('RegistryEvent', { ...RegistryBase, type: enumOf('RegistryType', ['WorkloadRegistered', 'WorkloadUpdated', 'WorkloadRemoved'] as const) }, { workload: WorkloadEntrySpec });

const StrictRegistryEventCodec = new t.Type<RegistryEvent, unknown, unknown>(
  'RegistryEvent',
  (u): u is RegistryEvent => WorkloadUpsert.is(u) || WorkloadRemoved.is(u),
  (u, c) => {
    const type = (u as { type?: unknown } | null)?.type;
    if (type === 'WorkloadRemoved') return WorkloadRemoved.validate(u, c);
    if (type === 'WorkloadRegistered' || type === 'WorkloadUpdated') return WorkloadUpsert.validate(u, c);
    return AnyRegistryEvent.validate(u, c) as t.Validation<RegistryEvent>;
  },
  (e) => (e.type === 'WorkloadRemoved' ? WorkloadRemoved.encode(e) : WorkloadUpsert.encode(e)),
);

/** The strict registry event codec, plus a faster decoder of stored text that accepts exactly what it accepts. */
export const RegistryEventCodec: t.Type<RegistryEvent, unknown, unknown> & StoredTextDecoding<RegistryEvent> = Object.assign(StrictRegistryEventCodec, {
  storedTextDecoder: storedRegistryEventDecoder(StrictRegistryEventCodec),
});

export const decodeRegistryEvent = (u: unknown): Either<Invalid[], RegistryEvent> => decodeWith(RegistryEventCodec, u);

/** An event as the reducer sees it: where it sits in which stream. */
export type LogEvent =
  | { readonly stream: 'config'; readonly seq: number; readonly event: ChangeSet }
  | { readonly stream: 'registry'; readonly seq: number; readonly event: RegistryEvent };


