import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { mintNatsUser, workloadPermissions, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { resourceNameReason, spiffeId } from '@jetmesh/model';
import type { BusCredentialsServiceHandlers, MeshTokenVerifier } from '@jetmesh/rpc';
import type { AuthorityKeeper } from './authority-keeper.js';
import { rejection, type CaRejection } from './ca-rejection.js';
import { authenticateCaller } from './caller-authentication.js';
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
 * snapshots (workloadPermissions).
 */
export function busCredentialsService(deps: BusCredentialsServiceDeps): BusCredentialsServiceHandlers {
  const { log } = deps;
  return {
    CreateBusCredentials: (call, callback) => {
      void (async () => {
        const peer = call.getAuthContext().sslPeerCertificate?.raw;
        if (peer === undefined) {
          return callback(statusOfRejection([rejection('', 'NO_CREDENTIAL', 'no client certificate: call over mutual TLS with the workload certificate citadel issued')]) as grpc.ServiceError);
        }
        const now = new Date();
        const caller = await authenticateCaller({ peerCertificate: peer }, { trustDomain: deps.trustDomain, tokens: deps.tokens(), issuers: deps.authority.current().issuers, now });
        if (caller._tag === 'Left') return callback(statusOfRejection([caller.left]) as grpc.ServiceError);
        const problems = requestProblems(call.request);
        if (problems.length > 0) return callback(statusOfRejection(problems) as grpc.ServiceError);
        if (deps.account === undefined) {
          return callback(statusOfRejection([rejection('', 'NO_BUS_ACCOUNT', 'this citadel mints no NATS users (JETMESH_CITADEL_NATS_ACCOUNT and JETMESH_CITADEL_NATS_SIGNING_KEY unset)')]) as grpc.ServiceError);
        }
        const { namespace, serviceAccount } = caller.right.identity;
        const name = call.request.workloadName;
        // The name is the identity's as galley's registrar sees it: held by another service account, it is not this caller's.
        const holder = await registeredServiceAccount(deps.bus, namespace, name);
        if (holder !== undefined && holder !== serviceAccount) {
          return callback(statusOfRejection([rejection('workload_name', 'IDENTITY_MISMATCH', `${namespace}/${name} is registered to service account ${holder}, not ${serviceAccount}`)]) as grpc.ServiceError);
        }
        const expiresAt = new Date(new X509Certificate(peer).validTo);
        const { jwt } = mintNatsUser(deps.account.accountPublicKey, deps.account.signingKeySeed, {
          name: `proxy ${namespace}/${name}`,
          permissions: workloadPermissions(namespace, name),
          expiresAt,
          userPublicKey: call.request.userPublicKey,
          now,
        });
        log.info({ identity: spiffeId(caller.right.identity), workload: `${namespace}/${name}`, expiresAt: expiresAt.toISOString() }, 'NATS user issued');
        callback(null, { jwt, expiresAt: expiresAt.toISOString() });
      })().catch((err: unknown) => {
        log.error({ err }, 'CreateBusCredentials failed');
        callback(statusOfException(err, 'no NATS user issued') as grpc.ServiceError);
      });
    },
  };
}
