import type * as t from 'io-ts';
import { enumOf, int, list, str, struct } from './codec/schema.js';

/*
 * What citadel publishes in the KV bucket mesh_trust for every proxy and
 * service to read: the roots to trust, and the keys that verify mesh tokens.
 */

export const trustedRootStates = ['issuing', 'next', 'retiring', 'plugged-in'] as const;
/** issuing: new certificates chain to it; next: trusted ahead of a rotation; retiring: trusted until its removal. */
export type TrustedRootState = (typeof trustedRootStates)[number];

export const TrustedRootCodec = struct(
  'TrustedRoot',
  {
    id: str,
    /** One PEM certificate. */
    pem: str,
    notBefore: str,
    notAfter: str,
    state: enumOf('TrustedRootState', trustedRootStates),
  },
  { removeAt: str },
);

export const TrustBundleCodec = struct(
  'TrustBundle',
  {
    trustDomain: str,
    roots: list(TrustedRootCodec, { minItems: 1 }),
    /** Revision of citadel's CA state it was derived from: writers never move it backwards. */
    authorityRevision: int,
    updatedAt: str,
  },
  {},
);

export type TrustedRoot = t.TypeOf<typeof TrustedRootCodec>;
export type TrustBundle = t.TypeOf<typeof TrustBundleCodec>;

/** Every root of a bundle as one PEM text, the way `openssl verify -CAfile` and TLS stacks take it. */
export const trustBundlePem = (bundle: TrustBundle): string => bundle.roots.map((r) => r.pem.trim()).join('\n') + '\n';

/** A public JSON Web Key that verifies mesh tokens (EC P-256 or Ed25519). */
export const PublicJwkCodec = struct(
  'PublicJwk',
  { kty: enumOf('JwkKeyType', ['EC', 'OKP'] as const), crv: str, x: str, kid: str, alg: str },
  { y: str, use: enumOf('JwkUse', ['sig'] as const) },
);
export const JwksCodec = struct('Jwks', { keys: list(PublicJwkCodec) }, {});

export type PublicJwk = t.TypeOf<typeof PublicJwkCodec>;
export type Jwks = t.TypeOf<typeof JwksCodec>;
