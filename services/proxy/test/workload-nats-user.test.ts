import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import {
  bootstrapPermissions,
  Buckets,
  bucketStream,
  BusPermissionError,
  connectBus,
  createMeshAccount,
  formatCreds,
  meshAccountServerConfig,
  mintNatsUser,
  openJsonBucket,
  openSnapshotStore,
  parseCreds,
  provisionMesh,
  snapshotKeyForWorkload,
  Subjects,
  TrustKeys,
  type Bus,
  type BusLogger,
  type MeshAccountKeys,
} from '@jetmesh/bus';
import { startCitadel, type Citadel } from '@jetmesh/citadel';
import { createLogger } from '@jetmesh/log';
import { contentHash, TrustBundleCodec, trustBundlePem } from '@jetmesh/model';
import { caChannelCredentials, createCaAdminClient } from '@jetmesh/rpc';
import { decodeEnv, freePort } from '@jetmesh/runtime';
import { eventually, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { ProxyEnv } from '../src/env.js';
import { NATS_USER_FILE } from '../src/identity/workload-nats-user.js';
import { startProxy, type Proxy } from '../src/proxy.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A workload snapshot as pilot writes it (versioned, hashed). */
function workloadSnapshot(namespace: string, name: string, serviceAccount: string): unknown {
  const snapshot = { workload: { namespace, name, labels: { app: name }, serviceAccount }, mtls: { mode: 'PERMISSIVE', ports: {}, sources: [] }, authorization: [], gateways: [], warnings: [] };
  return { version: { config: 1, registry: 1 }, contentHash: contentHash(snapshot), snapshot };
}

class Recording implements BusLogger {
  readonly errors: string[] = [];
  info(): void {}
  warn(): void {}
  debug(): void {}
  error(_obj: object, msg?: string): void {
    this.errors.push(msg ?? '');
  }
}

describe('proxy on a mesh with NATS users: its own user from citadel', () => {
  let dir: string;
  let keys: MeshAccountKeys;
  let nats: NatsServerHandle;
  let owner: Bus;
  let citadel: Citadel;
  let proxy: Proxy;
  let proxyEnv: (name: string, extra?: Record<string, string>) => Promise<Record<string, string>>;
  const log = createLogger('proxy-nats-user-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jetmesh-proxy-jwt-'));
    keys = createMeshAccount();
    await writeFile(join(dir, 'operator.jwt'), keys.operatorJwt);
    await writeFile(join(dir, 'accounts.conf'), meshAccountServerConfig(keys, join(dir, 'operator.jwt')));
    nats = await startNatsServer({ configFile: join(dir, 'accounts.conf') });
    // Pilot's and citadel's side is one broad user here: the test is about what the proxy's user may do.
    owner = await connectBus(nats.url, log, { credentials: mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: 'owner', permissions: { publish: ['>'], subscribe: ['>'], responses: true } }) });
    await provisionMesh(owner);
    const store = await openSnapshotStore(owner);
    await store.put(snapshotKeyForWorkload('shop', 'cart-0'), workloadSnapshot('shop', 'cart-0', 'cart'), 'absent');
    await store.put(snapshotKeyForWorkload('shop', 'payments-0'), workloadSnapshot('shop', 'payments-0', 'payments'), 'absent');
    citadel = await startCitadel(
      owner,
      {
        host: '127.0.0.1', port: 0, trustDomain: 'cluster.local', rootKey: 'ecdsa-p256', rootTtlMs: 10 * 365 * DAY, defaultTtlMs: DAY, maxTtlMs: 90 * DAY,
        rootPropagationMs: 60_000, rootGraceMs: DAY, serverNames: ['localhost', '127.0.0.1'], serverCertTtlMs: DAY, tokenTtlMs: HOUR, maxTokenTtlMs: DAY,
        maxRequestBytes: 256 * 1024, registry: new Registry(), busAccount: { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.signingKeySeed },
      },
      log,
    );
    const trust = await openJsonBucket(owner, Buckets.trust, TrustBundleCodec);
    const bundle = await trust.get(TrustKeys.roots);
    assert.ok(bundle !== undefined, 'citadel published its roots');
    const admin = createCaAdminClient(citadel.address, { credentials: caChannelCredentials({ rootsPem: trustBundlePem(bundle.value) }), adminToken: citadel.adminSecret, serverName: 'localhost', actor: 'tester@test' });
    const { token } = await admin.createToken({ namespace: 'shop', serviceAccount: 'cart', ttlSeconds: 3600 });
    admin.close();
    // Every sidecar's bootstrap user: the trust bundle, nothing else.
    const bootstrapFile = join(dir, 'bootstrap.creds');
    await writeFile(bootstrapFile, formatCreds(mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: 'proxy-bootstrap', permissions: bootstrapPermissions() })), { mode: 0o600 });
    proxyEnv = async (name: string, extra: Record<string, string> = {}) => ({
      JETMESH_NATS_URL: nats.url,
      JETMESH_NATS_CREDS: bootstrapFile,
      JETMESH_PROXY_SERVICE: 'cart',
      JETMESH_PROXY_NAMESPACE: 'shop',
      JETMESH_PROXY_SERVICE_ACCOUNT: 'cart',
      JETMESH_PROXY_NAME: name,
      JETMESH_PROXY_PORT: '9080',
      JETMESH_PROXY_APP_PORT: String(await freePort()),
      JETMESH_PROXY_INBOUND_PORT: String(await freePort()),
      JETMESH_PROXY_OUTBOUND_PORT: String(await freePort()),
      JETMESH_PROXY_ADMIN_PORT: String(await freePort()),
      JETMESH_PROXY_TOKEN: token,
      JETMESH_CA_ADDRESS: citadel.address,
      JETMESH_CA_SERVER_NAME: 'localhost',
      JETMESH_PROXY_STATE_DIR: join(dir, name === 'cart-0' ? 'state' : `state-${name}`),
      JETMESH_PROXY_ACCESS_LOG: 'false',
      JETMESH_PROXY_HEARTBEAT: '1s',
      ...extra,
    });
    const env = decodeEnv(ProxyEnv, await proxyEnv('cart-0'));
    assert.ok(env._tag === 'Right', 'the proxy env decodes');
    proxy = await startProxy(env.right, log);
  });

  after(async () => {
    await proxy?.stop();
    await citadel?.close();
    await owner?.close();
    await nats?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('proxy.nats-user.happy: with only the bootstrap user it gets a certificate, then its own user, its own snapshot, and is ready', async () => {
    const ready = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${proxy.ports.admin}/ready`).catch(() => undefined);
      return res?.status === 200 ? res : undefined;
    }, 'the proxy ready (certificate and its workload snapshot)', 20_000);
    assert.equal(ready.status, 200);
    const dump = (await (await fetch(`http://127.0.0.1:${proxy.ports.admin}/config_dump`)).json()) as { inbound?: { snapshot?: { workload?: { name?: string } } } };
    assert.equal(dump.inbound?.snapshot?.workload?.name, 'cart-0');
    // A snapshot write reaches it over its own user's subscription.
    const store = await openSnapshotStore(owner);
    const current = await store.get(snapshotKeyForWorkload('shop', 'cart-0'));
    const next = workloadSnapshot('shop', 'cart-0', 'cart') as { version: { config: number } };
    next.version.config = 2;
    await store.put(snapshotKeyForWorkload('shop', 'cart-0'), next, current?.revision ?? 0);
    await eventually(async () => {
      const d = (await (await fetch(`http://127.0.0.1:${proxy.ports.admin}/config_dump`)).json()) as { inbound?: { version?: { config?: number } } };
      return d.inbound?.version?.config === 2 || undefined;
    }, 'the update of its own snapshot');
  });

  test('proxy.nats-user.security: the user citadel gave it may not read another workload\'s snapshot, publish config or read mesh_ca', async () => {
    const credsFile = join(dir, 'state', NATS_USER_FILE);
    const text = await eventually(async () => readFile(credsFile, 'utf8').catch(() => undefined), 'the proxy\'s NATS user saved');
    const recording = new Recording();
    const asProxy = await connectBus(nats.url, recording, { credentials: parseCreds(text), timeoutMs: 2_000 });
    try {
      assert.equal(asProxy.user, 'proxy shop/cart-0');
      const store = await openSnapshotStore(asProxy);
      assert.ok((await store.get(snapshotKeyForWorkload('shop', 'cart-0'))) !== undefined, 'its own snapshot');
      const denied = async (what: string, action: () => Promise<unknown>): Promise<void> => {
        const err = await action().then(() => assert.fail(`allowed: ${what}`), (e: unknown) => e);
        assert.ok(err instanceof BusPermissionError, `${what}: ${String(err)}`);
      };
      await denied('direct get of another workload', () => store.get(snapshotKeyForWorkload('shop', 'payments-0')));
      await denied('message get', () => asProxy.jsm.streams.getMessage(bucketStream(Buckets.snapshots), { last_by_subj: Subjects.snapshotKey(snapshotKeyForWorkload('shop', 'payments-0')) }));
      await denied('publish config', () => asProxy.js.publish(Subjects.config, new Uint8Array()));
      await denied('mesh_ca info', () => asProxy.jsm.streams.info(bucketStream(Buckets.ca)));
      const heard: string[] = [];
      asProxy.nc.subscribe(Subjects.snapshotUpdates(snapshotKeyForWorkload('shop', 'payments-0')), { callback: (err, msg) => void (err === null && heard.push(msg.subject)) });
      await eventually(() => recording.errors.some((m) => m.includes('may not subscribe to "mesh.snapshots.workload.shop.payments-0"')) || undefined, 'the subscription to another workload refused');
      const ownerStore = await openSnapshotStore(owner);
      const b = await ownerStore.get(snapshotKeyForWorkload('shop', 'payments-0'));
      await ownerStore.put(snapshotKeyForWorkload('shop', 'payments-0'), workloadSnapshot('shop', 'payments-0', 'payments'), b?.revision ?? 0);
      await sleep(300);
      assert.deepEqual(heard, []);
    } finally {
      await asProxy.close();
    }
    // The bootstrap user reads no snapshot at all.
    const bootstrap = await connectBus(nats.url, new Recording(), { credentials: parseCreds(await readFile(join(dir, 'bootstrap.creds'), 'utf8')), timeoutMs: 2_000 });
    try {
      const err = await bootstrap.jsm.streams.info(bucketStream(Buckets.snapshots)).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof BusPermissionError, 'the bootstrap user may not even look at mesh_snapshots');
    } finally {
      await bootstrap.close();
    }
  });

  test('proxy.nats-user.renewal: each renewed certificate brings a renewed user; after the first expired it still follows its snapshot', async () => {
    const key = snapshotKeyForWorkload('shop', 'cart-1');
    const store = await openSnapshotStore(owner);
    await store.put(key, workloadSnapshot('shop', 'cart-1', 'cart'), 'absent');
    const env = decodeEnv(ProxyEnv, await proxyEnv('cart-1', { JETMESH_PROXY_CERT_TTL: '4s' }));
    assert.ok(env._tag === 'Right');
    const shortLived = await startProxy(env.right, log);
    try {
      const dump = async (): Promise<{ inbound?: { version?: { config?: number } }; certificate?: { notAfter?: string } }> => (await fetch(`http://127.0.0.1:${shortLived.ports.admin}/config_dump`)).json() as Promise<{ inbound?: { version?: { config?: number } }; certificate?: { notAfter?: string } }>;
      const first = await eventually(async () => (await dump()).inbound !== undefined ? await dump() : undefined, 'its snapshot over its first user', 20_000);
      const firstNotAfter = Date.parse(first.certificate?.notAfter ?? '');
      // Past the first certificate's (and so the first user's) expiry, by then renewed at least once.
      await sleep(Math.max(0, firstNotAfter - Date.now()) + 1_500);
      const current = await store.get(key);
      const next = workloadSnapshot('shop', 'cart-1', 'cart') as { version: { config: number } };
      next.version.config = 7;
      await store.put(key, next, current?.revision ?? 0);
      await eventually(async () => ((await dump()).inbound?.version?.config === 7 ? true : undefined), 'the update, over a renewed user', 10_000);
    } finally {
      await shortLived.stop();
    }
  });
});
