import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { followTrustKey, TrustKeys, type Bus, type KeyFollow } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { spiffeId as formatSpiffeId, TrustBundleCodec, trustBundlePem, type TrustBundle } from '@jetmesh/model';
import { caChannelCredentials, createCaClient, errorLinesOf, isServiceError } from '@jetmesh/rpc';
import { peerSpiffeId } from './peer-identity.js';
import { DEFAULT_RETRY, renewalAt, retryDelay, type RetryPolicy } from './renewal-schedule.js';
import { workloadKeyRequest } from './workload-csr.js';

export interface WorkloadIdentityOptions {
  /** host:port of citadel's CA API. */
  readonly caAddress: string;
  /** The name citadel's certificate carries when it differs from the dialled host (e.g. "localhost" for 127.0.0.1). */
  readonly caServerName?: string;
  /** Bootstrap token (`jetmesh token create`); used for the first certificate and when renewal by certificate fails. */
  readonly token: string;
  /** Default cluster.local. */
  readonly trustDomain?: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Requested lifetime; default (or 0): citadel's default. */
  readonly ttlSeconds?: number;
  /** Where the trust bundle (mesh_trust `roots`) is followed. */
  readonly bus: Bus;
  readonly log: Logger;
  readonly retry?: RetryPolicy;
}

/** What the data plane builds its TLS contexts from. Replaced as a whole on every change. */
export interface WorkloadCredentials {
  /** PKCS#8 PEM of the private key (a new key per certificate). */
  readonly keyPem: string;
  /** PEM, leaf first, as citadel returned it. */
  readonly chainPem: string;
  /** Every root of the current trust bundle, PEM: what peers' chains are verified against. */
  readonly rootsPem: string;
  readonly spiffeId: string;
  readonly notAfter: Date;
}

export type CredentialsListener = (credentials: WorkloadCredentials) => void;

export interface WorkloadIdentity {
  /** Undefined until the first certificate arrived. May be past notAfter if renewal keeps failing (logged as errors). */
  current(): WorkloadCredentials | undefined;
  /** Resolves with the first certificate; rejects with CertificateRefusedError when citadel refuses the first request. */
  readonly ready: Promise<void>;
  /** Called on every renewal and on every change of the trusted roots. Returns the unsubscribe. */
  onChange(listener: CredentialsListener): () => void;
  stop(): void;
}

/** Citadel refused the request (bad token, wrong identity, bad request): retrying the same way will not help. */
export class CertificateRefusedError extends Error {
  override readonly name = 'CertificateRefusedError';

  constructor(
    readonly spiffeId: string,
    /** gRPC status name, e.g. UNAUTHENTICATED. */
    readonly code: string,
    /** Citadel's reasons, one per line as it sent them. */
    readonly reasons: readonly string[],
    cause?: unknown,
  ) {
    super(`citadel refused a certificate for ${spiffeId} (${code}): ${reasons.join('; ')}`, { cause });
  }
}

const REFUSALS = new Set<number>([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED, grpc.status.INVALID_ARGUMENT]);

function refusalOf(err: unknown, id: string): CertificateRefusedError | undefined {
  if (!isServiceError(err) || !REFUSALS.has(err.code)) return undefined;
  return new CertificateRefusedError(id, grpc.status[err.code] ?? String(err.code), errorLinesOf(err), err);
}

const describe = (err: unknown): string => (isServiceError(err) ? `${grpc.status[err.code]}: ${errorLinesOf(err).join('; ')}` : err instanceof Error ? err.message : String(err));

const fingerprintOf = (pem: string): string | undefined => {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
};

/** The PEM blocks of a chain, in order. */
const pemBlocks = (chain: string): string[] => chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

interface Held {
  readonly credentials: WorkloadCredentials;
  readonly receivedAt: number;
  /** Fingerprint of the chain's last certificate (its root). */
  readonly rootFingerprint: string | undefined;
}

/**
 * Keeps this workload's SPIFFE certificate: the first from citadel with the
 * bootstrap token, then renewed halfway through each lifetime (over mTLS with
 * the current certificate, falling back to the token), and early when the root
 * it chains to starts retiring. Follows the trust bundle so peers issued from a
 * new root are trusted as soon as citadel publishes it.
 */
