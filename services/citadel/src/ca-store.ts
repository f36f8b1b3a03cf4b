import * as t from 'io-ts';
import { Buckets, openJsonBucket, type Bus, type BucketEntry, type JsonBucket } from '@jetmesh/bus';
import { AuthorityStateCodec, type AuthorityState } from './authority-state.js';
import { TokenSigningKeyCodec, type TokenSigningKey } from './token-issuer.js';

/** Keys of citadel's private bucket mesh_ca. */
export const CaKeys = {
  /** AuthorityState: every CA generation with its key, and any rotation in progress. */
  authority: 'authority',
  /** The ES256 key that signs mesh tokens. */
  tokenKey: 'token-key',
  /** The secret that authenticates CaAdminService calls. */
  adminSecret: 'admin-secret',
} as const;

export const AdminSecretCodec = t.type({ secret: t.string, createdAt: t.string });
export type AdminSecret = t.TypeOf<typeof AdminSecretCodec>;

export interface CaStore {
  readonly authority: JsonBucket<AuthorityState>;
  readonly tokenKey: JsonBucket<TokenSigningKey>;
  readonly adminSecret: JsonBucket<AdminSecret>;
}

export async function openCaStore(bus: Bus): Promise<CaStore> {
  return {
    authority: await openJsonBucket(bus, Buckets.ca, AuthorityStateCodec),
    tokenKey: await openJsonBucket(bus, Buckets.ca, TokenSigningKeyCodec),
    adminSecret: await openJsonBucket(bus, Buckets.ca, AdminSecretCodec),
  };
}

/**
 * The value under `key`, created by `make` if there is none. Of replicas racing
 * to create it, exactly one wins (KV create); the others read the winner's.
 */
export async function ensureOnce<A>(
  bucket: JsonBucket<A>,
  key: string,
  make: () => Promise<A> | A,
): Promise<{ entry: BucketEntry<A>; created: boolean }> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const existing = await bucket.get(key);
    if (existing !== undefined) return { entry: existing, created: false };
    const value = await make();
    const created = await bucket.create(key, value);
    if (created._tag === 'Right') return { entry: { value, revision: created.right.revision }, created: true };
  }
  throw new Error(`${bucket.bucket}/${key} keeps changing while being created`);
}
