import { followTrustKey, TrustKeys, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { ALL_NAMESPACES, firstDenied, JwksCodec, type ConfigTokenScope, type ConfigVerb } from '@jetmesh/model';
import { checkConfigToken, createMeshTokenVerifier, type MeshTokenVerifier } from '@jetmesh/rpc';

/** Who holds the token a request carries, and what galley would let them do. */
export interface ConsoleUser {
  readonly actor: string;
  readonly scope: ConfigTokenScope;
  /** The token itself, sent on to galley for writes so galley decides (and records) as for the CLI. */
  readonly token: string;
}

/** A request refused before it did anything: 401 without a valid token, 403 out of its scope. */
export interface AccessRefusal {
  readonly status: 401 | 403;
  readonly code: string;
  readonly reason: string;
}

export interface ConsoleAccess {
  /** False until citadel's keys have been read. */
  readonly keysRead: () => boolean;
  /** The user of an `authorization` header, or why there is none. */
  identify(authorization: string | undefined): Promise<ConsoleUser | AccessRefusal>;
  stop(): void;
}

const KEYS_RETRY_MS = 2_000;

export const isRefusal = (u: ConsoleUser | AccessRefusal): u is AccessRefusal => 'status' in u;

/** Galley's words for a scope that lacks a (verb, namespace), so the console and the CLI refuse alike. */
export function permit(user: ConsoleUser, wanted: ReadonlyArray<{ readonly verb: ConfigVerb; readonly namespace: string }>): AccessRefusal | undefined {
  const denied = firstDenied(user.scope, wanted);
  if (denied === undefined) return undefined;
  const where = denied.namespace === ALL_NAMESPACES ? '* (all namespaces)' : denied.namespace;
  return { status: 403, code: 'OUT_OF_SCOPE', reason: `${user.actor} may not ${denied.verb} in namespace ${where}` };
}

/**
 * Verifies config tokens with galley's own check (checkConfigToken) over citadel's JWK set,
 * followed in mesh_trust. Citadel may start after the console, so the keys are followed as
 * soon as its bucket exists.
 */
export async function followConsoleAccess(bus: Bus, log: Logger): Promise<ConsoleAccess> {
  let verifier: MeshTokenVerifier | undefined;
  let stopFollow: (() => void) | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const follow = async (): Promise<void> => {
    try {
      const f = await followTrustKey(bus, TrustKeys.jwks, JwksCodec, (entry) => {
        verifier = entry === undefined ? undefined : createMeshTokenVerifier(entry.value);
        log.info({ keys: entry?.value.keys.map((k) => k.kid) ?? [] }, 'token verification keys');
      });
      if (stopped) f.stop();
      else stopFollow = () => f.stop();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'token keys not readable yet (is citadel running?); retrying');
      if (!stopped) retry = setTimeout(() => void follow(), KEYS_RETRY_MS);
    }
  };
  await follow();
  return {
    keysRead: () => verifier !== undefined,
    identify: async (authorization) => {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
      const checked = await checkConfigToken(verifier, token);
      if (checked._tag === 'Left') return { status: 401, code: checked.left.code, reason: checked.left.reason };
      return { actor: checked.right.actor, scope: checked.right.scope, token: token ?? '' };
    },
    stop: () => {
      stopped = true;
      clearTimeout(retry);
      stopFollow?.();
    },
  };
}
