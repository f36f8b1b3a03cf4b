import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { mintNatsUser, workloadPermissions, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { resourceNameReason, spiffeId, type WorkloadIdentity } from '@jetmesh/model';
import type { BusCredentialsServiceHandlers, MeshTokenVerifier } from '@jetmesh/rpc';
import type { AuthorityKeeper } from './authority-keeper.js';
import type { CaAuditLog } from './ca-audit-log.js';
import { rejection, type CaRejection } from './ca-rejection.js';
import { authenticateCaller } from './caller-authentication.js';
import type { CitadelMetrics } from './citadel-metrics.js';
import { statusOfException, statusOfRejection } from './grpc-status.js';
import { registeredServiceAccount } from './registered-workload.js';

/** The mesh account's signing key: with it citadel mints workload users (deploy/nats/README.md). */
export interface BusAccount {
  /** The account's public nkey ("A…"). */
  readonly accountPublicKey: string;
  /** The seed of one of its signing keys ("SA…"). */
  readonly signingKeySeed: string;
}

export interface BusCredentialsServiceDeps {
  readonly trustDomain: string;
  /** Undefined: the mesh runs without NATS users; every call is FAILED_PRECONDITION. */
  readonly account: BusAccount | undefined;
  readonly authority: AuthorityKeeper;
  readonly tokens: () => MeshTokenVerifier;
  /** Where MESH_REGISTRY is read: a name registered to another service account is refused. */
  readonly bus: Bus;
  /** Every user issued or refused is recorded in MESH_AUDIT (who, which workload, when). */
  readonly audit: CaAuditLog;
  /** jetmesh_nats_users_total by result. */
  readonly metrics: CitadelMetrics;
  readonly log: Logger;
}

const USER_KEY = /^U[A-Z2-7]{55}$/;

function requestProblems(req: { workloadName: string; userPublicKey: string }): CaRejection[] {
  const problems: CaRejection[] = [];
  const nameProblem = req.workloadName === '' ? 'is required' : resourceNameReason(req.workloadName);
  if (nameProblem !== undefined) problems.push(rejection('workload_name', 'BAD_REQUEST', nameProblem));
  if (!USER_KEY.test(req.userPublicKey)) problems.push(rejection('user_public_key', 'BAD_REQUEST', 'must be a user public nkey (U followed by 55 base32 characters)'));
  return problems;
}

/**
 * jetmesh.ca.v1.BusCredentialsService: a workload's own NATS user, for the identity its current
 * certificate proves (a token is not enough: the user expires with the certificate, and is renewed
 * with it). Its namespace is the certificate's, and a name MESH_REGISTRY holds for another
 * service account is refused (an unregistered name is given, as galley's registrar gives it to
 * the first identity that registers it); it may read only `workload.<ns>.<name>` of the workload
 * snapshots (workloadPermissions). Each answer is counted (jetmesh_nats_users_total) and recorded
 * in MESH_AUDIT (BusUserIssued before the JWT is sent, BusUserDenied), like certificates.
 */
export function busCredentialsService(deps: BusCredentialsServiceDeps): BusCredentialsServiceHandlers {
  const { log, audit, metrics } = deps;
  return {
    CreateBusCredentials: (call, callback) => {
      const peer = call.getPeer();
      const workloadOf = (namespace: string): string | undefined => (call.request.workloadName === '' ? undefined : `${namespace}/${call.request.workloadName}`);
      // Every refusal is counted and recorded (who, which workload, why) before the caller hears it, as certificates are.
      const deny = async (rejections: readonly CaRejection[], caller?: WorkloadIdentity): Promise<void> => {
        const s = statusOfRejection(rejections);
        const code = rejections[0]?.code ?? 'UNKNOWN';
        metrics.busUserDenied.inc({ reason: code });
        const workload = caller === undefined ? undefined : workloadOf(caller.namespace);
        try {
          await audit.busUserDenied(
            {
              actor: caller === undefined ? 'unauthenticated' : spiffeId(caller),
              reason: s.details,
              code,
              status: grpc.status[s.code],
              peer,
              ...(caller === undefined ? {} : { identity: spiffeId(caller) }),
              ...(workload === undefined ? {} : { workload }),
            },
            caller,
          );
        } catch (err) {
          log.error({ err, code }, 'NATS user denial not recorded in MESH_AUDIT');
        }
        callback(s as grpc.ServiceError);
      };
      void (async () => {
        const peerCertificate = call.getAuthContext().sslPeerCertificate?.raw;
        if (peerCertificate === undefined) return deny([rejection('', 'NO_CREDENTIAL', 'no client certificate: call over mutual TLS with the workload certificate citadel issued')]);
        const now = new Date();
        const caller = await authenticateCaller({ peerCertificate }, { trustDomain: deps.trustDomain, tokens: deps.tokens(), issuers: deps.authority.current().issuers, now });
        if (caller._tag === 'Left') return deny([caller.left]);
        const { identity, requester } = caller.right;
        const problems = requestProblems(call.request);
        if (problems.length > 0) return deny(problems, identity);
        if (deps.account === undefined) {
          return deny([rejection('', 'NO_BUS_ACCOUNT', 'this citadel mints no NATS users (JETMESH_CITADEL_NATS_ACCOUNT and JETMESH_CITADEL_NATS_SIGNING_KEY unset)')], identity);
        }
        const { namespace, serviceAccount } = identity;
        const name = call.request.workloadName;
        // The name is the identity's as galley's registrar sees it: held by another service account, it is not this caller's.
        const holder = await registeredServiceAccount(deps.bus, namespace, name);
        if (holder !== undefined && holder !== serviceAccount) {
          return deny([rejection('workload_name', 'IDENTITY_MISMATCH', `${namespace}/${name} is registered to service account ${holder}, not ${serviceAccount}`)], identity);
        }
        const expiresAt = new Date(new X509Certificate(peerCertificate).validTo);
        const { jwt } = mintNatsUser(deps.account.accountPublicKey, deps.account.signingKeySeed, {
          name: `proxy ${namespace}/${name}`,
          permissions: workloadPermissions(namespace, name),
          expiresAt,
          userPublicKey: call.request.userPublicKey,
          now,
        });
        // No user leaves citadel before its record is stored (a lost audit log answers UNAVAILABLE).
        await audit.busUserIssued(
          { actor: spiffeId(identity), identity: spiffeId(identity), workload: `${namespace}/${name}`, userPublicKey: call.request.userPublicKey, expiresAt: expiresAt.toISOString(), requester, peer },
          identity,
        );
        metrics.busUserIssued.inc();
        log.info({ identity: spiffeId(identity), workload: `${namespace}/${name}`, expiresAt: expiresAt.toISOString() }, 'NATS user issued');
        callback(null, { jwt, expiresAt: expiresAt.toISOString() });
      })().catch((err: unknown) => {
        log.error({ err }, 'CreateBusCredentials failed');
        callback(statusOfException(err, 'no NATS user issued') as grpc.ServiceError);
      });
    },
  };
}
