import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Buckets, connectBus, openJsonBucket, provisionMesh, readStream, Streams, Subjects, TrustKeys, type Bus } from '@jetmesh/bus';
import { buildCertificateRequest, startCitadel, type Citadel } from '@jetmesh/citadel';
import { createLogger, type Logger } from '@jetmesh/log';
import {
  decodeRegistrationReply,
  RegistryEventCodec,
  signRegistration,
  TrustBundleCodec,
  trustBundlePem,
  WorkloadRegistrationCodec,
  type RegistrationOp,
  type RegistrationReply,
  type RegistryEvent,
  type UnsignedRegistration,
  type WorkloadEntrySpec,
  type WorkloadRegistration,
} from '@jetmesh/model';
import { caChannelCredentials, createCaAdminClient, createCaClient, type CaAdminClient } from '@jetmesh/rpc';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { createGalleyMetrics, type GalleyMetrics } from '../src/galley-metrics.js';
import { startRegistrar, type Registrar } from '../src/registrar/registrar.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A workload's key and certificate chain (leaf first), as a proxy holds them. */
export interface TestIdentity {
  readonly keyPem: string;
  readonly chainPem: string;
}

export interface RegistrarReplica {
  readonly registrar: Registrar;
  readonly bus: Bus;
  readonly registry: Registry;
  readonly metrics: GalleyMetrics;
}

export interface RegistrarHarness {
  readonly nats: NatsServerHandle;
  /** The proxies' connection (a test server has no users; the permission tests cover those). */
  readonly bus: Bus;
  readonly citadel: Citadel;
  readonly replicas: RegistrarReplica[];
  readonly log: Logger;
  /** A certificate from the real citadel for ns/sa. */
  identity(namespace: string, serviceAccount: string): Promise<TestIdentity>;
  /** A certificate for ns/sa from a CA the mesh does not trust (openssl). */
  untrustedIdentity(namespace: string, serviceAccount: string): TestIdentity;
  /** Starts one more galley registrar on its own connection. */
  addReplica(): Promise<RegistrarReplica>;
  /** Every MESH_REGISTRY event still stored, with its sequence. */
  events(): Promise<Array<{ seq: number; event: RegistryEvent }>>;
  dispose(): Promise<void>;
}

