import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { Buckets, CaAuditSubjects, connectBus, openJsonBucket, provisionMesh, readStream, Streams, TrustKeys, type Bus } from '@jetmesh/bus';
import { startCitadel, type Citadel, type CitadelOptions } from '@jetmesh/citadel';
import { createLogger, type Logger } from '@jetmesh/log';
import { CaAuditEventCodec, TrustBundleCodec, trustBundlePem, type CertificateIssued, type TrustBundle } from '@jetmesh/model';
import { caChannelCredentials, createCaAdminClient, type CaAdminClient } from '@jetmesh/rpc';
import { eventually, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { CertificateRefusedError, startWorkloadIdentity, type WorkloadCredentials, type WorkloadIdentity, type WorkloadIdentityOptions } from '../src/identity/workload-identity.js';
import { istioPrincipal, peerIdentityCheck, peerSpiffeId } from '../src/identity/peer-identity.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PROPAGATION_MS = 800;
const GRACE_MS = 4_000;

const citadelOptions: Omit<CitadelOptions, 'registry'> = {
  host: '127.0.0.1',
  port: 0,
  trustDomain: 'cluster.local',
  rootKey: 'ecdsa-p256',
  rootTtlMs: 10 * 365 * DAY,
  defaultTtlMs: DAY,
  maxTtlMs: 90 * DAY,
  rootPropagationMs: PROPAGATION_MS,
  rootGraceMs: GRACE_MS,
  serverNames: ['localhost', '127.0.0.1'],
  serverCertTtlMs: DAY,
  tokenTtlMs: HOUR,
  maxTokenTtlMs: DAY,
  maxRequestBytes: 256 * 1024,
};

/** Two ends of a real mutual-TLS handshake built from two identities, each checking the other as a proxy would. */
async function handshake(
  server: WorkloadCredentials,
  client: WorkloadCredentials,
  clientExpects: { namespace: string; serviceAccount: string } | undefined,
): Promise<{ serverSaw: string | undefined; clientSaw: string | undefined }> {
  let serverSaw: (id: string | undefined) => void = () => {};
  const seenByServer = new Promise<string | undefined>((r) => (serverSaw = r));
  const tlsServer = createServer({ key: server.keyPem, cert: server.chainPem, ca: server.rootsPem, requestCert: true, rejectUnauthorized: true }, (socket: TLSSocket) => {
    serverSaw(peerSpiffeId(socket.getPeerCertificate()));
    socket.end();
  });
  tlsServer.on('tlsClientError', () => serverSaw(undefined));
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  try {
    const { port } = tlsServer.address() as AddressInfo;
    const clientSaw = await new Promise<string | undefined>((resolve, reject) => {
      const socket = connect(
        {
          host: '127.0.0.1',
          port,
          key: client.keyPem,
          cert: client.chainPem,
          ca: client.rootsPem,
          rejectUnauthorized: true,
          checkServerIdentity: peerIdentityCheck({ trustDomain: 'cluster.local', ...(clientExpects === undefined ? {} : { expected: clientExpects }) }),
        },
        () => {
          resolve(peerSpiffeId(socket.getPeerCertificate()));
          socket.end();
        },
      );
      socket.on('error', reject);
    });
    return { serverSaw: await seenByServer, clientSaw };
  } finally {
    await new Promise<void>((r) => tlsServer.close(() => r()));
  }
}

const leafOf = (c: WorkloadCredentials): X509Certificate => new X509Certificate(c.chainPem);
const chainCerts = (pem: string): X509Certificate[] => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b));

