import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import forge from 'node-forge';
import {
  buildCertificateRequest,
  createSelfSignedRoot,
  issueCertificate,
  loadSigningAuthority,
  parseCertificateRequest,
  signedLeaf,
  unsignedLeaf,
  type CaKeyAlgorithm,
  type SigningAuthority,
} from '@jetmesh/citadel';
import { connectBus, Buckets, TrustKeys, openJsonBucket } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { TrustBundleCodec, trustBundlePem } from '@jetmesh/model';
import { caChannelCredentials, createCaAdminClient, createCaClient, istioCertificateServiceDefinition, type CaClient } from '@jetmesh/rpc';
import { eventually, freePort, launchProcess, repoRoot, startNatsServer, waitForHttp } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';

/*
 * ca-issue: certificates per second, through the gRPC API (TLS, token auth,
 * CSR parsed and verified, audit event stored in JetStream, 8 concurrent
 * callers) and from the in-process signer alone (TBS + native signature),
 * for RSA-2048 and ECDSA P-256 CA keys; beside `openssl speed` sign/s for the
 * same key type measured in this run, on one core and on every core
 * (`-multi`). The signer signs on libuv's thread pool (IN_FLIGHT certificates
 * at once); it is also measured synchronously on one core. Also: Node's
 * crypto.sign alone both ways (the ceiling for any signer in Node) and
 * node-forge building the same certificate, signed natively and in pure JS.
 */

/**
 * Each figure is the best of ROUNDS interleaved slices: on a shared machine the best slice is the
 * one least disturbed. Five, because the thread-pool figures need both cores free at once.
 */
const ROUNDS = 5;
const SLICE_MS = 1000;
const SIGNER_MS = 2000;
/** Signatures outstanding at once on the thread pool: enough to keep its threads and the event loop busy together. */
const IN_FLIGHT = 32;
const GRPC_WARMUP_MS = 1000;
const GRPC_MS = 5000;
const CALLERS = 8;
const CSRS_PER_CALLER = 4;
const DAY_MS = 86_400_000;
const CORES = availableParallelism();

const caKeys: ReadonlyArray<{ readonly algorithm: CaKeyAlgorithm; readonly label: string; readonly openssl: string }> = [
  { algorithm: 'rsa-2048', label: 'RSA-2048', openssl: 'rsa2048' },
  { algorithm: 'ecdsa-p256', label: 'ECDSA P-256', openssl: 'ecdsap256' },
];

/** `openssl speed -elapsed` sign/s for one algorithm (its built-in key of that type), on one core or on `processes` at once. */
function opensslSignRate(algorithm: string, processes = 1): number {
  const multi = processes > 1 ? ['-multi', String(processes)] : [];
  const out = execFileSync('openssl', ['speed', ...multi, '-seconds', String(SLICE_MS / 1000), '-elapsed', algorithm], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out
    .split('\n')
    .filter((l) => /\bbits\b/.test(l))
    .at(-1);
  const numbers = (line ?? '').match(/\d+(\.\d+)?/g)?.map(Number) ?? [];
  // "... sign verify sign/s verify/s": sign/s is the second-to-last column (with -multi, the sum over the processes).
  const rate = numbers.at(-2);
  if (rate === undefined) throw new Error(`cannot read openssl speed ${algorithm} output:\n${out}`);
  return rate;
}

/** Calls per second of `fn` over `ms` of wall time. */
function rateOf(fn: () => unknown, ms: number): number {
  for (let i = 0; i < 50; i++) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn();
    n++;
    if ((n & 15) === 0) now = performance.now();
  }
  return n / ((performance.now() - start) / 1000);
}

/** Completions per second of `fn` with `inFlight` calls outstanding at all times, over `ms` of wall time. */
async function concurrentRateOf(fn: () => Promise<unknown>, inFlight: number, ms: number): Promise<number> {
  await Promise.all(Array.from({ length: inFlight }, fn));
  let n = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() - start < ms) {
        await fn();
        n++;
      }
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

const signOffLoop = (hash: string, data: Buffer, key: KeyObject): Promise<Buffer> =>
  new Promise((resolve, reject) => sign(hash, data, key, (err, signature) => (err === null ? resolve(signature) : reject(err))));

