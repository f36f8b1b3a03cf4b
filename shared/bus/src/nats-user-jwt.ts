import { createHash } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';
import { Buckets, bucketStream, kvSubject, Subjects, subjectToken } from './names.js';
import { snapshotKeyForWorkload } from './snapshot-key.js';

/**
 * NATS decentralized auth (nats-server 2.9: operator mode, `resolver: MEMORY`): an operator signs
 * the mesh's account, the account's signing key signs one user JWT per component or workload, and
 * each user's permissions travel in its JWT. So permissions can be minted at run time (citadel for
 * a workload) without touching the server's config. Encoded here on the nkeys the client already
 * ships (NATS JWT v2: header `ed25519-nkey`, claims with `nats.type` and `nats.version: 2`).
 */

/** Subjects a user may publish to and subscribe to; `responses`: may answer the reply subject of a request it received. */
export interface NatsUserPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  readonly responses: boolean;
}

/** A user JWT and the seed of the key it names: what a component connects with (a .creds file holds both). */
export interface NatsUserCredentials {
  readonly jwt: string;
  readonly seed: string;
}

/** What connectBus reads from a user JWT: its name (for logs and errors) and where its replies arrive. */
export interface NatsUserClaims {
  readonly name: string;
  /** The `_INBOX.<…>` prefix the JWT lets it subscribe below; undefined when it allows none. */
  readonly inboxPrefix: string | undefined;
  /** Unix seconds; undefined: does not expire. */
  readonly expiresAt: number | undefined;
}

const JWT_HEADER = { typ: 'JWT', alg: 'ed25519-nkey' } as const;
const encoder = new TextEncoder();
const base64url = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');

// RFC 4648 base32 without padding: how NATS spells a JWT's id.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

type KeyPair = ReturnType<typeof nkeys.createAccount>;

function signJwt(signer: KeyPair, claims: Record<string, unknown>, now: Date): string {
  const body: Record<string, unknown> = { ...claims, iat: Math.floor(now.getTime() / 1000), iss: signer.getPublicKey(), jti: '' };
  body.jti = base32(createHash('sha512-256').update(JSON.stringify(body)).digest());
  const input = `${base64url(JSON.stringify(JWT_HEADER))}.${base64url(JSON.stringify(body))}`;
  return `${input}.${base64url(signer.sign(encoder.encode(input)))}`;
}

const seedOf = (pair: KeyPair): string => new TextDecoder().decode(pair.getSeed());

/** No limit on anything (`-1`), JetStream included: the mesh's account is the only tenant of its server. */
const UNLIMITED_ACCOUNT = {
  subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1,
  mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1,
} as const;

/** The secrets of one mesh's bus: whoever holds `signingKeySeed` can mint users of the mesh account. */
export interface MeshAccountKeys {
  readonly operatorJwt: string;
  readonly accountPublicKey: string;
  readonly accountJwt: string;
  /** The seed of the account's signing key (citadel mints workload users with it). */
  readonly signingKeySeed: string;
  /** The system account nats-server wants in operator mode (no users). */
  readonly systemAccountPublicKey: string;
  readonly systemAccountJwt: string;
}

/** A fresh operator, the mesh account (with one signing key) and a system account. */
export function createMeshAccount(now: Date = new Date()): MeshAccountKeys {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const signingKey = nkeys.createAccount();
  const system = nkeys.createAccount();
  return {
    operatorJwt: signJwt(operator, { sub: operator.getPublicKey(), name: 'jetmesh', nats: { type: 'operator', version: 2 } }, now),
    accountPublicKey: account.getPublicKey(),
    accountJwt: signJwt(operator, { sub: account.getPublicKey(), name: 'mesh', nats: { type: 'account', version: 2, limits: UNLIMITED_ACCOUNT, signing_keys: [signingKey.getPublicKey()], default_permissions: { pub: {}, sub: {} } } }, now),
    signingKeySeed: seedOf(signingKey),
    systemAccountPublicKey: system.getPublicKey(),
    systemAccountJwt: signJwt(operator, { sub: system.getPublicKey(), name: 'SYS', nats: { type: 'account', version: 2, limits: { ...UNLIMITED_ACCOUNT, mem_storage: 0, disk_storage: 0, streams: 0, consumer: 0 } } }, now),
  };
}

