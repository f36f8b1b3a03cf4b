import { right } from 'fp-ts/lib/Either.js';
import { TOKEN_CLOCK_TOLERANCE_SECONDS, type MeshTokenClaims, type MeshTokenVerifier } from '@jetmesh/rpc';

/**
 * Remembers tokens that verified, until they expire: an agent presents the
 * same token on every request, and an ES256 verification through WebCrypto
 * costs ~0.6 ms. Only successes are kept (a refusal is cheap to repeat and must
 * not be cached against a key that may yet be published), at most `maxEntries`,
 * oldest dropped first.
 */
export function cachedVerifier(inner: MeshTokenVerifier, maxEntries = 10_000): MeshTokenVerifier {
  const verified = new Map<string, MeshTokenClaims>();
  return {
    verify: async (token, opts) => {
      const now = (opts.now ?? new Date()).getTime();
      const hit = verified.get(token);
      if (hit !== undefined && hit.audience.includes(opts.audience) && now < hit.expiresAt.getTime() + TOKEN_CLOCK_TOLERANCE_SECONDS * 1000) {
        return right(hit);
      }
      const result = await inner.verify(token, opts);
      if (result._tag === 'Right') {
        if (verified.size >= maxEntries) verified.delete(verified.keys().next().value as string);
        verified.set(token, result.right);
      } else {
        verified.delete(token);
      }
      return result;
    },
  };
}