export function startWorkloadIdentity(opts: WorkloadIdentityOptions): WorkloadIdentity {
  const trustDomain = opts.trustDomain ?? 'cluster.local';
  const id = formatSpiffeId({ trustDomain, namespace: opts.namespace, serviceAccount: opts.serviceAccount });
  const log = opts.log.child({ part: 'identity', spiffeId: id });
  const retry = opts.retry ?? DEFAULT_RETRY;
  const listeners = new Set<CredentialsListener>();

  let held: Held | undefined;
  let roots: { pem: string; bundle: TrustBundle } | undefined;
  let follow: KeyFollow | undefined;
  let stopped = false;
  let inFlight = false;
  // A renewal asked for while one was out (e.g. the root started retiring meanwhile).
  let again = false;
  let failures = 0;
  let refusalReported = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let followTimer: NodeJS.Timeout | undefined;

  let resolveReady: () => void = () => {};
  let rejectReady: (err: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Awaiting ready still sees the rejection; this only keeps an unobserved one from crashing the process.
  ready.catch(() => {});

  const emit = (credentials: WorkloadCredentials): void => {
    for (const listener of listeners) {
      try {
        listener(credentials);
      } catch (err) {
        log.error({ err }, 'identity change listener failed');
      }
    }
  };

  const schedule = (atMs: number): void => {
    clearTimeout(renewTimer);
    if (stopped) return;
    renewTimer = setTimeout(() => void attempt(), Math.max(0, atMs - Date.now()));
    renewTimer.unref?.();
  };

  const watchExpiry = (credentials: WorkloadCredentials): void => {
    clearTimeout(expiryTimer);
    const ms = credentials.notAfter.getTime() - Date.now();
    // setTimeout holds at most ~24.8 days; a longer-lived certificate is re-armed on renewal anyway.
    if (ms > 2 ** 31 - 1) return;
    expiryTimer = setTimeout(() => {
      if (!stopped && held?.credentials === credentials) {
        log.error({ notAfter: credentials.notAfter.toISOString() }, 'workload certificate EXPIRED and no renewal succeeded: peers will refuse mTLS until citadel answers');
      }
    }, Math.max(0, ms));
    expiryTimer.unref?.();
  };

  const request = async (auth: 'certificate' | 'token', rootsPem: string): Promise<Held> => {
    const current = held?.credentials;
    const { keyPem, csrPem, publicKeyDer } = await workloadKeyRequest(id);
    const byCertificate = auth === 'certificate' && current !== undefined;
    const client = createCaClient(opts.caAddress, {
      credentials: caChannelCredentials({ rootsPem, ...(byCertificate ? { clientKeyPem: current.keyPem, clientCertChainPem: current.chainPem } : {}) }),
      ...(byCertificate ? {} : { token: opts.token }),
      ...(opts.caServerName === undefined ? {} : { serverName: opts.caServerName }),
    });
    try {
      const res = await client.createCertificate({ csr: csrPem, validityDuration: opts.ttlSeconds ?? 0 });
      const receivedAt = Date.now();
      const chain = res.certChain.flatMap(pemBlocks);
      const [leafPem] = chain;
      if (leafPem === undefined) throw new Error('citadel returned an empty certificate chain');
      const leaf = new X509Certificate(leafPem);
      if (peerSpiffeId(leaf) !== id) throw new Error(`citadel issued a certificate for ${peerSpiffeId(leaf) ?? 'no SPIFFE ID'}, not ${id}`);
      if (!leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(publicKeyDer)) throw new Error('citadel issued a certificate for another key');
      const credentials: WorkloadCredentials = {
        keyPem,
        chainPem: chain.join('\n') + '\n',
        rootsPem,
        spiffeId: id,
        notAfter: new Date(leaf.validTo),
      };
      const last = chain[chain.length - 1];
      return { credentials, receivedAt, rootFingerprint: last === undefined ? undefined : fingerprintOf(last) };
    } finally {
      client.close();
    }
  };

  const attempt = async (): Promise<void> => {
    if (stopped || roots === undefined) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    again = false;
    const rootsPem = roots.pem;
    try {
      let next: Held;
      const current = held?.credentials;
      if (current !== undefined && current.notAfter.getTime() > Date.now()) {
        try {
          next = await request('certificate', rootsPem);
        } catch (err) {
          log.warn({ reason: describe(err) }, 'renewal with the current certificate failed; trying the bootstrap token');
          next = await request('token', rootsPem);
        }
      } else {
        next = await request('token', rootsPem);
      }
      if (stopped) return;
      // The roots may have changed while the request was out: keep the newest.
      const credentials = roots.pem === next.credentials.rootsPem ? next.credentials : { ...next.credentials, rootsPem: roots.pem };
      held = { ...next, credentials };
      failures = 0;
      const renewAt = renewalAt(next.receivedAt, credentials.notAfter.getTime());
      log.info({ notAfter: credentials.notAfter.toISOString(), renewAt: new Date(renewAt).toISOString() }, 'workload certificate issued');
      watchExpiry(credentials);
      schedule(again ? Date.now() : renewAt);
      resolveReady();
      emit(credentials);
    } catch (err) {
      if (stopped) return;
      failures += 1;
      const current = held?.credentials;
      const msLeft = current === undefined ? undefined : current.notAfter.getTime() - Date.now();
      const delay = retryDelay(failures, retry, Math.random(), msLeft);
      const refused = refusalOf(err, id);
      const fields = { reason: describe(err), failures, retryInMs: delay };
      if (current === undefined) {
        if (refused !== undefined && !refusalReported) {
          refusalReported = true;
          rejectReady(refused);
        }
        log.error(fields, refused === undefined ? 'cannot get a workload certificate yet; retrying' : `citadel refused a workload certificate: ${refused.reasons.join('; ')}`);
      } else if (msLeft !== undefined && msLeft <= 0) {
        log.error({ ...fields, notAfter: current.notAfter.toISOString() }, 'workload certificate EXPIRED; renewal keeps failing');
      } else {
        const lifetime = current.notAfter.getTime() - (held?.receivedAt ?? Date.now());
        const urgent = msLeft !== undefined && msLeft < lifetime / 4;
        log[urgent ? 'error' : 'warn']({ ...fields, expiresInMs: msLeft, notAfter: current.notAfter.toISOString() }, urgent ? 'workload certificate expires soon and renewal keeps failing' : 'workload certificate renewal failed; retrying');
      }
      schedule(Date.now() + delay);
    } finally {
      inFlight = false;
    }
  };

  const onBundle = (bundle: TrustBundle | undefined): void => {
    if (stopped) return;
    if (bundle === undefined) {
      log.warn({}, 'no trust bundle in mesh_trust yet (is citadel running?); keeping the roots held');
      return;
    }
    if (bundle.trustDomain !== trustDomain) {
      log.error({ bundleTrustDomain: bundle.trustDomain }, `trust bundle is for trust domain ${bundle.trustDomain}, not ${trustDomain}; ignored`);
      return;
    }
    const pem = trustBundlePem(bundle);
    const first = roots === undefined;
    const changed = roots?.pem !== pem;
    roots = { pem, bundle };
    if (first) {
      void attempt();
      return;
    }
    if (!changed) return;
    log.info({ roots: bundle.roots.map((r) => `${r.id}:${r.state}`) }, 'trust bundle changed');
    if (held !== undefined) {
      const credentials = { ...held.credentials, rootsPem: pem };
      held = { ...held, credentials };
      emit(credentials);
      // A certificate from a retiring (or removed) root is replaced now, before peers stop trusting it.
      const ours = bundle.roots.find((r) => fingerprintOf(r.pem) === held?.rootFingerprint);
      if (ours === undefined || ours.state === 'retiring') {
        log.info({ root: ours?.id ?? 'removed' }, 'the certificate chains to a root that is retiring; renewing now');
        schedule(Date.now() + Math.round(Math.random() * retry.initialMs));
      }
    }
  };

  const startFollowing = async (tries: number): Promise<void> => {
    try {
      const f = await followTrustKey(opts.bus, TrustKeys.roots, TrustBundleCodec, (entry) => onBundle(entry?.value));
      if (stopped) f.stop();
      else follow = f;
    } catch (err) {
      if (stopped) return;
      const delay = retryDelay(tries, retry, Math.random());
      log.warn({ err, retryInMs: delay }, 'cannot follow the trust bundle yet; retrying');
      followTimer = setTimeout(() => void startFollowing(tries + 1), delay);
      followTimer.unref?.();
    }
  };
  void startFollowing(1);

  return {
    current: () => held?.credentials,
    ready,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => {
      stopped = true;
      clearTimeout(renewTimer);
      clearTimeout(expiryTimer);
      clearTimeout(followTimer);
      follow?.stop();
      listeners.clear();
    },
  };
}
