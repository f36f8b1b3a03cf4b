import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Registry } from 'prom-client';
import * as grpc from '@grpc/grpc-js';
import { Buckets, CaAuditSubjects, TrustKeys, connectBus, openJsonBucket, provisionMesh, readStream, Streams, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { CaAuditEventCodec, TrustBundleCodec, trustBundlePem, type CaAuditEvent, type TrustBundle } from '@jetmesh/model';
import {
  caChannelCredentials,
  createCaAdminClient,
  createCaClient,
  errorLinesOf,
  isServiceError,
  type CaAdminClient,
  type CaClient,
  type IstioCertificateResponse,
} from '@jetmesh/rpc';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { startCitadel, type Citadel, type CitadelOptions } from '../src/citadel.js';
import { buildCertificateRequest } from '../src/csr-builder.js';

export const TRUST_DOMAIN = 'cluster.local';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const defaultOptions: Omit<CitadelOptions, 'registry'> = {
  host: '127.0.0.1',
  port: 0,
  trustDomain: TRUST_DOMAIN,
  rootKey: 'ecdsa-p256',
  rootTtlMs: 10 * 365 * DAY,
  defaultTtlMs: DAY,
  maxTtlMs: 90 * DAY,
  rootPropagationMs: 60_000,
  rootGraceMs: DAY,
  serverNames: ['localhost', '127.0.0.1'],
  serverCertTtlMs: DAY,
  tokenTtlMs: HOUR,
  maxTokenTtlMs: DAY,
  maxRequestBytes: 256 * 1024,
};

export interface HarnessOptions {
  readonly replicas?: number;
  /** Start the replicas at the same moment (racing to create the root). */
  readonly together?: boolean;
  readonly citadel?: Partial<Omit<CitadelOptions, 'registry'>>;
}

/** A private nats-server, `replicas` in-process citadels, and ways to talk to them as a workload or an admin would. */
export interface CitadelHarness {
  readonly nats: NatsServerHandle;
  readonly bus: Bus;
  readonly citadels: readonly Citadel[];
  readonly citadel: Citadel;
  /** Each replica's metrics registry, by replica index. */
  readonly registries: readonly Registry[];
  trustBundle(): Promise<TrustBundle>;
  rootsPem(): Promise<string>;
  admin(replica?: number, adminToken?: string): Promise<CaAdminClient>;
  /** A client authenticating with `token`, or with `clientCert` over mTLS, or with nothing. */
  ca(auth: { token?: string; clientCert?: { keyPem: string; chainPem: string } }, replica?: number): Promise<CaClient>;
  mintToken(namespace: string, serviceAccount: string, ttlSeconds?: number): Promise<string>;
  auditEvents(filter?: string): Promise<CaAuditEvent[]>;
  dispose(): Promise<void>;
}

export async function startCitadelHarness(opts: HarnessOptions = {}): Promise<CitadelHarness> {
  const nats = await startNatsServer();
  const log = createLogger('citadel-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');
  const bus = await connectBus(nats.url, log, { name: 'citadel-test' });
  await provisionMesh(bus);
  const buses: Bus[] = [];
  const registries: Registry[] = [];
  const start = async (i: number): Promise<Citadel> => {
    const replicaBus = await connectBus(nats.url, log, { name: `citadel-${i}` });
    buses.push(replicaBus);
    const registry = new Registry();
    registries[i] = registry;
    return startCitadel(replicaBus, { ...defaultOptions, ...opts.citadel, registry, replica: `citadel-${i}` }, log);
  };
  const count = opts.replicas ?? 1;
  const citadels: Citadel[] = [];
  try {
    if (opts.together) citadels.push(...(await Promise.all(Array.from({ length: count }, (_, i) => start(i)))));
    else for (let i = 0; i < count; i++) citadels.push(await start(i));
  } catch (err) {
    for (const c of citadels) await c.close();
    for (const b of [...buses, bus]) await b.close();
    await nats.dispose();
    throw err;
  }
  const clients: Array<{ close(): void }> = [];
  const trustBundles = await openJsonBucket(bus, Buckets.trust, TrustBundleCodec);
  const trustBundle = async (): Promise<TrustBundle> => {
    const entry = await trustBundles.get(TrustKeys.roots);
    if (entry === undefined) throw new Error('no trust bundle published');
    return entry.value;
  };
  const rootsPem = async (): Promise<string> => trustBundlePem(await trustBundle());
  const citadelAt = (replica: number): Citadel => {
    const c = citadels[replica];
    if (c === undefined) throw new Error(`no replica ${replica}`);
    return c;
  };
  const harness: CitadelHarness = {
    nats,
    bus,
    citadels,
    citadel: citadels[0]!,
    registries,
    trustBundle,
    rootsPem,
    admin: async (replica = 0, adminToken) => {
      const c = citadelAt(replica);
      const client = createCaAdminClient(c.address, {
        credentials: caChannelCredentials({ rootsPem: await rootsPem() }),
        adminToken: adminToken ?? c.adminSecret,
        serverName: 'localhost',
        actor: 'tester@test',
      });
      clients.push(client);
      return client;
    },
    ca: async (auth, replica = 0) => {
      const c = citadelAt(replica);
      const client = createCaClient(c.address, {
        credentials: caChannelCredentials({
          rootsPem: await rootsPem(),
          ...(auth.clientCert === undefined ? {} : { clientKeyPem: auth.clientCert.keyPem, clientCertChainPem: auth.clientCert.chainPem }),
        }),
        ...(auth.token === undefined ? {} : { token: auth.token }),
        serverName: 'localhost',
      });
      clients.push(client);
      return client;
    },
    mintToken: async (namespace, serviceAccount, ttlSeconds = 3600) => {
      const admin = await harness.admin();
      return (await admin.createToken({ namespace, serviceAccount, ttlSeconds })).token;
    },
    auditEvents: async (filter = CaAuditSubjects.all) => {
      const events: CaAuditEvent[] = [];
      for await (const e of readStream(bus, { stream: Streams.audit, codec: CaAuditEventCodec, fromSequence: 1, filterSubject: filter })) events.push(e.value);
      return events;
    },
    dispose: async () => {
      for (const c of clients) c.close();
      for (const c of citadels) await c.close();
      for (const b of [...buses, bus]) await b.close();
      await nats.dispose();
    },
  };
  return harness;
}

/** A fresh workload key pair and a CSR naming `uri` (plus whatever else the options say). */
export function workloadCsr(
  uri: string | undefined,
  key: 'ec' | 'rsa' = 'ec',
  extra: Partial<Parameters<typeof buildCertificateRequest>[0]> = {},
): { csr: string; privateKey: KeyObject; keyPem: string } {
  const { privateKey } = key === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = buildCertificateRequest({ privateKey, ...(uri === undefined ? {} : { uris: [uri] }), ...extra });
  return { csr, privateKey, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

export const spiffe = (ns: string, sa: string): string => `spiffe://${TRUST_DOMAIN}/ns/${ns}/sa/${sa}`;

/** The gRPC status code and error lines of a call that must fail. */
export async function failureOf(call: Promise<unknown>): Promise<{ code: number; lines: string[]; name: string }> {
  try {
    await call;
  } catch (err) {
    if (isServiceError(err)) return { code: err.code, lines: errorLinesOf(err), name: grpc.status[err.code] };
    throw err;
  }
  throw new Error('expected the call to fail');
}

export const chainOf = (res: IstioCertificateResponse): string => res.certChain.join('');