/**
 * The nats-server config lines that trust `keys` (operator mode, accounts preloaded in memory).
 * `operatorJwtFile`: where the operator JWT was written (nats-server reads it from a file).
 */
export function meshAccountServerConfig(keys: MeshAccountKeys, operatorJwtFile: string): string {
  return [
    `operator: ${JSON.stringify(operatorJwtFile)}`,
    `system_account: ${keys.systemAccountPublicKey}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${keys.accountPublicKey}: ${JSON.stringify(keys.accountJwt)}`,
    `  ${keys.systemAccountPublicKey}: ${JSON.stringify(keys.systemAccountJwt)}`,
    '}',
    '',
  ].join('\n');
}

/** A user's own key pair: the public nkey goes to whoever mints its JWT, the seed stays with it. */
export function createUserKeyPair(): { readonly publicKey: string; readonly seed: string } {
  const pair = nkeys.createUser();
  return { publicKey: pair.getPublicKey(), seed: seedOf(pair) };
}

export interface MintUserOptions {
  /** Shown in logs and errors (e.g. `pilot`, `proxy default/reviews-v2`). */
  readonly name: string;
  readonly permissions: NatsUserPermissions;
  /** Default: never expires. */
  readonly expiresAt?: Date;
  /** The user's public nkey when the user made its own key pair (its seed never leaves it); default: a fresh pair, seed returned. */
  readonly userPublicKey?: string;
  readonly now?: Date;
}

/** A user of the mesh account, signed by its signing key. `seed` is empty when the caller gave `userPublicKey`. */
export function mintNatsUser(accountPublicKey: string, signingKeySeed: string, opts: MintUserOptions): NatsUserCredentials {
  const signer = nkeys.fromSeed(encoder.encode(signingKeySeed));
  const fresh = opts.userPublicKey === undefined ? nkeys.createUser() : undefined;
  const subject = opts.userPublicKey ?? fresh?.getPublicKey() ?? '';
  if (!subject.startsWith('U') || nkeys.fromPublic(subject).getPublicKey() !== subject) throw new TypeError(`"${subject}" is not a user public nkey`);
  const { publish, subscribe, responses } = opts.permissions;
  const jwt = signJwt(
    signer,
    {
      sub: subject,
      name: opts.name,
      ...(opts.expiresAt === undefined ? {} : { exp: Math.floor(opts.expiresAt.getTime() / 1000) }),
      nats: {
        type: 'user', version: 2, issuer_account: accountPublicKey,
        pub: { allow: [...publish] }, sub: { allow: [...subscribe] },
        // allow_responses: one answer, to the reply subject of a request it received.
        ...(responses ? { resp: { max: 1, ttl: 0 } } : {}),
        subs: -1, data: -1, payload: -1,
      },
    },
    opts.now ?? new Date(),
  );
  return { jwt, seed: fresh === undefined ? '' : seedOf(fresh) };
}

/** The claims connectBus needs from a user JWT (not verified here: the server does that). */
export function natsUserClaims(jwt: string): NatsUserClaims {
  const [, body] = jwt.split('.');
  let claims: { name?: unknown; exp?: unknown; nats?: { sub?: { allow?: unknown } } };
  try {
    claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString('utf8')) as typeof claims;
  } catch {
    throw new TypeError('not a NATS user JWT');
  }
  const allow = Array.isArray(claims.nats?.sub?.allow) ? (claims.nats.sub.allow as unknown[]) : [];
  const inbox = allow.find((s): s is string => typeof s === 'string' && s.startsWith('_INBOX.') && s.endsWith('.>'));
  return {
    name: typeof claims.name === 'string' ? claims.name : 'unnamed',
    inboxPrefix: inbox?.slice(0, -2),
    expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined,
  };
}