function authorityFor(algorithm: CaKeyAlgorithm): SigningAuthority {
  const loaded = loadSigningAuthority(createSelfSignedRoot({ algorithm, trustDomain: 'cluster.local', ttlMs: 3650 * DAY_MS, now: new Date() }));
  if (loaded._tag === 'Left') throw new Error(loaded.left.join('; '));
  return loaded.right;
}

const workloadKey = (): KeyObject => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

// At run time forge exposes this (cert.sign uses it); its type declarations do not.
const forgeTbs = (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

/** The same leaf built by node-forge (RSA CA and RSA workload key only: forge has no EC). */
function forgeLeaf(authority: SigningAuthority, csrPem: string): forge.pki.Certificate {
  const csr = forge.pki.certificationRequestFromPem(csrPem);
  const caCert = forge.pki.certificateFromPem(authority.chainPems[0]!);
  const cert = forge.pki.createCertificate();
  cert.publicKey = csr.publicKey as forge.pki.rsa.PublicKey;
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(15));
  cert.validity.notBefore = new Date(Date.now() - 120_000);
  cert.validity.notAfter = new Date(Date.now() + DAY_MS);
  cert.setSubject([]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 6, value: 'spiffe://cluster.local/ns/default/sa/web' }], critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  return cert;
}

const openssl1 = (key: { readonly openssl: string }): string => `openssl speed ${key.openssl} sign/s, 1 core`;
const opensslAll = (key: { readonly openssl: string }): string => `openssl speed -multi ${CORES} ${key.openssl} sign/s, ${CORES} cores`;

