import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createUserKeyPair, formatCreds, type NatsUserCredentials } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { caChannelCredentials, createBusCredentialsClient, errorLinesOf, isServiceError } from '@jetmesh/rpc';
import * as grpc from '@grpc/grpc-js';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './renewal-schedule.js';
import type { WorkloadCredentials, WorkloadIdentity } from './workload-identity.js';

export interface WorkloadNatsUserOptions {
  readonly caAddress: string;
  readonly caServerName?: string;
  readonly namespace: string;
  /** The workload's name (its snapshot key and WorkloadEntry). */
  readonly name: string;
  /** Its certificate: the user is asked for with it over mTLS, and again after every renewal. */
  readonly identity: WorkloadIdentity;
  /** `<stateDir>/nats-user.creds` holds the current user (mode 0600), for the operator's tools. */
  readonly stateDir: string;
  readonly log: Logger;
  readonly retry?: RetryPolicy;
}

export interface WorkloadNatsUser {
  /** Undefined until citadel answered once. */
  current(): NatsUserCredentials | undefined;
  /** Resolves with the first user. */
  readonly ready: Promise<NatsUserCredentials>;
  /** Called with every new user (after a certificate renewal). Returns the unsubscribe. */
  onChange(listener: (creds: NatsUserCredentials) => void): () => void;
  stop(): void;
}

export const NATS_USER_FILE = 'nats-user.creds';

const describe = (err: unknown): string => (isServiceError(err) ? `${grpc.status[err.code]}: ${errorLinesOf(err).join('; ')}` : err instanceof Error ? err.message : String(err));

/**
 * This workload's own NATS user (operator mode): one key pair for the process, whose public key
 * citadel signs into a user JWT for the identity of the current certificate; asked again whenever
 * the certificate is renewed, since the JWT expires with it.
 */
export function startWorkloadNatsUser(opts: WorkloadNatsUserOptions): WorkloadNatsUser {
  const log = opts.log.child({ part: 'nats-user' });
  const retry = opts.retry ?? DEFAULT_RETRY;
  const key = createUserKeyPair();
  const listeners = new Set<(creds: NatsUserCredentials) => void>();
  let held: NatsUserCredentials | undefined;
  let mintedFor: string | undefined;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let resolveReady: (creds: NatsUserCredentials) => void = () => {};
  const ready = new Promise<NatsUserCredentials>((resolve) => {
    resolveReady = resolve;
  });

  const save = async (creds: NatsUserCredentials): Promise<void> => {
    await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
    const path = join(opts.stateDir, NATS_USER_FILE);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, formatCreds(creds), { mode: 0o600 });
    await rename(tmp, path);
  };

  const request = async (cert: WorkloadCredentials): Promise<void> => {
    if (stopped || mintedFor === cert.chainPem) return;
    clearTimeout(timer);
    const client = createBusCredentialsClient(opts.caAddress, {
      credentials: caChannelCredentials({ rootsPem: cert.rootsPem, clientKeyPem: cert.keyPem, clientCertChainPem: cert.chainPem }),
      ...(opts.caServerName === undefined ? {} : { serverName: opts.caServerName }),
    });
    try {
      const res = await client.createBusCredentials({ workloadName: opts.name, userPublicKey: key.publicKey });
      if (stopped) return;
      held = { jwt: res.jwt, seed: key.seed };
      mintedFor = cert.chainPem;
      failures = 0;
      log.info({ expiresAt: res.expiresAt }, 'NATS user issued by citadel');
      await save(held).catch((err: unknown) => log.warn({ err }, 'could not save the NATS user'));
      resolveReady(held);
      for (const listener of listeners) listener(held);
    } catch (err) {
      if (stopped) return;
      failures += 1;
      const delay = retryDelay(failures, retry, Math.random(), cert.notAfter.getTime() - Date.now());
      log[held === undefined ? 'error' : 'warn']({ reason: describe(err), failures, retryInMs: delay }, 'citadel did not issue a NATS user; retrying');
      timer = setTimeout(() => void request(opts.identity.current() ?? cert), delay);
      timer.unref?.();
    } finally {
      client.close();
    }
  };

  const off = opts.identity.onChange((cert) => void request(cert));
  const first = opts.identity.current();
  if (first !== undefined) void request(first);

  return {
    current: () => held,
    ready,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      off();
      listeners.clear();
    },
  };
}
