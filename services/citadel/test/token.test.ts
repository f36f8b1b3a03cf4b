import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CA_TOKEN_AUDIENCE } from '@jetmesh/rpc';
import { createTokenIssuer, generateTokenSigningKey } from '../src/token-issuer.js';
import { cachedVerifier } from '../src/verified-token-cache.js';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';

describe('token', () => {
  test('token: what is minted verifies with the published JWKS alone and carries its claims', async () => {
    const issuer = await createTokenIssuer(await generateTokenSigningKey(new Date()));
    const minted = await issuer.mint({ subject: WEB, audience: CA_TOKEN_AUDIENCE, ttlSeconds: 600, namespace: 'default', serviceAccount: 'web', extra: { verbs: ['apply'] } });
    const { createMeshTokenVerifier } = await import('@jetmesh/rpc');
    const verified = await createMeshTokenVerifier(JSON.parse(JSON.stringify(issuer.jwks))).verify(minted.token, { audience: CA_TOKEN_AUDIENCE });
    assert.ok(verified._tag === 'Right');
    assert.equal(verified.right.subject, WEB);
    assert.equal(verified.right.namespace, 'default');
    assert.equal(verified.right.serviceAccount, 'web');
    assert.equal(verified.right.tokenId, minted.tokenId);
    assert.deepEqual(verified.right.extra, { verbs: ['apply'] });
    assert.equal(verified.right.expiresAt.getTime(), minted.expiresAt.getTime());
    assert.equal(issuer.jwks.keys[0]?.alg, 'ES256');
    assert.equal('d' in (issuer.jwks.keys[0] ?? {}), false, 'no private part published');
  });

  test('token: the verification cache answers repeats, still refuses expired tokens and other audiences', async () => {
    const issuer = await createTokenIssuer(await generateTokenSigningKey(new Date()));
    let calls = 0;
    const counting = { verify: (t: string, o: Parameters<typeof issuer.verifier.verify>[1]) => (calls++, issuer.verifier.verify(t, o)) };
    const cached = cachedVerifier(counting, 2);
    const minted = await issuer.mint({ subject: WEB, audience: CA_TOKEN_AUDIENCE, ttlSeconds: 60, namespace: 'default', serviceAccount: 'web' });
    for (let i = 0; i < 5; i++) assert.equal((await cached.verify(minted.token, { audience: CA_TOKEN_AUDIENCE }))._tag, 'Right');
    assert.equal(calls, 1, 'verified once, answered from the cache after');
    const later = new Date(minted.expiresAt.getTime() + 10_000);
    const expired = await cached.verify(minted.token, { audience: CA_TOKEN_AUDIENCE, now: later });
    assert.ok(expired._tag === 'Left' && expired.left.code === 'TOKEN_EXPIRED');
    const other = await cached.verify(minted.token, { audience: 'jetmesh-config' });
    assert.ok(other._tag === 'Left' && other.left.code === 'TOKEN_AUDIENCE');
  });
});
