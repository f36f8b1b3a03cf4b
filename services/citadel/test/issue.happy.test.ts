import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaAuditSubjects } from '@jetmesh/bus';
import { CLOCK_SKEW_BACKDATE_MS } from '../src/csr-signer.js';
import { spiffe, startCitadelHarness, workloadCsr, type CitadelHarness } from './citadel-harness.js';

/** `openssl verify -CAfile root.pem -untrusted chain.pem leaf.pem`, as the issue asks; returns its output. */
function opensslVerify(rootsPem: string, chain: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'citadel-verify-'));
  try {
    writeFileSync(join(dir, 'root.pem'), rootsPem);
    writeFileSync(join(dir, 'chain.pem'), chain.slice(1).join(''));
    writeFileSync(join(dir, 'leaf.pem'), chain[0]!);
    return execFileSync('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', 'chain.pem', 'leaf.pem'], { cwd: dir, encoding: 'utf8' }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Extension lines of `openssl x509 -text`, e.g. "X509v3 Key Usage: critical" → its value line. */
function opensslExtensions(pem: string): Map<string, string> {
  const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: pem, encoding: 'utf8' });
  const lines = text.split('\n').map((l) => l.trim());
  const out = new Map<string, string>();
  lines.forEach((line, i) => {
    if (line.startsWith('X509v3 ')) out.set(line, lines[i + 1] ?? '');
  });
  return out;
}

for (const rootKey of ['ecdsa-p256', 'rsa-2048'] as const) {
  describe(`issue.happy (${rootKey} CA)`, () => {
    let h: CitadelHarness;
    before(async () => {
      h = await startCitadelHarness({ citadel: { rootKey } });
    });
    after(() => h.dispose());

    for (const workloadKey of ['ec', 'rsa'] as const) {
      test(`issue.happy: ${workloadKey.toUpperCase()} workload key on a ${rootKey} CA: chain verifies with openssl and Node, fields as specified`, async () => {
        const token = await h.mintToken('default', 'web');
        const client = await h.ca({ token });
        const { csr, privateKey } = workloadCsr(spiffe('default', 'web'), workloadKey, { commonName: 'ignored-by-the-ca' });
        const before = Date.now();
        const res = await client.createCertificate({ csr, validityDuration: 3600 });
        const after = Date.now();

        assert.equal(res.certChain.length, 2, 'leaf and root (self-signed: no intermediate)');
        const [leafPem, rootPem] = res.certChain as [string, string];
        const roots = await h.rootsPem();
        assert.equal(opensslVerify(roots, res.certChain), 'leaf.pem: OK');

        const leaf = new X509Certificate(leafPem);
        const root = new X509Certificate(rootPem);
        assert.ok(leaf.verify(root.publicKey), 'Node verifies the leaf with the root key');
        assert.ok(leaf.checkIssued(root));
        assert.ok(roots.includes(root.toString().trim()), 'the root in the chain is in the trust bundle');
        assert.ok(leaf.checkPrivateKey(privateKey), 'the certificate carries the CSR key');

        assert.ok(leaf.subject === undefined || leaf.subject === '', 'no subject: the identity is the SAN');
        assert.equal(leaf.subjectAltName, `URI:${spiffe('default', 'web')}`, 'exactly one URI SAN');
        assert.equal(leaf.ca, false);
        assert.deepEqual(leaf.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'extKeyUsage serverAuth+clientAuth');
        assert.match(leaf.serialNumber, /^[0-9A-F]{31,32}$/, '128-bit serial');

        const notBefore = Date.parse(leaf.validFrom);
        const notAfter = Date.parse(leaf.validTo);
        assert.ok(notBefore <= before - CLOCK_SKEW_BACKDATE_MS + 1000 && notBefore >= before - CLOCK_SKEW_BACKDATE_MS - 2000, 'backdated by the clock-skew allowance');
        assert.ok(notAfter >= before + 3600_000 - 1000 && notAfter <= after + 3600_000, 'valid for the hour asked');

        const ext = opensslExtensions(leafPem);
        assert.equal(ext.get('X509v3 Basic Constraints: critical'), 'CA:FALSE');
        assert.equal(ext.get('X509v3 Key Usage: critical'), 'Digital Signature, Key Encipherment');
        assert.equal(ext.get('X509v3 Extended Key Usage:'), 'TLS Web Server Authentication, TLS Web Client Authentication');
        assert.equal(ext.get('X509v3 Subject Alternative Name: critical'), `URI:${spiffe('default', 'web')}`);
        const ski = ext.get('X509v3 Subject Key Identifier:');
        const rootSki = opensslExtensions(rootPem).get('X509v3 Subject Key Identifier:');
        assert.match(ski ?? '', /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
        assert.equal(ext.get('X509v3 Authority Key Identifier:')?.replace(/^keyid:/, ''), rootSki, 'AKI names the root key');
      });
    }

    test('issue.happy: validity 0 means the default of 24h', async () => {
      const client = await h.ca({ token: await h.mintToken('default', 'web') });
      const res = await client.createCertificate({ csr: workloadCsr(spiffe('default', 'web')).csr, validityDuration: 0 });
      const leaf = new X509Certificate(res.certChain[0]!);
      const lifetime = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
      assert.ok(Math.abs(lifetime - (24 * 3600_000 + CLOCK_SKEW_BACKDATE_MS)) <= 2000, `lifetime ${lifetime} ms`);
    });

    test('issue.happy: every issued certificate is in MESH_AUDIT with serial, identity, validity, requester and replica', async () => {
      const admin = await h.admin();
      const minted = await admin.createToken({ namespace: 'shop', serviceAccount: 'cart', ttlSeconds: 600 });
      const client = await h.ca({ token: minted.token });
      const res = await client.createCertificate({ csr: workloadCsr(spiffe('shop', 'cart')).csr, validityDuration: 7200 });
      const leaf = new X509Certificate(res.certChain[0]!);
      const events = await h.auditEvents(CaAuditSubjects.identity('shop', 'cart'));
      const issued = events.find((e) => e.type === 'CertificateIssued');
      assert.ok(issued !== undefined && issued.type === 'CertificateIssued');
      assert.equal(issued.serial, leaf.serialNumber);
      assert.equal(issued.identity, spiffe('shop', 'cart'));
      assert.equal(issued.notBefore, new Date(leaf.validFrom).toISOString());
      assert.equal(issued.notAfter, new Date(leaf.validTo).toISOString());
      assert.equal(issued.requester, `token ${minted.tokenId}`);
      assert.equal(issued.replica, 'citadel-0');
      const mintedEvent = events.find((e) => e.type === 'TokenMinted');
      assert.ok(mintedEvent !== undefined && mintedEvent.type === 'TokenMinted');
      assert.equal(mintedEvent.tokenId, minted.tokenId);
      assert.equal(mintedEvent.actor, 'tester@test');
    });
  });
}
