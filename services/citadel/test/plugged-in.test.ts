import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { connectBus, provisionMesh } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { startNatsServer } from '@jetmesh/testing';
import { CacertsError, startCitadel } from '../src/citadel.js';
import { chainOf, defaultOptions, failureOf, spiffe, startCitadelHarness, workloadCsr, type CitadelHarness } from './citadel-harness.js';

/** An Istio-style cacerts directory made by openssl: an RSA root and an ECDSA intermediate that signs. */
function makeCacerts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cacerts-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  writeFileSync(
    join(dir, 'ca.ext'),
    'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root-key.pem', '-out', 'root-cert.pem', '-days', '3650', '-subj', '/O=Example/CN=Example Root CA',
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.csr', '-subj', '/O=Example/CN=Example Intermediate CA');
  run('x509', '-req', '-in', 'ca.csr', '-CA', 'root-cert.pem', '-CAkey', 'root-key.pem', '-CAcreateserial', '-out', 'ca-cert.pem', '-days', '730', '-extfile', 'ca.ext');
  writeFileSync(join(dir, 'cert-chain.pem'), readFileSync(join(dir, 'ca-cert.pem'), 'utf8') + readFileSync(join(dir, 'root-cert.pem'), 'utf8'));
  return dir;
}

describe('plugged-in', () => {
  let dir: string;
  let h: CitadelHarness;
  before(async () => {
    dir = makeCacerts();
    h = await startCitadelHarness({ citadel: { cacertsDir: dir } });
  });
  after(async () => {
    await h.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('plugged-in: an intermediate from cacerts signs; the chain is leaf, intermediate, root and verifies with openssl', async () => {
    const client = await h.ca({ token: await h.mintToken('default', 'web') });
    const res = await client.createCertificate({ csr: workloadCsr(spiffe('default', 'web'), 'rsa').csr, validityDuration: 600 });
    assert.equal(res.certChain.length, 3);
    const [leaf, intermediate, root] = res.certChain.map((p) => new X509Certificate(p)) as [X509Certificate, X509Certificate, X509Certificate];
    assert.equal(intermediate.subject, 'O=Example\nCN=Example Intermediate CA');
    assert.equal(root.subject, 'O=Example\nCN=Example Root CA');
    assert.equal(leaf.issuer, intermediate.subject);
    writeFileSync(join(dir, 'leaf.pem'), res.certChain[0]!);
    writeFileSync(join(dir, 'untrusted.pem'), res.certChain.slice(1).join(''));
    const out = execFileSync('openssl', ['verify', '-CAfile', 'root-cert.pem', '-untrusted', 'untrusted.pem', 'leaf.pem'], { cwd: dir, encoding: 'utf8' });
    assert.equal(out.trim(), 'leaf.pem: OK');
  });

  test('plugged-in: the trust bundle is root-cert.pem, and renewal over mTLS works through the intermediate', async () => {
    const bundle = await h.trustBundle();
    assert.deepEqual(bundle.roots.map((r) => r.state), ['plugged-in']);
    assert.equal(new X509Certificate(bundle.roots[0]!.pem).fingerprint256, new X509Certificate(readFileSync(join(dir, 'root-cert.pem'))).fingerprint256);
    const { csr, keyPem } = workloadCsr(spiffe('default', 'web'));
    const first = await (await h.ca({ token: await h.mintToken('default', 'web') })).createCertificate({ csr, validityDuration: 600 });
    const renewer = await h.ca({ clientCert: { keyPem, chainPem: chainOf(first) } });
    const renewed = await renewer.createCertificate({ csr: workloadCsr(spiffe('default', 'web')).csr, validityDuration: 600 });
    assert.equal(renewed.certChain.length, 3);
  });

  test('plugged-in: rotating a plugged-in root is FAILED_PRECONDITION', async () => {
    const failure = await failureOf((await h.admin()).rotateRoot({ reason: 'x' }));
    assert.equal(failure.name, 'FAILED_PRECONDITION');
    assert.deepEqual(failure.lines, ['the root is plugged in from cacerts files; replace those files to rotate it']);
  });

  test('plugged-in: a cacerts key that does not match ca-cert.pem stops citadel with the reason', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'cacerts-broken-'));
    for (const f of ['ca-cert.pem', 'root-cert.pem', 'cert-chain.pem']) copyFileSync(join(dir, f), join(broken, f));
    copyFileSync(join(dir, 'root-key.pem'), join(broken, 'ca-key.pem'));
    const nats = await startNatsServer();
    const log = createLogger('citadel-test', 'silent');
    const bus = await connectBus(nats.url, log);
    try {
      await provisionMesh(bus);
      await assert.rejects(
        startCitadel(bus, { ...defaultOptions, cacertsDir: broken, registry: new Registry() }, log),
        (err: unknown) => err instanceof CacertsError && err.message === `cannot use the CA in ${broken}:\n${broken}: CA key does not belong to the CA certificate`,
      );
    } finally {
      await bus.close();
      await nats.dispose();
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
