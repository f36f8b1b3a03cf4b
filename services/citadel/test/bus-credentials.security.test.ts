import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  Buckets,
  bucketStream,
  CaAuditSubjects,
  BusPermissionError,
  connectBus,
  createMeshAccount,
  createUserKeyPair,
  encodeEvent,
  meshAccountServerConfig,
  mintNatsUser,
  natsUserClaims,
  openSnapshotStore,
  provisionMesh,
  snapshotKeyForWorkload,
  Subjects,
  type Bus,
  type BusLogger,
  type MeshAccountKeys,
} from '@jetmesh/bus';
import { RegistryEventCodec, type RegistryEvent } from '@jetmesh/model';
import { caChannelCredentials, createBusCredentialsClient, errorLinesOf, isServiceError, type BusCredentialsClient } from '@jetmesh/rpc';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { spiffe, startCitadelHarness, workloadCsr, type CitadelHarness } from './citadel-harness.js';

const quiet: BusLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

/** A workload certificate for ns/sa, from citadel with a bootstrap token. */
async function workloadCertificate(h: CitadelHarness, namespace: string, serviceAccount: string): Promise<{ keyPem: string; chainPem: string; notAfter: Date }> {
  const client = await h.ca({ token: await h.mintToken(namespace, serviceAccount) });
  const { csr, keyPem } = workloadCsr(spiffe(namespace, serviceAccount));
  const res = await client.createCertificate({ csr, validityDuration: 3600 });
  return { keyPem, chainPem: res.certChain.join('\n'), notAfter: new Date(new X509Certificate(res.certChain[0] ?? '').validTo) };
}

async function busClient(h: CitadelHarness, cert?: { keyPem: string; chainPem: string }): Promise<BusCredentialsClient> {
  return createBusCredentialsClient(h.citadel.address, {
    credentials: caChannelCredentials({ rootsPem: await h.rootsPem(), ...(cert === undefined ? {} : { clientKeyPem: cert.keyPem, clientCertChainPem: cert.chainPem }) }),
    serverName: 'localhost',
  });
}

async function refusal(call: Promise<unknown>): Promise<{ code: string; lines: string[] }> {
  const err = await call.then(() => assert.fail('citadel issued what it must refuse'), (e: unknown) => e);
  assert.ok(isServiceError(err), `a gRPC status, got ${String(err)}`);
  return { code: grpc.status[err.code] ?? String(err.code), lines: errorLinesOf(err) };
}

