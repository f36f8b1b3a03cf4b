import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { CaAuditSubjects } from '@jetmesh/bus';
import { decodeJwt } from 'jose';
import { issuingGeneration } from '../src/authority-state.js';
import { CaKeys, openCaStore } from '../src/ca-store.js';
import { issueCertificate } from '../src/csr-signer.js';
import { loadSigningAuthority } from '../src/signing-authority.js';
import { chainOf, failureOf, spiffe, startCitadelHarness, workloadCsr, type CitadelHarness } from './citadel-harness.js';

const NO_CREDENTIAL =
  'no credential: send authorization: Bearer <token from jetmesh token create>, or renew over mutual TLS with a current certificate from a trusted root';

describe('auth.security', () => {
  let h: CitadelHarness;
  before(async () => {
    h = await startCitadelHarness();
  });
  after(() => h.dispose());

  /** A certificate for default/web obtained with a token, with its key. */
  const bootstrap = async (ns = 'default', sa = 'web'): Promise<{ keyPem: string; chainPem: string; serial: string }> => {
    const client = await h.ca({ token: await h.mintToken(ns, sa) });
    const { csr, keyPem } = workloadCsr(spiffe(ns, sa));
    const res = await client.createCertificate({ csr, validityDuration: 3600 });
    return { keyPem, chainPem: chainOf(res), serial: new X509Certificate(res.certChain[0]!).serialNumber };
  };

  test('auth.security: renewal over mTLS with the current certificate gets a new one for the same identity', async () => {
    const current = await bootstrap();
    const client = await h.ca({ clientCert: current });
    const { csr } = workloadCsr(spiffe('default', 'web'));
    const res = await client.createCertificate({ csr, validityDuration: 1800 });
    const renewed = new X509Certificate(res.certChain[0]!);
    assert.equal(renewed.subjectAltName, `URI:${spiffe('default', 'web')}`);
    assert.notEqual(renewed.serialNumber, current.serial);
    const events = await h.auditEvents(CaAuditSubjects.certificateIssued('default', 'web'));
    const record = events.find((e) => e.type === 'CertificateIssued' && e.serial === renewed.serialNumber);
    assert.ok(record !== undefined && record.type === 'CertificateIssued');
    assert.equal(record.requester, `certificate ${current.serial}`);
  });

  test('auth.security: renewal cannot change identity: a web certificate asking for db is PERMISSION_DENIED', async () => {
    const client = await h.ca({ clientCert: await bootstrap() });
    const failure = await failureOf(client.createCertificate({ csr: workloadCsr(spiffe('default', 'db')).csr, validityDuration: 600 }));
    assert.equal(failure.name, 'PERMISSION_DENIED');
    assert.deepEqual(failure.lines, [
      `csr.subjectAltName: asks for ${spiffe('default', 'db')} but the caller is ${spiffe('default', 'web')}; a workload may only request its own identity`,
    ]);
  });

  test('auth.security: renewal with an expired certificate is refused as unauthenticated', async () => {
    const store = await openCaStore(h.bus);
    const state = await store.authority.get(CaKeys.authority);
    assert.ok(state !== undefined);
    const authority = loadSigningAuthority(issuingGeneration(state.value).material);
    assert.ok(authority._tag === 'Right');
    const { csr: _unused, privateKey, keyPem } = workloadCsr(spiffe('default', 'web'));
    const expired = await issueCertificate(
      authority.right,
      { subjectPublicKeyInfo: createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), names: { uris: [spiffe('default', 'web')] }, ttlMs: 60_000 },
      new Date(Date.now() - 3 * 3600_000),
    );
    assert.ok(expired.notAfter.getTime() < Date.now());
    const client = await h.ca({ clientCert: { keyPem, chainPem: expired.chainPems.join('') } });
    const failure = await failureOf(client.createCertificate({ csr: workloadCsr(spiffe('default', 'web')).csr, validityDuration: 600 }));
    assert.equal(failure.name, 'UNAUTHENTICATED');
    assert.deepEqual(failure.lines, [NO_CREDENTIAL]);
  });

  test('auth.security: a token is never ignored: an expired token beside a valid certificate is refused', async () => {
    const store = await openCaStore(h.bus);
    const { createTokenIssuer } = await import('../src/token-issuer.js');
    const key = await store.tokenKey.get(CaKeys.tokenKey);
    assert.ok(key !== undefined);
    const issuer = await createTokenIssuer(key.value);
    const stale = await issuer.mint(
      { subject: spiffe('default', 'web'), audience: 'istio-ca', ttlSeconds: 60, namespace: 'default', serviceAccount: 'web' },
      new Date('2025-06-01T00:00:00Z'),
    );
    const client = await h.ca({ token: stale.token, clientCert: await bootstrap() });
    const failure = await failureOf(client.createCertificate({ csr: workloadCsr(spiffe('default', 'web')).csr, validityDuration: 600 }));
    assert.equal(failure.name, 'UNAUTHENTICATED');
    assert.deepEqual(failure.lines, ['authorization: token expired at 2025-06-01T00:01:00.000Z']);
  });

  test('auth.security: a minted token is scoped to one identity, audience istio-ca, expiring after its ttl', async () => {
    const admin = await h.admin();
    const before = Math.floor(Date.now() / 1000);
    const minted = await admin.createToken({ namespace: 'shop', serviceAccount: 'cart', ttlSeconds: 3600 });
    const claims = decodeJwt(minted.token);
    assert.equal(claims.sub, spiffe('shop', 'cart'));
    assert.equal(claims.aud, 'istio-ca');
    assert.equal(claims.ns, 'shop');
    assert.equal(claims.sa, 'cart');
    assert.equal(claims.jti, minted.tokenId);
    assert.ok((claims.exp ?? 0) - before >= 3599 && (claims.exp ?? 0) - before <= 3601);
    assert.equal(minted.identity, spiffe('shop', 'cart'));
    assert.equal(minted.expiresAt, new Date((claims.exp ?? 0) * 1000).toISOString());
  });

  test('auth.security: admin calls without the admin secret are UNAUTHENTICATED', async () => {
    const admin = await h.admin(0, 'guessed-secret');
    for (const call of [admin.createToken({ namespace: 'default', serviceAccount: 'web' }), admin.rotateRoot({ reason: 'x' })]) {
      const failure = await failureOf(call);
      assert.equal(failure.name, 'UNAUTHENTICATED');
      assert.deepEqual(failure.lines, ['authorization: admin secret missing or wrong (citadel writes it to JETMESH_ADMIN_TOKEN_FILE)']);
    }
  });

  test('auth.security: CreateToken reports a bad namespace, service account and ttl all at once', async () => {
    const admin = await h.admin();
    const failure = await failureOf(admin.createToken({ namespace: 'Bad_NS', serviceAccount: '-sa', ttlSeconds: 7 * 86_400 }));
    assert.equal(failure.name, 'INVALID_ARGUMENT');
    assert.deepEqual(failure.lines, [
      'namespace: namespace "Bad_NS" must be a DNS-1123 label (a-z 0-9 -, at most 63)',
      'service_account: service account "-sa" must be a DNS-1123 subdomain (a-z 0-9 - ., at most 253)',
      'ttl_seconds: 604800 seconds is longer than the maximum of 86400 seconds',
    ]);
  });

  test('auth.security: CreateConfigToken mints a jetmesh-config token with the actor, namespaces and verbs', async () => {
    const admin = await h.admin();
    const minted = await admin.createConfigToken({ actor: 'ci@build', namespaces: ['shop', 'shop'], verbs: ['apply', 'read'], ttlSeconds: 8 * 3600 });
    const claims = decodeJwt(minted.token);
    assert.equal(claims.sub, 'ci@build');
    assert.equal(claims.aud, 'jetmesh-config');
    assert.deepEqual(claims.namespaces, ['shop']);
    assert.deepEqual(claims.verbs, ['apply', 'read']);
    assert.equal(claims.jti, minted.tokenId);
    assert.equal(minted.actor, 'ci@build');
  });

  test('auth.security: CreateConfigToken reports a missing actor, an unknown verb and a bad namespace at once', async () => {
    const admin = await h.admin();
    const failure = await failureOf(admin.createConfigToken({ actor: '', namespaces: ['Bad_NS'], verbs: ['write'] }));
    assert.equal(failure.name, 'INVALID_ARGUMENT');
    assert.equal(failure.lines[0], 'actor: required: who holds the token');
    assert.ok(failure.lines.some((l) => l.startsWith('verbs[0]:')), failure.lines.join('\n'));
    assert.ok(failure.lines.some((l) => l.startsWith('namespaces[0]: namespace "Bad_NS"')), failure.lines.join('\n'));
  });
});
