import * as t from 'io-ts';
import { type Either } from 'fp-ts/lib/Either.js';
import { at, decodeWith, enumOf, fail, str, struct } from './codec/schema.js';
import type { Invalid } from './invalid.js';

/*
 * Citadel's audit events (stream MESH_AUDIT): who was given which identity, who
 * was refused and why, when the root of trust changed, who minted a token, which
 * workload was given (or refused) its own NATS user.
 * `actor` is who asked (a workload's SPIFFE ID, or a person for admin calls);
 * `replica` the citadel process that acted.
 */

const Base = { id: str, at: str, actor: str, replica: str };

export const CertificateIssuedCodec = struct(
  'CertificateIssued',
  {
    ...Base,
    type: enumOf('CertificateIssuedType', ['CertificateIssued'] as const),
    /** Hex, as openssl prints it. */
    serial: str,
    /** The certificate's one URI SAN. */
    identity: str,
    notBefore: str,
    notAfter: str,
    /** How the caller proved who it is: `token <jti>` or `certificate <serial>`. */
    requester: str,
    /** The generation of the CA that signed it. */
    rootId: str,
  },
  { peer: str },
);

export const CertificateDeniedCodec = struct(
  'CertificateDenied',
  {
    ...Base,
    type: enumOf('CertificateDeniedType', ['CertificateDenied'] as const),
    /** One line per problem. */
    reason: str,
    /** Machine-readable cause, e.g. IDENTITY_MISMATCH, TOKEN_EXPIRED. */
    code: str,
    /** The gRPC status the caller got. */
    status: str,
  },
  {
    /** The authenticated caller's identity, when authentication got that far. */
    identity: str,
    /** What the CSR asked for, when it could be read. */
    requested: str,
    requester: str,
    peer: str,
  },
);

export const rootRotationPhases = ['created', 'added', 'activated', 'removed'] as const;
export type RootRotationPhase = (typeof rootRotationPhases)[number];

export const RootRotatedCodec = struct(
  'RootRotated',
  {
    ...Base,
    type: enumOf('RootRotatedType', ['RootRotated'] as const),
    /** created: the first root; added: trusted, not yet issuing; activated: issuing; removed: no longer trusted. */
    phase: enumOf('RootRotationPhase', rootRotationPhases),
    rootId: str,
  },
  { previousRootId: str, reason: str, notAfter: str },
);

export const TokenMintedCodec = struct(
  'TokenMinted',
  {
    ...Base,
    type: enumOf('TokenMintedType', ['TokenMinted'] as const),
    identity: str,
    tokenId: str,
    audience: str,
    expiresAt: str,
  },
  {},
);

/** A workload given its own NATS user (BusCredentialsService), for the identity its certificate proved. */
export const BusUserIssuedCodec = struct(
  'BusUserIssued',
  {
    ...Base,
    type: enumOf('BusUserIssuedType', ['BusUserIssued'] as const),
    /** The caller's SPIFFE ID. */
    identity: str,
    /** `<namespace>/<name>`: whose snapshot and telemetry the user may touch. */
    workload: str,
    /** The user's public nkey (its seed never left the workload). */
    userPublicKey: str,
    expiresAt: str,
    /** `certificate <serial>`. */
    requester: str,
  },
  { peer: str },
);

/** A NATS user refused (no certificate, a bad request, a name registered to another identity, no account key). */
export const BusUserDeniedCodec = struct(
  'BusUserDenied',
  {
    ...Base,
    type: enumOf('BusUserDeniedType', ['BusUserDenied'] as const),
    reason: str,
    code: str,
    status: str,
  },
  { identity: str, workload: str, peer: str },
);

export type CertificateIssued = t.TypeOf<typeof CertificateIssuedCodec>;
export type CertificateDenied = t.TypeOf<typeof CertificateDeniedCodec>;
export type RootRotated = t.TypeOf<typeof RootRotatedCodec>;
export type TokenMinted = t.TypeOf<typeof TokenMintedCodec>;
export type BusUserIssued = t.TypeOf<typeof BusUserIssuedCodec>;
export type BusUserDenied = t.TypeOf<typeof BusUserDeniedCodec>;
export type CaAuditEvent = CertificateIssued | CertificateDenied | RootRotated | TokenMinted | BusUserIssued | BusUserDenied;

const byType = {
  CertificateIssued: CertificateIssuedCodec,
  CertificateDenied: CertificateDeniedCodec,
  RootRotated: RootRotatedCodec,
  TokenMinted: TokenMintedCodec,
  BusUserIssued: BusUserIssuedCodec,
  BusUserDenied: BusUserDeniedCodec,
} as const;
export const caAuditEventTypes = Object.keys(byType) as ReadonlyArray<CaAuditEvent['type']>;
const TypeField = enumOf('CaAuditEventType', caAuditEventTypes);

const codecFor = (type: unknown): t.Type<CaAuditEvent, unknown, unknown> | undefined =>
  typeof type === 'string' && Object.hasOwn(byType, type)
    ? (byType[type as CaAuditEvent['type']] as unknown as t.Type<CaAuditEvent, unknown, unknown>)
    : undefined;

export const CaAuditEventCodec = new t.Type<CaAuditEvent, unknown, unknown>(
  'CaAuditEvent',
  (u): u is CaAuditEvent => codecFor((u as { type?: unknown } | null)?.type)?.is(u) ?? false,
  (u, c) => {
    if (typeof u !== 'object' || u === null) return fail(u, c, 'must be an object');
    const type = (u as { type?: unknown }).type;
    const codec = codecFor(type);
    // An unknown type is reported against the known ones.
    return codec === undefined ? (TypeField.validate(type, at(c, 'type', type)) as unknown as t.Validation<CaAuditEvent>) : codec.validate(u, c);
  },
  (e) => (codecFor(e.type) as t.Type<CaAuditEvent, unknown, unknown>).encode(e),
);

export const decodeCaAuditEvent = (u: unknown): Either<Invalid[], CaAuditEvent> => decodeWith(CaAuditEventCodec, u);
