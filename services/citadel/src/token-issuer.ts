import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import * as t from 'io-ts';
import { SignJWT, calculateJwkThumbprint, exportJWK } from 'jose';
import type { Jwks, PublicJwk } from '@jetmesh/model';
import { MESH_TOKEN_ALGORITHM, MESH_TOKEN_ISSUER, createMeshTokenVerifier, type MeshTokenVerifier } from '@jetmesh/rpc';

/*
 * The mesh token issuer: claims in, JWT out. The ES256 signing key is created
 * once per mesh (KV mesh_ca, key `token-key`) and never leaves citadel; its
 * public half is published as a JWK set in mesh_trust, so any service verifies
 * tokens (createMeshTokenVerifier in @jetmesh/rpc) without asking citadel.
 */

export const TokenSigningKeyCodec = t.type({ kid: t.string, privateKeyPem: t.string, createdAt: t.string });
export type TokenSigningKey = t.TypeOf<typeof TokenSigningKeyCodec>;

export interface MintRequest {
  /** `sub`: who holds the token (a SPIFFE ID for CA tokens). */
  readonly subject: string;
  /** `aud`: the one service it is for. */
  readonly audience: string;
  readonly ttlSeconds: number;
  /** Scope of a CA token: the one namespace and service account it may request a certificate for. */
  readonly namespace?: string;
  readonly serviceAccount?: string;
  /** Further claims for other audiences (e.g. allowed namespaces and verbs of a write token). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface MintedToken {
  readonly token: string;
  readonly tokenId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

export interface TokenIssuer {
  /** The public keys that verify what this issuer mints. */
  readonly jwks: Jwks;
  mint(req: MintRequest, now?: Date): Promise<MintedToken>;
  /** Verifies with the public keys only, as any other service would. */
  readonly verifier: MeshTokenVerifier;
}

export async function generateTokenSigningKey(now: Date): Promise<TokenSigningKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  return { kid, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), createdAt: now.toISOString() };
}

export async function createTokenIssuer(key: TokenSigningKey): Promise<TokenIssuer> {
  const privateKey = createPrivateKey(key.privateKeyPem);
  const publicJwk = await exportJWK(createPublicKey(privateKey));
  const jwk: PublicJwk = { kty: 'EC', crv: String(publicJwk.crv), x: String(publicJwk.x), y: String(publicJwk.y), kid: key.kid, alg: MESH_TOKEN_ALGORITHM, use: 'sig' };
  const jwks: Jwks = { keys: [jwk] };
  return {
    jwks,
    verifier: createMeshTokenVerifier(jwks),
    mint: async (req, now = new Date()) => {
      const tokenId = randomUUID();
      const issuedAt = Math.floor(now.getTime() / 1000);
      const expiresAt = issuedAt + req.ttlSeconds;
      const token = await new SignJWT({
        ...req.extra,
        ...(req.namespace === undefined ? {} : { ns: req.namespace }),
        ...(req.serviceAccount === undefined ? {} : { sa: req.serviceAccount }),
      })
        .setProtectedHeader({ alg: MESH_TOKEN_ALGORITHM, kid: key.kid, typ: 'JWT' })
        .setIssuer(MESH_TOKEN_ISSUER)
        .setSubject(req.subject)
        .setAudience(req.audience)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(expiresAt)
        .setJti(tokenId)
        .sign(privateKey);
      return { token, tokenId, issuedAt: new Date(issuedAt * 1000), expiresAt: new Date(expiresAt * 1000) };
    },
  };
}