async function signerRows(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const csrPem = buildCertificateRequest({ privateKey: workloadKey(), uris: ['spiffe://cluster.local/ns/default/sa/web'] });
  const csr = await parseCertificateRequest(csrPem);
  if (csr._tag === 'Left') throw new Error('bench CSR refused');
  const request = { subjectPublicKeyInfo: csr.right.subjectPublicKeyInfo, names: { uris: ['spiffe://cluster.local/ns/default/sa/web'] }, ttlMs: DAY_MS };
  for (const key of caKeys) {
    const authority = authorityFor(key.algorithm);
    const { hash } = authority.template.issuer.signature;
    const tbs = authority.template.tbs({ serial: Buffer.alloc(16, 7), notBefore: new Date(), notAfter: new Date(), ...request });
    let openssl = 0;
    let opensslMulti = 0;
    let signer = 0;
    let signerSync = 0;
    let raw = 0;
    let rawSync = 0;
    for (let round = 0; round < ROUNDS; round++) {
      openssl = Math.max(openssl, opensslSignRate(key.openssl));
      opensslMulti = Math.max(opensslMulti, opensslSignRate(key.openssl, CORES));
      signer = Math.max(signer, await concurrentRateOf(() => issueCertificate(authority, request), IN_FLIGHT, SLICE_MS));
      // The same certificate assembled the same way, with the signature taken synchronously on this thread.
      signerSync = Math.max(
        signerSync,
        rateOf(() => {
          const leaf = unsignedLeaf(authority, request);
          return signedLeaf(authority, leaf, sign(hash, leaf.tbs, authority.privateKey));
        }, SLICE_MS),
      );
      raw = Math.max(raw, await concurrentRateOf(() => signOffLoop(hash, tbs, authority.privateKey), IN_FLIGHT, SLICE_MS));
      rawSync = Math.max(rawSync, rateOf(() => sign(hash, tbs, authority.privateKey), SLICE_MS));
    }
    const asyncSigner = `in-process signer, ${key.label} CA, thread pool, ${IN_FLIGHT} in flight`;
    const syncSigner = `in-process signer, ${key.label} CA, synchronous, 1 core`;
    rows.push(
      { bench: 'ca-issue', metric: asyncSigner, value: signer, baselineName: openssl1(key), baseline: openssl, unit: 'certs/s' },
      { bench: 'ca-issue', metric: asyncSigner, value: signer, baselineName: opensslAll(key), baseline: opensslMulti, unit: 'certs/s' },
      { bench: 'ca-issue', metric: syncSigner, value: signerSync, baselineName: openssl1(key), baseline: openssl, unit: 'certs/s' },
      { bench: 'ca-issue', metric: `Node crypto.sign alone, ${key.label}, synchronous, 1 core (the ceiling per core)`, value: rawSync, baselineName: openssl1(key), baseline: openssl, unit: 'signs/s' },
      { bench: 'ca-issue', metric: `Node crypto.sign alone, ${key.label}, thread pool, ${IN_FLIGHT} in flight (the ceiling)`, value: raw, baselineName: opensslAll(key), baseline: opensslMulti, unit: 'signs/s' },
      { bench: 'ca-issue', metric: asyncSigner, value: signer, baselineName: 'Node crypto.sign alone, same key, thread pool', baseline: raw, unit: 'certs/s' },
    );
    if (key.algorithm === 'rsa-2048') {
      const forgeKey = forge.pki.privateKeyFromPem(authority.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
      const forgeNative = rateOf(() => {
        const cert = forgeLeaf(authority, csrPem);
        cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
        const tbsDer = Buffer.from(forge.asn1.toDer(forgeTbs(cert)).getBytes(), 'binary');
        cert.signature = sign('sha256', tbsDer, authority.privateKey).toString('binary');
        return forge.pki.certificateToPem(cert);
      }, SIGNER_MS);
      const forgePure = rateOf(() => {
        const cert = forgeLeaf(authority, csrPem);
        cert.sign(forgeKey, forge.md.sha256.create());
        return forge.pki.certificateToPem(cert);
      }, SIGNER_MS);
      rows.push(
        { bench: 'ca-issue', metric: 'node-forge builds, native sign, RSA-2048 CA, 1 core', value: forgeNative, baselineName: 'in-process signer (own DER), synchronous', baseline: signerSync, unit: 'certs/s' },
        { bench: 'ca-issue', metric: 'node-forge builds and signs (pure JS), RSA-2048 CA, 1 core', value: forgePure, baselineName: 'in-process signer (own DER), synchronous', baseline: signerSync, unit: 'certs/s' },
      );
    }
  }
  return rows;
}

/** Certificates per second through a citadel process: 8 callers, each with its own channel, token and identity. */
async function grpcRate(algorithm: CaKeyAlgorithm): Promise<CallWindow> {
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'ca-bench-'));
  const port = await freePort();
  const adminPort = await freePort();
  const citadel = launchProcess(process.execPath, [join(repoRoot, 'services', 'citadel', 'dist', 'src', 'main.js')], {
    name: 'citadel',
    cwd: dir,
    env: {
      JETMESH_NATS_URL: nats.url,
      JETMESH_CITADEL_PORT: String(port),
      JETMESH_ADMIN_PORT: String(adminPort),
      JETMESH_CITADEL_ROOT_KEY: algorithm,
      JETMESH_ADMIN_TOKEN_FILE: join(dir, 'admin-token'),
      JETMESH_LOG_LEVEL: 'warn',
    },
  });
  const bus = await connectBus(nats.url, createLogger('bench', 'silent'));
  const clients: Array<{ close(): void }> = [];
  try {
    await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, { timeoutMs: 30_000 });
    const trust = await openJsonBucket(bus, Buckets.trust, TrustBundleCodec);
    const roots = await eventually(async () => (await trust.get(TrustKeys.roots))?.value, 'trust bundle');
    const credentials = caChannelCredentials({ rootsPem: trustBundlePem(roots) });
    const address = `127.0.0.1:${port}`;
    const admin = createCaAdminClient(address, { credentials, adminToken: readFileSync(join(dir, 'admin-token'), 'utf8').trim(), serverName: 'localhost' });
    clients.push(admin);
    const callers = await Promise.all(
      Array.from({ length: CALLERS }, async (_, i) => {
        const { token } = await admin.createToken({ namespace: 'bench', serviceAccount: `caller-${i}`, ttlSeconds: 3600 });
        const client = createCaClient(address, { credentials, token, serverName: 'localhost' });
        clients.push(client);
        // RSA-2048 workload keys, Istio's default: the CA verifies each CSR's signature.
        const csrs = Array.from({ length: CSRS_PER_CALLER }, () => {
          const privateKey = workloadKey();
          return buildCertificateRequest({ privateKey, uris: [`spiffe://cluster.local/ns/bench/sa/caller-${i}`] });
        });
        return { client, csrs };
      }),
    );
    const pid = citadel.pid;
    return await callRate(callers, pid === undefined ? undefined : () => processCpuSeconds(pid));
  } finally {
    for (const c of clients) c.close();
    await bus.close();
    await citadel.stop();
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface CallWindow {
  /** Calls per second of wall time. */
  readonly rate: number;
  readonly calls: number;
  /** CPU seconds `cpuSeconds` reported over the same window (0 without it). */
  readonly cpu: number;
}

/** Runs one loop per caller for GRPC_MS after a warm-up; what completed in that window. */
async function callRate(clients: ReadonlyArray<{ readonly client: CaClient; readonly csrs: readonly string[] }>, cpuSeconds: () => number = () => 0): Promise<CallWindow> {
  let done = 0;
  let counting = false;
  let stop = false;
  const loops = clients.map(async ({ client, csrs }) => {
    for (let n = 0; !stop; n++) {
      await client.createCertificate({ csr: csrs[n % csrs.length]!, validityDuration: 3600 });
      if (counting) done++;
    }
  });
  await new Promise((r) => setTimeout(r, GRPC_WARMUP_MS));
  counting = true;
  const start = performance.now();
  const cpuStart = cpuSeconds();
  await new Promise((r) => setTimeout(r, GRPC_MS));
  counting = false;
  const cpu = cpuSeconds() - cpuStart;
  const seconds = (performance.now() - start) / 1000;
  stop = true;
  await Promise.all(loops);
  return { rate: done / seconds, calls: done, cpu };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU seconds a process has used so far (Linux /proc). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  // After "(comm) ", utime and stime are the 12th and 13th fields.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * The transport alone: the same service answered by a handler that does
 * nothing, over TLS with a certificate from our signer, 8 callers. What
 * grpc-js itself costs on this machine, beside which the CA's work shows.
 */
async function emptyCallRate(): Promise<number> {
  const authority = authorityFor('ecdsa-p256');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = await issueCertificate(authority, { subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }), names: { uris: [], dnsNames: ['localhost'] }, ttlMs: DAY_MS });
  const server = new grpc.Server();
  server.addService(istioCertificateServiceDefinition, { CreateCertificate: (_call: unknown, done: grpc.sendUnaryData<{ certChain: string[] }>) => done(null, { certChain: [] }) });
  const credentials = grpc.ServerCredentials.createSsl(Buffer.from(authority.rootPem), [
    { private_key: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })), cert_chain: Buffer.from(cert.chainPems.join('')) },
  ]);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  const clients = Array.from({ length: CALLERS }, () => ({
    client: createCaClient(`127.0.0.1:${port}`, { credentials: caChannelCredentials({ rootsPem: authority.rootPem }), token: 'unused', serverName: 'localhost' }),
    csrs: ['-'.repeat(1600)],
  }));
  try {
    return (await callRate(clients)).rate;
  } finally {
    for (const c of clients) c.client.close();
    server.forceShutdown();
  }
}

export async function caIssueBench(): Promise<BenchRow[]> {
  const rows = await signerRows();
  for (const key of caKeys) {
    const window = await grpcRate(key.algorithm);
    const empty = await emptyCallRate();
    const openssl = opensslSignRate(key.openssl);
    const rate = window.rate;
    rows.push({
      bench: 'ca-issue',
      metric: `gRPC CreateCertificate per second of citadel CPU, ${key.label} CA (what one busy core would issue)`,
      value: window.cpu > 0 ? window.calls / window.cpu : NaN,
      baselineName: openssl1(key),
      baseline: openssl,
      unit: 'certs/s',
    });
    rows.push({
      bench: 'ca-issue',
      metric: `gRPC CreateCertificate, ${key.label} CA, ${CALLERS} callers`,
      value: rate,
      baselineName: `empty grpc-js unary call, TLS, ${CALLERS} callers`,
      baseline: empty,
      unit: 'calls/s',
    });
    rows.push({
      bench: 'ca-issue',
      metric: `gRPC CreateCertificate, ${key.label} CA, ${CALLERS} callers (TLS, token, CSR verified, audited)`,
      value: rate,
      baselineName: openssl1(key),
      baseline: openssl,
      unit: 'certs/s',
    });
  }
  return rows;
}
