import * as grpc from '@grpc/grpc-js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { Logger } from '@jetmesh/log';
import { metadataBearerToken, type IstioCertificateServiceHandlers, type MeshTokenVerifier } from '@jetmesh/rpc';
import type { AuthorityKeeper } from './authority-keeper.js';
import type { CaAuditLog } from './ca-audit-log.js';
import type { CaRejection } from './ca-rejection.js';
import { authenticateCaller, type Credentials } from './caller-authentication.js';
import { parseCertificateRequest, type CertificateRequest } from './certificate-request.js';
import type { CitadelMetrics } from './citadel-metrics.js';
import { issueCertificate } from './csr-signer.js';
import { statusOfException, statusOfRejection } from './grpc-status.js';
import { decideIssuance, type Caller, type IssuanceLimits } from './issuance-policy.js';
import { spiffeId } from '@jetmesh/model';

export interface CertificateServiceDeps {
  readonly trustDomain: string;
  readonly limits: IssuanceLimits;
  readonly authority: AuthorityKeeper;
  readonly tokens: () => MeshTokenVerifier;
  readonly audit: CaAuditLog;
  readonly metrics: CitadelMetrics;
  readonly log: Logger;
}

function credentialsOf(call: grpc.ServerUnaryCall<unknown, unknown>): Credentials {
  const token = metadataBearerToken(call);
  // A token is always the credential, so the peer certificate (decoded by Node on every ask) is read only without one.
  if (token !== undefined) return { token };
  // grpc-js reports a peer certificate only when TLS verified it against our trusted roots.
  const peer = call.getAuthContext().sslPeerCertificate?.raw;
  return peer === undefined ? {} : { peerCertificate: peer };
}

/** The SANs a CSR asked for, for the denial record; undefined when it could not be read. */
function requestedNames(csr: Either<unknown, CertificateRequest>): string | undefined {
  if (csr._tag === 'Left') return undefined;
  const n = csr.right.names;
  const all = [...n.uris, ...n.dnsNames.map((d) => `DNS:${d}`), ...n.ipAddresses.map((i) => `IP:${i}`), ...n.emails.map((e) => `email:${e}`)];
  return all.length === 0 ? undefined : all.join(', ');
}

/** istio.v1.auth.IstioCertificateService: authenticate, check, sign, record, answer. */
export function certificateService(deps: CertificateServiceDeps): IstioCertificateServiceHandlers {
  const { audit, metrics, log } = deps;

  const deny = async (
    callback: grpc.sendUnaryData<never>,
    rejections: readonly CaRejection[],
    context: { caller?: Caller; requested?: string; peer: string },
  ): Promise<void> => {
    const s = statusOfRejection(rejections);
    metrics.csrDenied.inc({ reason: rejections[0]?.code ?? 'UNKNOWN' });
    const caller = context.caller;
    try {
      await audit.certificateDenied(
        {
          actor: caller === undefined ? 'unauthenticated' : spiffeId(caller.identity),
          reason: s.details,
          code: rejections[0]?.code ?? 'UNKNOWN',
          status: grpc.status[s.code],
          peer: context.peer,
          ...(caller === undefined ? {} : { identity: spiffeId(caller.identity), requester: caller.requester }),
          ...(context.requested === undefined ? {} : { requested: context.requested }),
        },
        caller?.identity,
      );
    } catch (err) {
      // The caller is refused either way; a lost denial record is logged, not a reason to answer differently.
      log.error({ err, code: rejections[0]?.code }, 'certificate denial not recorded in MESH_AUDIT');
    }
    callback(s as grpc.ServiceError);
  };

  return {
    CreateCertificate: (call, callback) => {
      metrics.csrReceived.inc();
      const peer = call.getPeer();
      void (async () => {
        const view = deps.authority.current();
        const now = new Date();
        const caller = await authenticateCaller(credentialsOf(call), {
          trustDomain: deps.trustDomain,
          tokens: deps.tokens(),
          issuers: view.issuers,
          now,
        });
        if (caller._tag === 'Left') return deny(callback, [caller.left], { peer });
        const csr = await parseCertificateRequest(call.request.csr);
        const decision = decideIssuance(caller.right, csr, call.request.validityDuration, deps.limits);
        if (decision._tag === 'Left') {
          const requested = requestedNames(csr);
          return deny(callback, decision.left, { caller: caller.right, peer, ...(requested === undefined ? {} : { requested }) });
        }
        const request = csr._tag === 'Right' ? csr.right : undefined;
        if (request === undefined) throw new Error('decideIssuance accepted an unreadable CSR');
        if (view.signing.certificate.notAfter.getTime() <= now.getTime()) {
          // Only a plugged-in CA can get here (self-signed roots rotate well before); nothing valid can be issued.
          log.error({ notAfter: view.signing.certificate.notAfter }, 'the signing CA certificate has expired');
          return callback({ code: grpc.status.UNAVAILABLE, details: `the signing CA certificate expired at ${view.signing.certificate.notAfter.toISOString()}` } as grpc.ServiceError);
        }
        const stopTimer = metrics.signSeconds.startTimer();
        const issued = await issueCertificate(view.signing, { subjectPublicKeyInfo: request.subjectPublicKeyInfo, names: { uris: [decision.right.uri] }, ttlMs: decision.right.ttlMs }, now);
        stopTimer();
        try {
          await audit.certificateIssued(
            {
              actor: spiffeId(caller.right.identity),
              serial: issued.serialHex,
              identity: decision.right.uri,
              notBefore: issued.notBefore.toISOString(),
              notAfter: issued.notAfter.toISOString(),
              requester: caller.right.requester,
              rootId: view.signing.rootId,
              peer,
            },
            decision.right.identity,
          );
        } catch (err) {
          log.error({ err, identity: decision.right.uri }, 'certificate not handed out: MESH_AUDIT did not store it');
          return callback(statusOfException(err, 'certificate not issued') as grpc.ServiceError);
        }
        metrics.csrSucceeded.inc();
        callback(null, { certChain: [...issued.chainPems] });
      })().catch((err: unknown) => {
        log.error({ err }, 'CreateCertificate failed');
        callback(statusOfException(err, 'certificate not issued') as grpc.ServiceError);
      });
    },
  };
}