export async function startRegistrarHarness(opts: { graceMs: number; replicas?: number }): Promise<RegistrarHarness> {
  const nats = await startNatsServer();
  const log = createLogger('registrar-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');
  const bus = await connectBus(nats.url, log, { name: 'registrar-test' });
  await provisionMesh(bus);
  const citadelBus = await connectBus(nats.url, log, { name: 'citadel' });
  const citadel = await startCitadel(
    citadelBus,
    {
      host: '127.0.0.1',
      port: 0,
      trustDomain: 'cluster.local',
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
      registry: new Registry(),
      replica: 'citadel-0',
    },
    log,
  );
  const bundle = await (await openJsonBucket(bus, Buckets.trust, TrustBundleCodec)).get(TrustKeys.roots);
  if (bundle === undefined) throw new Error('citadel published no trust bundle');
  const rootsPem = trustBundlePem(bundle.value);
  const admin: CaAdminClient = createCaAdminClient(citadel.address, {
    credentials: caChannelCredentials({ rootsPem }),
    adminToken: citadel.adminSecret,
    serverName: 'localhost',
    actor: 'tester@test',
  });
  const replicas: RegistrarReplica[] = [];
  const buses: Bus[] = [citadelBus];
  const addReplica = async (): Promise<RegistrarReplica> => {
    const replicaBus = await connectBus(nats.url, log, { name: `galley-${replicas.length}` });
    buses.push(replicaBus);
    const registry = new Registry();
    const metrics = createGalleyMetrics(registry);
    const registrar = await startRegistrar(replicaBus, { graceMs: opts.graceMs, metrics, log: log.child({ replica: replicas.length }) });
    const replica = { registrar, bus: replicaBus, registry, metrics };
    replicas.push(replica);
    return replica;
  };
  for (let i = 0; i < (opts.replicas ?? 1); i++) await addReplica();
  const dir = mkdtempSync(join(tmpdir(), 'registrar-test-'));
  return {
    nats,
    bus,
    citadel,
    replicas,
    log,
    addReplica,
    identity: async (namespace, serviceAccount) => {
      const { token } = await admin.createToken({ namespace, serviceAccount, ttlSeconds: 3600 });
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const csr = buildCertificateRequest({ privateKey, uris: [`spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}`] });
      const ca = createCaClient(citadel.address, { credentials: caChannelCredentials({ rootsPem }), token, serverName: 'localhost' });
      try {
        const issued = await ca.createCertificate({ csr, validityDuration: 3600 });
        return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), chainPem: issued.certChain.join('') };
      } finally {
        ca.close();
      }
    },
    untrustedIdentity: (namespace, serviceAccount) => {
      const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
      run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/O=cluster.local/CN=rogue root', '-days', '1', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
      run(['req', '-new', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/']);
      writeFileSync(join(dir, 'leaf.ext'), `subjectAltName=URI:spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}\nbasicConstraints=critical,CA:FALSE\n`);
      run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'leaf.pem', '-extfile', 'leaf.ext']);
      return { keyPem: readFileSync(join(dir, 'leaf.key'), 'utf8'), chainPem: readFileSync(join(dir, 'leaf.pem'), 'utf8') + readFileSync(join(dir, 'ca.pem'), 'utf8') };
    },
    events: async () => {
      const out: Array<{ seq: number; event: RegistryEvent }> = [];
      for await (const e of readStream(bus, { stream: Streams.registry, codec: RegistryEventCodec, fromSequence: 1 })) out.push({ seq: e.seq, event: e.value });
      return out;
    },
    dispose: async () => {
      admin.close();
      for (const r of replicas) await r.registrar.stop();
      await citadel.close();
      for (const b of [...buses, bus]) await b.close();
      await nats.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const workloadFor = (serviceAccount: string, labels: Record<string, string> = { app: 'reviews' }): WorkloadEntrySpec => ({
  address: '10.0.0.7',
  labels: { ...labels, 'security.istio.io/tlsMode': 'istio', 'networking.jetmesh.io/inbound-port': '15006' },
  ports: { http: 9080 },
  serviceAccount,
});

/** A signed request as a proxy makes it; `overrides` change it after signing (a tampered request). */
export function signedRequest(
  op: RegistrationOp,
  identity: TestIdentity,
  fields: Partial<UnsignedRegistration> & { namespace: string; name: string; workload: WorkloadEntrySpec },
  overrides: Partial<WorkloadRegistration> = {},
): WorkloadRegistration {
  const unsigned: UnsignedRegistration = { op, at: new Date().toISOString(), nonce: randomUUID(), certChain: identity.chainPem, ...fields };
  return { ...signRegistration(unsigned, identity.keyPem), ...overrides };
}

/** Sends a register/deregister request and returns galley's reply. */
export async function ask(bus: Bus, request: WorkloadRegistration | unknown): Promise<RegistrationReply> {
  // Anything that is not a well-formed request goes as it is (the malformed-input tests).
  const body = WorkloadRegistrationCodec.is(request) ? WorkloadRegistrationCodec.encode(request) : request;
  const answer = await bus.nc.request(Subjects.registryRequests, JSON.stringify(body), { timeout: 5_000 });
  const decoded = decodeRegistrationReply(answer.json());
  if (decoded._tag === 'Left') throw new Error(`not a reply: ${answer.string()}`);
  return decoded.right;
}

/** Publishes a heartbeat; returns the refusals galley replicas answered with within waitMs. */
export async function heartbeat(bus: Bus, request: WorkloadRegistration, waitMs = 300): Promise<RegistrationReply[]> {
  const inbox = `_INBOX.hb.${randomUUID().replaceAll('-', '')}`;
  const replies: RegistrationReply[] = [];
  const sub = bus.nc.subscribe(inbox, {
    callback: (_err, msg) => {
      const decoded = decodeRegistrationReply(msg.json());
      if (decoded._tag === 'Right') replies.push(decoded.right);
    },
  });
  bus.nc.publish(Subjects.registryHeartbeats, JSON.stringify(WorkloadRegistrationCodec.encode(request)), { reply: inbox });
  await bus.nc.flush();
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  sub.unsubscribe();
  return replies;
}

/** A counter's value from a replica's registry (0 when it has no such series yet). */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)).reduce((sum, v) => sum + v.value, 0);
}