const CREDS_JWT = ['-----BEGIN NATS USER JWT-----', '------END NATS USER JWT------'] as const;
const CREDS_SEED = ['-----BEGIN USER NKEY SEED-----', '------END USER NKEY SEED------'] as const;

/** The .creds file format the NATS tools use (JWT, then seed). */
export function formatCreds(creds: NatsUserCredentials): string {
  return `${CREDS_JWT[0]}\n${creds.jwt}\n${CREDS_JWT[1]}\n\n${CREDS_SEED[0]}\n${creds.seed}\n${CREDS_SEED[1]}\n`;
}

/** Inverse of formatCreds; throws TypeError naming what is missing. */
export function parseCreds(text: string): NatsUserCredentials {
  const between = (markers: readonly [string, string]): string | undefined => {
    const start = text.indexOf(markers[0]);
    const end = text.indexOf(markers[1]);
    return start < 0 || end < start ? undefined : text.slice(start + markers[0].length, end).trim();
  };
  const jwt = between(CREDS_JWT);
  const seed = between(CREDS_SEED);
  if (jwt === undefined || jwt === '') throw new TypeError('no NATS user JWT in the credentials');
  if (seed === undefined || !seed.startsWith('SU')) throw new TypeError('no user nkey seed in the credentials');
  return { jwt, seed };
}

/** The inbox prefix of one workload's user: only it may read its replies. */
export function workloadInboxPrefix(namespace: string, name: string): string {
  return `_INBOX.proxy.${subjectToken(namespace)}.${subjectToken(name)}`;
}

const directGet = (bucket: string, key: string): string => `$JS.API.DIRECT.GET.${bucketStream(bucket)}.${kvSubject(bucket, key)}`;

/**
 * What one sidecar's user may do: get and follow the host snapshots and its OWN workload key
 * (direct get by subject and the republished updates; never a message get, whose subject is in
 * the payload where permissions cannot see it), the trust bundle, publish its own telemetry,
 * spans and access log, ask the registrar, answer status requests. Nothing of mesh_ca, the
 * config log, other workloads' keys, consumers or stream changes.
 */
export function workloadPermissions(namespace: string, name: string): NatsUserPermissions {
  const ownKey = snapshotKeyForWorkload(namespace, name);
  return {
    publish: [
      '$JS.API.INFO',
      `$JS.API.STREAM.INFO.${bucketStream(Buckets.snapshots)}`,
      directGet(Buckets.snapshots, 'host.>'),
      directGet(Buckets.snapshots, ownKey),
      `$JS.API.STREAM.INFO.${bucketStream(Buckets.trust)}`,
      directGet(Buckets.trust, '>'),
      Subjects.telemetry(namespace, name),
      Subjects.spans(namespace, name),
      Subjects.accessLog(namespace, name),
      Subjects.registryRequests,
      Subjects.registryHeartbeats,
    ],
    subscribe: [
      `${workloadInboxPrefix(namespace, name)}.>`,
      Subjects.snapshotUpdates('host.>'),
      Subjects.snapshotUpdates(ownKey),
      Subjects.trustUpdatesAll,
      Subjects.proxyStatus,
    ],
    responses: true,
  };
}

/** Where the bootstrap user's replies arrive (shared by every holder: it only ever reads public keys). */
export const BOOTSTRAP_INBOX_PREFIX = '_INBOX.bootstrap';

/**
 * What a proxy may do before citadel has given it its own user: read the trust bundle (public:
 * the roots it verifies citadel with, the token keys), nothing else. Every sidecar may share it.
 */
export function bootstrapPermissions(): NatsUserPermissions {
  return {
    publish: ['$JS.API.INFO', `$JS.API.STREAM.INFO.${bucketStream(Buckets.trust)}`, directGet(Buckets.trust, '>')],
    subscribe: [`${BOOTSTRAP_INBOX_PREFIX}.>`, Subjects.trustUpdatesAll],
    responses: false,
  };
}
