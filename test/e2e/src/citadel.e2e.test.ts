import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caChannelCredentials, createCaClient } from '@jetmesh/rpc';
import { type MeshProcesses, startMeshProcesses } from '@jetmesh/testing';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';

describe('citadel walkthrough (citadel and the CLI as processes)', () => {
  let mesh: MeshProcesses;
  let dir: string;
  before(async () => {
    mesh = await startMeshProcesses({ services: ['citadel'] });
    dir = mkdtempSync(join(tmpdir(), 'citadel-e2e-'));
  });
  after(async () => {
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('token create → CreateCertificate with it → the chain verifies against `jetmesh ca root` with openssl; audit certs lists both', async () => {
    const minted = await mesh.cli(['token', 'create', '--namespace', 'default', '--service-account', 'web', '--ttl', '1h']);
    assert.equal(minted.code, 0, minted.stderr);
    assert.match(minted.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'the token alone on stdout');
    const token = minted.stdout.trim();

    const root = await mesh.cli(['ca', 'root']);
    assert.equal(root.code, 0, root.stderr);
    assert.equal(new X509Certificate(root.stdout).ca, true);
    writeFileSync(join(dir, 'root.pem'), root.stdout);

    // The workload side, as an Istio agent does it: its own key and CSR (here made by openssl), then the CA contract.
    execFileSync(
      'openssl',
      ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-subj', '/', '-addext', `subjectAltName=URI:${WEB}`, '-out', 'csr.pem'],
      { cwd: dir, stdio: 'pipe' },
    );
    const client = createCaClient(mesh.env.JETMESH_CITADEL_ADDRESS!, { credentials: caChannelCredentials({ rootsPem: root.stdout }), token, serverName: 'localhost' });
    try {
      const res = await client.createCertificate({ csr: readFileSync(join(dir, 'csr.pem'), 'utf8'), validityDuration: 3600 });
      writeFileSync(join(dir, 'leaf.pem'), res.certChain[0]!);
      writeFileSync(join(dir, 'chain.pem'), res.certChain.slice(1).join(''));
      const verified = execFileSync('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', 'chain.pem', 'leaf.pem'], { cwd: dir, encoding: 'utf8' });
      assert.equal(verified.trim(), 'leaf.pem: OK');
      const leaf = new X509Certificate(res.certChain[0]!);

      const audit = await mesh.cli(['audit', 'certs', '--identity', 'default/web']);
      assert.equal(audit.code, 0, audit.stderr);
      const lines = audit.stdout.trim().split('\n');
      assert.match(lines[0]!, /^TIME\s+EVENT\s+IDENTITY\s+SERIAL\s+EXPIRES\s+BY\s+REPLICA\s+DETAIL$/);
      assert.ok(lines.some((l) => l.includes('TokenMinted') && l.includes(WEB) && l.includes('e2e-tester')), audit.stdout);
      assert.ok(lines.some((l) => l.includes('CertificateIssued') && l.includes(WEB) && l.includes(leaf.serialNumber)), audit.stdout);

      const json = await mesh.cli(['audit', 'certs', '--identity', WEB, '-o', 'json']);
      const events = JSON.parse(json.stdout) as Array<{ type: string; serial?: string }>;
      assert.deepEqual(
        events.map((e) => e.type),
        ['TokenMinted', 'CertificateIssued'],
      );
      assert.equal(events[1]?.serial, leaf.serialNumber);
    } finally {
      client.close();
    }
  });

  it('ca rotate starts a rotation: ca root then prints both roots, audit certs shows the step', async () => {
    const rotated = await mesh.cli(['ca', 'rotate', '--reason', 'e2e rotation']);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /^root rotation started: new root [0-9a-f]{16} is trusted from now on\n {2}issuing from [0-9a-f]{16} at \S+\n {2}old root [0-9a-f]{16} removed from the trust bundle at \S+\n$/);
    const roots = await mesh.cli(['ca', 'root']);
    assert.equal(roots.stdout.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2);
    const again = await mesh.cli(['ca', 'rotate']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: a rotation from root [0-9a-f]{16} to [0-9a-f]{16} is in progress until \S+\n$/);
    const audit = await mesh.cli(['audit', 'certs']);
    assert.match(audit.stdout, /RootRotated .* added: e2e rotation/);
  });

  it('bad input: an invalid namespace is exit 1 with the reason, a bad --ttl exit 2, a missing admin secret exit 1', async () => {
    const invalid = await mesh.cli(['token', 'create', '--namespace', 'Bad_NS', '--service-account', 'web']);
    assert.equal(invalid.code, 1);
    assert.equal(invalid.stderr, 'error: namespace: namespace "Bad_NS" must be a DNS-1123 label (a-z 0-9 -, at most 63)\n');
    const ttl = await mesh.cli(['token', 'create', '--namespace', 'default', '--service-account', 'web', '--ttl', '5x']);
    assert.equal(ttl.code, 2);
    assert.equal(ttl.stderr, 'error: --ttl "5x": expected a duration in whole seconds, such as 90s, 30m, 1h or 1d\n');
    const identity = await mesh.cli(['audit', 'certs', '--identity', 'web']);
    assert.equal(identity.code, 2);
  });
});
