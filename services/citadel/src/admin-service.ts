import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@jetmesh/log';
import { CONFIG_TOKEN_AUDIENCE, decodeConfigTokenScope, formatInvalid } from '@jetmesh/model';
import { CA_TOKEN_AUDIENCE, metadataActor, metadataBearerToken, type CaAdminServiceHandlers } from '@jetmesh/rpc';
import type { AuthorityKeeper } from './authority-keeper.js';
import type { CaAuditLog } from './ca-audit-log.js';
import { type CaRejection, rejection } from './ca-rejection.js';
import type { CitadelMetrics } from './citadel-metrics.js';
import { statusOfException, statusOfRejection } from './grpc-status.js';
import { namespaceReason, serviceAccountReason, spiffeId } from '@jetmesh/model';
import type { TokenIssuer } from './token-issuer.js';

export interface TokenLimits {
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
}

export interface AdminServiceDeps {
  readonly trustDomain: string;
  readonly adminSecret: string;
  readonly tokenLimits: TokenLimits;
  readonly tokens: TokenIssuer;
  readonly authority: AuthorityKeeper;
  readonly audit: CaAuditLog;
  readonly metrics: CitadelMetrics;
  readonly log: Logger;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Problems of a CreateToken request, all at once. */
export function tokenRequestProblems(req: { namespace: string; serviceAccount: string; ttlSeconds: number }, limits: TokenLimits): CaRejection[] {
  const problems: CaRejection[] = [];
  const ns = namespaceReason(req.namespace);
  if (ns !== undefined) problems.push(rejection('namespace', 'BAD_REQUEST', ns));
  const sa = serviceAccountReason(req.serviceAccount);
  if (sa !== undefined) problems.push(rejection('service_account', 'BAD_REQUEST', sa));
  if (!Number.isSafeInteger(req.ttlSeconds) || req.ttlSeconds < 0) {
    problems.push(rejection('ttl_seconds', 'BAD_VALIDITY', `must be a whole number of seconds >= 0, got ${req.ttlSeconds}`));
  } else if (req.ttlSeconds > limits.maxTtlSeconds) {
    problems.push(rejection('ttl_seconds', 'VALIDITY_TOO_LONG', `${req.ttlSeconds} seconds is longer than the maximum of ${limits.maxTtlSeconds} seconds`));
  }
  return problems;
}

const MAX_ACTOR_LENGTH = 256;
/** Config tokens are held by people and tools, not workloads: longer-lived than CA bootstrap tokens. */
export const configTokenLimits: TokenLimits = { defaultTtlSeconds: 8 * 3600, maxTtlSeconds: 90 * 86_400 };

/** Problems of a CreateConfigToken request, all at once. */
export function configTokenRequestProblems(
  req: { actor: string; namespaces: string[]; verbs: string[]; ttlSeconds: number },
  limits: TokenLimits,
): CaRejection[] {
  const problems: CaRejection[] = [];
  const actor = req.actor.trim();
  if (actor === '') problems.push(rejection('actor', 'BAD_REQUEST', 'required: who holds the token'));
  else if (actor.length > MAX_ACTOR_LENGTH || /\s/.test(actor)) problems.push(rejection('actor', 'BAD_REQUEST', `must be at most ${MAX_ACTOR_LENGTH} characters without whitespace`));
  const scope = decodeConfigTokenScope({ namespaces: req.namespaces, verbs: req.verbs });
  if (scope._tag === 'Left') for (const p of scope.left) problems.push(rejection(p.path, 'BAD_REQUEST', formatInvalid({ ...p, path: '' })));
  req.namespaces.forEach((ns, i) => {
    const reason = ns === '*' ? undefined : namespaceReason(ns);
    if (reason !== undefined) problems.push(rejection(`namespaces[${i}]`, 'BAD_REQUEST', reason));
  });
  return [...problems, ...tokenRequestProblems({ namespace: 'default', serviceAccount: 'default', ttlSeconds: req.ttlSeconds }, limits)];
}

/** jetmesh.ca.v1.CaAdminService, for the holder of the admin secret. */
export function adminService(deps: AdminServiceDeps): CaAdminServiceHandlers {
  const { audit, metrics, log } = deps;
  const expected = digest(deps.adminSecret);

  /** The actor, or a refusal sent; hashing first makes the comparison constant-time whatever the length. */
  const admit = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<never>): string | undefined => {
    const token = metadataBearerToken(call);
    if (token === undefined || !timingSafeEqual(digest(token), expected)) {
      log.warn({ peer: call.getPeer() }, 'admin call without the admin secret refused');
      callback(statusOfRejection([rejection('authorization', 'ADMIN_UNAUTHENTICATED', 'admin secret missing or wrong (citadel writes it to JETMESH_ADMIN_TOKEN_FILE)')]) as grpc.ServiceError);
      return undefined;
    }
    return metadataActor(call) ?? 'admin';
  };

