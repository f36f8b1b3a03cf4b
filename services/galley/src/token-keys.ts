import { followTrustKey, TrustKeys, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { JwksCodec } from '@jetmesh/model';
import { createMeshTokenVerifier, type MeshTokenVerifier } from '@jetmesh/rpc';

/** The current verifier of mesh tokens, following citadel's JWK set in mesh_trust. */
export interface TokenKeys {
  /** Undefined until citadel has published its keys (it may start after galley). */
  verifier(): MeshTokenVerifier | undefined;
  stop(): void;
}

/** How long start waits for the first read of the keys; past it, galley starts and picks them up when they come. */
const FIRST_READ_WAIT_MS = 5_000;

/**
 * Follows the JWK set in mesh_trust (the same cheap follower as proxies use, no server-side
 * consumer), so a key rotation or a late citadel is picked up. Resolves once the keys present at
 * start have been read, so they are usable at once.
 */
export async function followTokenKeys(bus: Bus, log: Logger): Promise<TokenKeys> {
  let current: MeshTokenVerifier | undefined;
  let firstRead: () => void = () => undefined;
  const read = new Promise<void>((resolve) => (firstRead = resolve));
  const follow = await followTrustKey(bus, TrustKeys.jwks, JwksCodec, (entry) => {
    current = entry === undefined ? undefined : createMeshTokenVerifier(entry.value);
    log.info({ keys: entry?.value.keys.map((k) => k.kid) ?? [], revision: entry?.revision }, 'token verification keys');
    firstRead();
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([read, new Promise<void>((resolve) => (timer = setTimeout(resolve, FIRST_READ_WAIT_MS)))]);
  clearTimeout(timer);
  return { verifier: () => current, stop: () => follow.stop() };
}
