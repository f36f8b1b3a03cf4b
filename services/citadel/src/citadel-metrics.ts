import { Counter, Histogram, type Registry } from 'prom-client';

/** What citadel reports on its admin /metrics. */
export interface CitadelMetrics {
  readonly csrReceived: Counter;
  readonly csrSucceeded: Counter;
  /** By the first rejection's code (e.g. IDENTITY_MISMATCH, TOKEN_EXPIRED, WEAK_KEY). */
  readonly csrDenied: Counter<'reason'>;
  /** Building and signing one certificate, wall time: includes waiting for a thread-pool thread. */
  readonly signSeconds: Histogram;
  readonly tokensMinted: Counter;
  readonly rootRotations: Counter<'phase'>;
}

export function createCitadelMetrics(registry: Registry): CitadelMetrics {
  return {
    csrReceived: new Counter({ name: 'citadel_csr_received_total', help: 'CreateCertificate requests received', registers: [registry] }),
    csrSucceeded: new Counter({ name: 'citadel_csr_succeeded_total', help: 'Certificates issued', registers: [registry] }),
    csrDenied: new Counter({ name: 'citadel_csr_denied_total', help: 'CreateCertificate requests refused, by reason', labelNames: ['reason'], registers: [registry] }),
    signSeconds: new Histogram({
      name: 'citadel_sign_duration_seconds',
      help: 'Time to build and sign one certificate (signing runs on the thread pool; includes waiting for a thread)',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
      registers: [registry],
    }),
    tokensMinted: new Counter({ name: 'citadel_tokens_minted_total', help: 'Bootstrap tokens minted', registers: [registry] }),
    rootRotations: new Counter({ name: 'citadel_root_rotation_steps_total', help: 'Root rotation steps this replica carried out', labelNames: ['phase'], registers: [registry] }),
  };
}