  return {
    CreateToken: (call, callback) => {
      const actor = admit(call, callback);
      if (actor === undefined) return;
      void (async () => {
        const req = call.request;
        const ttlSeconds = req.ttlSeconds === 0 ? deps.tokenLimits.defaultTtlSeconds : req.ttlSeconds;
        const problems = tokenRequestProblems(req, deps.tokenLimits);
        if (problems.length > 0) return callback(statusOfRejection(problems) as grpc.ServiceError);
        const identity = { trustDomain: deps.trustDomain, namespace: req.namespace, serviceAccount: req.serviceAccount };
        const subject = spiffeId(identity);
        const minted = await deps.tokens.mint({ subject, audience: CA_TOKEN_AUDIENCE, ttlSeconds, namespace: req.namespace, serviceAccount: req.serviceAccount });
        // No token leaves citadel unrecorded.
        await audit.tokenMinted({ actor, identity: subject, tokenId: minted.tokenId, audience: CA_TOKEN_AUDIENCE, expiresAt: minted.expiresAt.toISOString() }, identity);
        metrics.tokensMinted.inc();
        callback(null, { token: minted.token, identity: subject, expiresAt: minted.expiresAt.toISOString(), tokenId: minted.tokenId });
      })().catch((err: unknown) => {
        log.error({ err }, 'CreateToken failed');
        callback(statusOfException(err, 'token not minted') as grpc.ServiceError);
      });
    },
    CreateConfigToken: (call, callback) => {
      const actor = admit(call, callback);
      if (actor === undefined) return;
      void (async () => {
        const req = call.request;
        const problems = configTokenRequestProblems(req, configTokenLimits);
        if (problems.length > 0) return callback(statusOfRejection(problems) as grpc.ServiceError);
        const ttlSeconds = req.ttlSeconds === 0 ? configTokenLimits.defaultTtlSeconds : req.ttlSeconds;
        const subject = req.actor.trim();
        const minted = await deps.tokens.mint({
          subject,
          audience: CONFIG_TOKEN_AUDIENCE,
          ttlSeconds,
          extra: { namespaces: [...new Set(req.namespaces)], verbs: [...new Set(req.verbs)] },
        });
        await audit.configTokenMinted({ actor, identity: subject, tokenId: minted.tokenId, audience: CONFIG_TOKEN_AUDIENCE, expiresAt: minted.expiresAt.toISOString() });
        metrics.tokensMinted.inc();
        callback(null, { token: minted.token, actor: subject, expiresAt: minted.expiresAt.toISOString(), tokenId: minted.tokenId });
      })().catch((err: unknown) => {
        log.error({ err }, 'CreateConfigToken failed');
        callback(statusOfException(err, 'token not minted') as grpc.ServiceError);
      });
    },
    RotateRoot: (call, callback) => {
      const actor = admit(call, callback);
      if (actor === undefined) return;
      void (async () => {
        const reason = call.request.reason.trim() === '' ? `requested by ${actor}` : call.request.reason;
        const started = await deps.authority.rotate(reason, actor);
        if (started._tag === 'Left') return callback(statusOfRejection([started.left]) as grpc.ServiceError);
        callback(null, started.right);
      })().catch((err: unknown) => {
        log.error({ err }, 'RotateRoot failed');
        callback(statusOfException(err, 'root not rotated') as grpc.ServiceError);
      });
    },
  };
}