describe('bus-credentials: citadel mints a workload its own NATS user', () => {
  let h: CitadelHarness;
  let keys: MeshAccountKeys;
  let dir: string;
  let meshNats: NatsServerHandle;
  let owner: Bus;

  before(async () => {
    keys = createMeshAccount();
    h = await startCitadelHarness({ citadel: { busAccount: { accountPublicKey: keys.accountPublicKey, signingKeySeed: keys.signingKeySeed } } });
    // The mesh's bus in operator mode, where the minted users connect; a broad owner writes two workloads' snapshots.
    dir = await mkdtemp(join(tmpdir(), 'jetmesh-citadel-jwt-'));
    await writeFile(join(dir, 'operator.jwt'), keys.operatorJwt);
    await writeFile(join(dir, 'accounts.conf'), meshAccountServerConfig(keys, join(dir, 'operator.jwt')));
    meshNats = await startNatsServer({ configFile: join(dir, 'accounts.conf') });
    owner = await connectBus(meshNats.url, quiet, { credentials: mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: 'owner', permissions: { publish: ['>'], subscribe: ['>'], responses: true } }) });
    await provisionMesh(owner, 'pilot');
    await provisionMesh(owner, 'citadel');
    const store = await openSnapshotStore(owner);
    await store.put(snapshotKeyForWorkload('shop', 'cart-0'), { mine: true }, 'absent');
    await store.put(snapshotKeyForWorkload('shop', 'payments-0'), { mine: false }, 'absent');
  });

  after(async () => {
    await owner?.close();
    await meshNats?.dispose();
    await h?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('bus.happy: the certificate\'s identity gets a user for its workload, expiring with the certificate, that reads its own snapshot only', async () => {
    const cert = await workloadCertificate(h, 'shop', 'cart');
    const user = createUserKeyPair();
    const client = await busClient(h, cert);
    const res = await client.createBusCredentials({ workloadName: 'cart-0', userPublicKey: user.publicKey });
    client.close();
    assert.equal(res.expiresAt, cert.notAfter.toISOString());
    assert.deepEqual(natsUserClaims(res.jwt), { name: 'proxy shop/cart-0', inboxPrefix: '_INBOX.proxy.shop.cart-0', expiresAt: cert.notAfter.getTime() / 1000 });

    // The seed never left the workload; with it and the minted JWT the workload connects.
    const bus = await connectBus(meshNats.url, quiet, { credentials: { jwt: res.jwt, seed: user.seed } });
    try {
      const store = await openSnapshotStore(bus);
      assert.deepEqual((await store.get(snapshotKeyForWorkload('shop', 'cart-0')))?.value, { mine: true });
      const refusedGet = await store.get(snapshotKeyForWorkload('shop', 'payments-0')).then(() => undefined, (e: unknown) => e);
      assert.ok(refusedGet instanceof BusPermissionError, 'another workload\'s snapshot is refused');
      const refusedConfig = await bus.js.publish(Subjects.config, new Uint8Array()).then(() => undefined, (e: unknown) => e);
      assert.ok(refusedConfig instanceof BusPermissionError, 'publishing config is refused');
      const refusedCa = await bus.jsm.streams.info(bucketStream(Buckets.ca)).then(() => undefined, (e: unknown) => e);
      assert.ok(refusedCa instanceof BusPermissionError, 'mesh_ca is refused');
    } finally {
      await bus.close();
    }
    // Someone else's key pair: the server refuses the JWT without the seed of the key it names.
    await assert.rejects(connectBus(meshNats.url, quiet, { credentials: { jwt: res.jwt, seed: createUserKeyPair().seed }, timeoutMs: 2_000 }));

    // Audited like a certificate: who, which workload, when, with what key, proven how.
    const issued = (await h.auditEvents(CaAuditSubjects.busUserIssued('shop', 'cart'))).filter((e) => e.type === 'BusUserIssued' && e.userPublicKey === user.publicKey);
    assert.equal(issued.length, 1);
    const [event] = issued;
    assert.ok(event?.type === 'BusUserIssued');
    assert.deepEqual(
      { actor: event.actor, identity: event.identity, workload: event.workload, expiresAt: event.expiresAt, requester: event.requester, replica: event.replica },
      { actor: spiffe('shop', 'cart'), identity: spiffe('shop', 'cart'), workload: 'shop/cart-0', expiresAt: res.expiresAt, requester: `certificate ${new X509Certificate(cert.chainPem).serialNumber}`, replica: 'citadel-0' },
    );
    assert.ok(Math.abs(Date.parse(event.at) - Date.now()) < 60_000, `recorded when it was issued: ${event.at}`);
  });

  test('bus.security: a name MESH_REGISTRY holds for another service account is refused; its own registered name is given', async () => {
    const register = async (name: string, serviceAccount: string): Promise<void> => {
      const event: RegistryEvent = { id: `${name}-1`, type: 'WorkloadRegistered', at: new Date().toISOString(), actor: spiffe('shop', serviceAccount), namespace: 'shop', name, workload: { address: '10.0.0.9', labels: { app: name }, serviceAccount } };
      await h.bus.js.publish(Subjects.registry('shop', name), encodeEvent(RegistryEventCodec, event));
    };
    await register('payments-0', 'payments');
    await register('cart-1', 'cart');
    const client = await busClient(h, await workloadCertificate(h, 'shop', 'cart'));
    try {
      const taken = await refusal(client.createBusCredentials({ workloadName: 'payments-0', userPublicKey: createUserKeyPair().publicKey }));
      assert.equal(taken.code, 'PERMISSION_DENIED');
      assert.deepEqual(taken.lines, ['workload_name: shop/payments-0 is registered to service account payments, not cart']);
      const own = await client.createBusCredentials({ workloadName: 'cart-1', userPublicKey: createUserKeyPair().publicKey });
      assert.equal(natsUserClaims(own.jwt).name, 'proxy shop/cart-1');
      const denied = (await h.auditEvents(CaAuditSubjects.busUserDenied({ namespace: 'shop', serviceAccount: 'cart' }))).filter((e) => e.type === 'BusUserDenied' && e.code === 'IDENTITY_MISMATCH');
      assert.equal(denied.length, 1, 'the refusal is recorded');
      assert.ok(denied[0]?.type === 'BusUserDenied');
      assert.deepEqual([denied[0].identity, denied[0].workload, denied[0].status, denied[0].reason], [spiffe('shop', 'cart'), 'shop/payments-0', 'PERMISSION_DENIED', taken.lines[0]]);
    } finally {
      client.close();
    }
  });

  test('bus.security: no certificate (a token is not enough), a bad request, or a citadel without the account key: refused', async () => {
    const user = createUserKeyPair().publicKey;
    const anonymous = await busClient(h);
    const none = await refusal(anonymous.createBusCredentials({ workloadName: 'cart-0', userPublicKey: user }));
    anonymous.close();
    assert.equal(none.code, 'UNAUTHENTICATED');
    assert.match(none.lines.join('\n'), /no client certificate/);

    const cert = await workloadCertificate(h, 'shop', 'cart');
    const client = await busClient(h, cert);
    const bad = await refusal(client.createBusCredentials({ workloadName: 'Cart_0', userPublicKey: keys.accountPublicKey }));
    client.close();
    assert.equal(bad.code, 'INVALID_ARGUMENT');
    assert.equal(bad.lines.length, 2, `both problems: ${bad.lines.join(' | ')}`);
    assert.match(bad.lines[0] ?? '', /^workload_name: /);
    assert.match(bad.lines[1] ?? '', /^user_public_key: must be a user public nkey/);

    const without = await startCitadelHarness();
    try {
      const c = await without.ca({ token: await without.mintToken('shop', 'cart') });
      const { csr, keyPem } = workloadCsr(spiffe('shop', 'cart'));
      const chain = (await c.createCertificate({ csr, validityDuration: 3600 })).certChain.join('\n');
      const noAccount = createBusCredentialsClient(without.citadel.address, { credentials: caChannelCredentials({ rootsPem: await without.rootsPem(), clientKeyPem: keyPem, clientCertChainPem: chain }), serverName: 'localhost' });
      const refused = await refusal(noAccount.createBusCredentials({ workloadName: 'cart-0', userPublicKey: user }));
      noAccount.close();
      assert.equal(refused.code, 'FAILED_PRECONDITION');
      assert.match(refused.lines.join('\n'), /mints no NATS users/);
    } finally {
      await without.dispose();
    }
  });

  test('bus.metrics: jetmesh_nats_users_total counts users issued and refusals by reason', async () => {
    const text = await h.registries[0]!.metrics();
    const value = (line: string): number => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const events = await h.auditEvents();
    const issued = events.filter((e) => e.type === 'BusUserIssued').length;
    const deniedBy = (code: string): number => events.filter((e) => e.type === 'BusUserDenied' && e.code === code).length;
    // Whatever ran before in this suite: the counter and the audit log agree, for each result and reason seen.
    assert.ok(issued >= 2, `users issued before this test: ${issued}`);
    assert.equal(value('jetmesh_nats_users_total{result="issued"}'), issued);
    for (const code of ['IDENTITY_MISMATCH', 'NO_CREDENTIAL', 'BAD_REQUEST']) {
      assert.ok(deniedBy(code) >= 1, `a ${code} refusal before this test`);
      assert.equal(value(`jetmesh_nats_users_total{result="denied",reason="${code}"}`), deniedBy(code), code);
    }
  });
});