import { Buckets, openJsonBucket, TrustKeys, type Bus, type BucketWatch } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { JwksCodec } from '@jetmesh/model';
import { createMeshTokenVerifier, type MeshTokenVerifier } from '@jetmesh/rpc';

/** The current verifier of mesh tokens, following citadel's JWK set in mesh_trust. */
export interface TokenKeys {
  /** Undefined until citadel has published its keys (it may start after galley). */
  verifier(): MeshTokenVerifier | undefined;
  stop(): void;
}

/** Reads the JWK set now and follows every later write, so a key rotation or a late citadel is picked up. */
export async function followTokenKeys(bus: Bus, log: Logger): Promise<TokenKeys> {
  const jwks = await openJsonBucket(bus, Buckets.trust, JwksCodec);
  let current: MeshTokenVerifier | undefined;
  const watch: BucketWatch = await jwks.watch(TrustKeys.jwks, (entry) => {
    current = entry === undefined ? undefined : createMeshTokenVerifier(entry.value);
    log.info({ keys: entry?.value.keys.map((k) => k.kid) ?? [], revision: entry?.revision }, 'token verification keys');
  });
  // The watch delivers asynchronously; a get makes the keys present at start usable at once.
  const now = await jwks.get(TrustKeys.jwks);
  if (current === undefined && now !== undefined) current = createMeshTokenVerifier(now.value);
  return { verifier: () => current, stop: () => watch.stop() };
}
