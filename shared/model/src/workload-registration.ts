import * as t from 'io-ts';
import { type Either } from 'fp-ts/lib/Either.js';
import { canonicalJson } from './canonical-json.js';
import { bool, decodeWith, enumOf, int, refine, str, struct } from './codec/schema.js';
import { dnsLabel, resourceName } from './codec/istio-fields.js';
import type { Invalid } from './invalid.js';
import { WorkloadEntrySpec } from './resources/workload-entry.js';

/*
 * What a proxy sends galley's registrar to register, keep alive or remove its own
 * WorkloadEntry (docs/proxy-design.md, "Registration"). The proxy's NATS user cannot write
 * MESH_REGISTRY; galley writes for it once the request proves the identity it names.
 */

export const registrationOps = ['register', 'heartbeat', 'deregister'] as const;
export type RegistrationOp = (typeof registrationOps)[number];

// A proxy registers where it is reached: unlike a WorkloadEntry (another network), never without address.
const RegisteredWorkload = refine(WorkloadEntrySpec, 'RegisteredWorkload', (w) =>
  w.address === undefined || w.address === '' ? 'must set address: a registering proxy is reached at its address' : undefined,
);

const RegistrationFields = {
  op: enumOf('RegistrationOp', registrationOps),
  namespace: dnsLabel,
  name: resourceName,
  workload: RegisteredWorkload,
  /** RFC 3339, when the proxy signed it; galley refuses one more than a minute off its clock. */
  at: str,
  /** Random per request: galley refuses a request it has already acted on. */
  nonce: str,
  /** PEM, leaf first (as citadel issued it); the leaf's SPIFFE ID is who asks. */
  certChain: str,
};

/** Everything the signature covers. */
export const UnsignedRegistrationCodec = struct('UnsignedWorkloadRegistration', RegistrationFields, {});
export type UnsignedRegistration = t.TypeOf<typeof UnsignedRegistrationCodec>;

/** The request: `signature` is base64 SHA-256 ECDSA (DER) or RSA PKCS#1 v1.5, by the leaf's key, of registrationSigningBytes. */
export const WorkloadRegistrationCodec = struct('WorkloadRegistration', { ...RegistrationFields, signature: str }, {});
export type WorkloadRegistration = t.TypeOf<typeof WorkloadRegistrationCodec>;

export const decodeWorkloadRegistration = (u: unknown): Either<Invalid[], WorkloadRegistration> => decodeWith(WorkloadRegistrationCodec, u);

/** The bytes that are signed: the canonical JSON (sorted keys, no whitespace) of the request without its signature. */
export function registrationSigningBytes(request: UnsignedRegistration): Buffer {
  const { op, namespace, name, workload, at, nonce, certChain } = request;
  return Buffer.from(canonicalJson(UnsignedRegistrationCodec.encode({ op, namespace, name, workload, at, nonce, certChain })), 'utf8');
}

/**
 * Why galley refused. Retrying the same request helps only for UNAVAILABLE (galley not ready, no
 * trust bundle yet); NOT_FOUND asks the proxy to register again.
 */
export const registrationRefusalCodes = ['INVALID', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'ALREADY_EXISTS', 'NOT_FOUND', 'UNAVAILABLE'] as const;
export type RegistrationRefusalCode = (typeof registrationRefusalCodes)[number];

export interface RegistrationRefusal {
  readonly code: RegistrationRefusalCode;
  /** What and why, e.g. `certChain: leaf is spiffe://…/sa/web, the workload says serviceAccount "db"`. */
  readonly reason: string;
}

const literalBool = <B extends boolean>(value: B) =>
  refine(bool, String(value), (b) => (b === value ? undefined : `must be ${value}`)) as unknown as t.Type<B, B, unknown>;
const AcceptedReplyCodec = struct('RegistrationAccepted', { ok: literalBool(true), sequence: int }, {});
const RefusedReplyCodec = struct('RegistrationRefused', { ok: literalBool(false), code: enumOf('RegistrationRefusalCode', registrationRefusalCodes), reason: str }, {});

/** galley's answer: the MESH_REGISTRY sequence that now holds the workload (or its removal), or why not. */
export type RegistrationReply = { readonly ok: true; readonly sequence: number } | ({ readonly ok: false } & RegistrationRefusal);

export const RegistrationReplyCodec = new t.Type<RegistrationReply, unknown, unknown>(
  'RegistrationReply',
  (u): u is RegistrationReply => AcceptedReplyCodec.is(u) || RefusedReplyCodec.is(u),
  (u, c) => ((u as { ok?: unknown } | null)?.ok === true ? AcceptedReplyCodec.validate(u, c) : RefusedReplyCodec.validate(u, c)) as t.Validation<RegistrationReply>,
  (r) => (r.ok ? AcceptedReplyCodec.encode(r) : RefusedReplyCodec.encode(r)),
);

export const decodeRegistrationReply = (u: unknown): Either<Invalid[], RegistrationReply> => decodeWith(RegistrationReplyCodec, u);
