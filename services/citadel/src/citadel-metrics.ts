import { Counter, Histogram, type Registry } from 'prom-client';

/** What citadel reports on its admin /metrics. */
export interface CitadelMetrics {
  /** Every CreateCertificate call; those neither succeeded nor denied failed inside (audit store down, CA expired). */
  readonly csrReceived: Counter;
  /** `jetmesh_csr_total{result="succeeded"}`. */
  readonly csrSucceeded: { inc(): void };
  /** `jetmesh_csr_total{result="denied",reason}`, by the first rejection's code (e.g. IDENTITY_MISMATCH, TOKEN_EXPIRED, WEAK_KEY). */
  readonly csrDenied: { inc(labels: { reason: string }): void };
  /** Building and signing one certificate, wall time: includes waiting for a thread-pool thread. */
  readonly signSeconds: Histogram;
  readonly tokensMinted: Counter;
  readonly rootRotations: Counter<'phase'>;
  /** `jetmesh_nats_users_total{result="issued"}`. */
  readonly busUserIssued: { inc(): void };
  /** `jetmesh_nats_users_total{result="denied",reason}`, by the first rejection's code (e.g. IDENTITY_MISMATCH, NO_CREDENTIAL, NO_BUS_ACCOUNT). */
  readonly busUserDenied: { inc(labels: { reason: string }): void };
}

/** The result label of `jetmesh_csr_total`; `reason` (a rejection code, a closed set) only on denied. */
export type CsrResult = 'succeeded' | 'denied';

/** The result label of `jetmesh_nats_users_total`; `reason` only on denied. */
export type BusUserResult = 'issued' | 'denied';

export function createCitadelMetrics(registry: Registry): CitadelMetrics {
  // One counter by result, the control-plane name the mesh dashboards query (issue 11).
  const csrs = new Counter({ name: 'jetmesh_csr_total', help: 'CreateCertificate requests answered, by result (succeeded, denied) and, when denied, the rejection code', labelNames: ['result', 'reason'], registers: [registry] });
  const succeeded = csrs.labels({ result: 'succeeded' satisfies CsrResult });
  const busUsers = new Counter({ name: 'jetmesh_nats_users_total', help: 'CreateBusCredentials requests answered (workloads\' own NATS users), by result (issued, denied) and, when denied, the rejection code', labelNames: ['result', 'reason'], registers: [registry] });
  const busUsersIssued = busUsers.labels({ result: 'issued' satisfies BusUserResult });
  return {
    csrReceived: new Counter({ name: 'citadel_csr_received_total', help: 'CreateCertificate requests received', registers: [registry] }),
    csrSucceeded: { inc: () => succeeded.inc() },
    csrDenied: { inc: ({ reason }) => csrs.inc({ result: 'denied' satisfies CsrResult, reason }) },
    signSeconds: new Histogram({
      name: 'citadel_sign_duration_seconds',
      help: 'Time to build and sign one certificate (signing runs on the thread pool; includes waiting for a thread)',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
      registers: [registry],
    }),
    tokensMinted: new Counter({ name: 'citadel_tokens_minted_total', help: 'Bootstrap tokens minted', registers: [registry] }),
    busUserIssued: { inc: () => busUsersIssued.inc() },
    busUserDenied: { inc: ({ reason }) => busUsers.inc({ result: 'denied' satisfies BusUserResult, reason }) },
    rootRotations: new Counter({ name: 'citadel_root_rotation_steps_total', help: 'Root rotation steps this replica carried out', labelNames: ['phase'], registers: [registry] }),
  };
}