describe('workload identity over a real citadel', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  let citadel: Citadel;
  let admin: CaAdminClient;
  let log: Logger;
  const started: WorkloadIdentity[] = [];

  const trustBundle = async (): Promise<TrustBundle> => {
    const entry = await (await openJsonBucket(bus, Buckets.trust, TrustBundleCodec)).get(TrustKeys.roots);
    if (entry === undefined) throw new Error('no trust bundle');
    return entry.value;
  };
  const token = async (namespace: string, serviceAccount: string): Promise<string> => (await admin.createToken({ namespace, serviceAccount, ttlSeconds: 3600 })).token;
  const identity = (o: Partial<WorkloadIdentityOptions> & { namespace: string; serviceAccount: string; token: string }): WorkloadIdentity => {
    const agent = startWorkloadIdentity({ caAddress: citadel.address, caServerName: 'localhost', bus, log, retry: { initialMs: 200, maxMs: 2_000 }, ...o });
    started.push(agent);
    return agent;
  };
  const issued = async (spiffe: string): Promise<CertificateIssued[]> => {
    const events: CertificateIssued[] = [];
    for await (const e of readStream(bus, { stream: Streams.audit, codec: CaAuditEventCodec, fromSequence: 1, filterSubject: CaAuditSubjects.all })) {
      if (e.value.type === 'CertificateIssued' && e.value.identity === spiffe) events.push(e.value);
    }
    return events;
  };

  before(async () => {
    nats = await startNatsServer();
    log = createLogger('proxy-identity-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');
    bus = await connectBus(nats.url, log, { name: 'identity-test' });
    await provisionMesh(bus);
    citadel = await startCitadel(bus, { ...citadelOptions, registry: new Registry(), replica: 'citadel-0' }, log);
    admin = createCaAdminClient(citadel.address, {
      credentials: caChannelCredentials({ rootsPem: trustBundlePem(await trustBundle()) }),
      adminToken: citadel.adminSecret,
      serverName: 'localhost',
      actor: 'tester@test',
    });
  });
  after(async () => {
    for (const agent of started) agent.stop();
    admin?.close();
    await citadel?.close();
    await bus?.close();
    await nats?.dispose();
  });

  test('identity.happy: the first certificate names the SPIFFE ID as its one URI SAN, is for the local key and chains to the trust bundle', async () => {
    const agent = identity({ namespace: 'default', serviceAccount: 'reviews', token: await token('default', 'reviews') });
    await agent.ready;
    const creds = agent.current();
    assert.ok(creds !== undefined);
    assert.equal(creds.spiffeId, 'spiffe://cluster.local/ns/default/sa/reviews');
    const leaf = leafOf(creds);
    assert.equal(leaf.subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/reviews');
    assert.equal(peerSpiffeId(leaf), creds.spiffeId);
    assert.equal(istioPrincipal(creds.spiffeId), 'cluster.local/ns/default/sa/reviews');
    assert.deepEqual(
      createPublicKey(createPrivateKey(creds.keyPem)).export({ type: 'spki', format: 'der' }),
      leaf.publicKey.export({ type: 'spki', format: 'der' }),
      'the certificate is for the key generated locally',
    );
    assert.equal(creds.notAfter.getTime(), Date.parse(leaf.validTo));
    assert.equal(creds.rootsPem, trustBundlePem(await trustBundle()));
    const chain = chainCerts(creds.chainPem);
    const root = chain[chain.length - 1]!;
    assert.ok(chainCerts(creds.rootsPem).some((r) => r.fingerprint256 === root.fingerprint256), 'the chain ends at a root of the bundle');
    assert.ok(chain.every((c, i) => i === chain.length - 1 || c.verify(chain[i + 1]!.publicKey)), 'each certificate is signed by the next');
  });

  test('identity.renewal: a short-lived certificate is renewed before it expires, with a new key, over mTLS with the current certificate', async () => {
    const agent = identity({ namespace: 'default', serviceAccount: 'ratings', token: await token('default', 'ratings'), ttlSeconds: 3 });
    const changes: WorkloadCredentials[] = [];
    agent.onChange((c) => changes.push(c));
    await agent.ready;
    const first = agent.current()!;
    const renewed = await eventually(async () => changes.find((c) => c.chainPem !== first.chainPem), 'a renewed certificate', 5_000);
    assert.ok(Date.now() < first.notAfter.getTime(), 'renewed while the first certificate was still valid');
    assert.ok(renewed.notAfter > first.notAfter);
    assert.notEqual(renewed.keyPem, first.keyPem, 'a new key per renewal');
    assert.equal(agent.current()?.chainPem, renewed.chainPem);
    const requesters = (await issued(first.spiffeId)).map((e) => e.requester.split(' ')[0]);
    assert.equal(requesters[0], 'token');
    assert.ok(requesters.slice(1).length > 0 && requesters.slice(1).every((r) => r === 'certificate'), `renewals authenticate by certificate: ${requesters.join(', ')}`);
  });

  test('identity.mtls: two identities complete a mutual TLS handshake and each sees the other’s SPIFFE ID; a client expecting another service account refuses', async () => {
    const a = identity({ namespace: 'default', serviceAccount: 'productpage', token: await token('default', 'productpage') });
    const b = identity({ namespace: 'shop', serviceAccount: 'cart', token: await token('shop', 'cart') });
    await Promise.all([a.ready, b.ready]);
    const seen = await handshake(a.current()!, b.current()!, { namespace: 'default', serviceAccount: 'productpage' });
    assert.deepEqual(seen, { serverSaw: 'spiffe://cluster.local/ns/shop/sa/cart', clientSaw: 'spiffe://cluster.local/ns/default/sa/productpage' });
    const anyone = await handshake(b.current()!, a.current()!, undefined);
    assert.equal(anyone.clientSaw, 'spiffe://cluster.local/ns/shop/sa/cart', 'no expectation: any identity of the trust domain');
    await assert.rejects(handshake(a.current()!, b.current()!, { namespace: 'default', serviceAccount: 'reviews' }), {
      name: 'PeerIdentityError',
      message: 'peer is spiffe://cluster.local/ns/default/sa/productpage, expected spiffe://cluster.local/ns/default/sa/reviews',
    });
  });

  test('identity.errors: a bad token rejects ready with citadel’s reason; a token of another identity is refused as a mismatch', async () => {
    const garbage = identity({ namespace: 'default', serviceAccount: 'reviews', token: 'not.a.token' });
    const refused = await garbage.ready.then(
      () => assert.fail('ready resolved'),
      (err: unknown) => err,
    );
    assert.ok(refused instanceof CertificateRefusedError);
    assert.equal(refused.code, 'UNAUTHENTICATED');
    assert.ok(refused.reasons.length > 0 && refused.reasons.every((r) => r.startsWith('authorization')), refused.reasons.join('\n'));
    assert.equal(garbage.current(), undefined);

    const other = identity({ namespace: 'default', serviceAccount: 'reviews', token: await token('default', 'details') });
    const mismatch = await other.ready.then(
      () => assert.fail('ready resolved'),
      (err: unknown) => err as CertificateRefusedError,
    );
    assert.equal(mismatch.code, 'PERMISSION_DENIED');
    assert.match(mismatch.message, /spiffe:\/\/cluster\.local\/ns\/default\/sa\/details/, mismatch.message);
  });

  test('identity.rotation: a root rotation reaches rootsPem, and the certificate moves to the new root before the old one is removed', async () => {
    const agent = identity({ namespace: 'default', serviceAccount: 'details', token: await token('default', 'details') });
    await agent.ready;
    const before = agent.current()!;
    const oldRoot = chainCerts(before.chainPem).at(-1)!;
    const rotated = await admin.rotateRoot({ reason: 'proxy identity test' });
    const newRootPem = (await trustBundle()).roots.find((r) => r.id === rotated.newRootId)!.pem;
    const newRoot = new X509Certificate(newRootPem);

    const withBoth = await eventually(async () => {
      const c = agent.current();
      return c !== undefined && chainCerts(c.rootsPem).some((r) => r.fingerprint256 === newRoot.fingerprint256) ? c : undefined;
    }, 'the new root in rootsPem', 5_000);
    assert.ok(chainCerts(withBoth.rootsPem).some((r) => r.fingerprint256 === oldRoot.fingerprint256), 'the old root is still trusted during the rotation');

    const moved = await eventually(async () => {
      const c = agent.current();
      return c !== undefined && chainCerts(c.chainPem).at(-1)?.fingerprint256 === newRoot.fingerprint256 ? c : undefined;
    }, 'a certificate from the new root', PROPAGATION_MS + 5_000);
    assert.notEqual(moved.keyPem, before.keyPem);

    const onlyNew = await eventually(async () => {
      const c = agent.current();
      return c !== undefined && chainCerts(c.rootsPem).length === 1 ? c : undefined;
    }, 'the old root removed from rootsPem', GRACE_MS + 10_000);
    assert.equal(chainCerts(onlyNew.rootsPem)[0]!.fingerprint256, newRoot.fingerprint256);
    assert.equal(chainCerts(onlyNew.chainPem).at(-1)!.fingerprint256, newRoot.fingerprint256, 'still on the new root');
  });
});
