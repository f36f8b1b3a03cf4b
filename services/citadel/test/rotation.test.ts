import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaAuditSubjects } from '@jetmesh/bus';
import { trustBundlePem, type RootRotated } from '@jetmesh/model';
import { eventually } from '@jetmesh/testing';
import { rootIdOf } from '../src/signing-authority.js';
import { chainOf, failureOf, spiffe, startCitadelHarness, workloadCsr, type CitadelHarness } from './citadel-harness.js';
import { mutualTls, type TlsEnd } from './tls-pair.js';

const PROPAGATION_MS = 1500;
const GRACE_MS = 5000;

function opensslVerifies(bundlePem: string, chain: readonly string[]): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'citadel-rotation-'));
  try {
    writeFileSync(join(dir, 'bundle.pem'), bundlePem);
    writeFileSync(join(dir, 'leaf.pem'), chain[0]!);
    writeFileSync(join(dir, 'chain.pem'), chain.slice(1).join(''));
    return execFileSync('openssl', ['verify', '-CAfile', 'bundle.pem', '-untrusted', 'chain.pem', 'leaf.pem'], { cwd: dir, encoding: 'utf8' }).trim() === 'leaf.pem: OK';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('rotation', () => {
  let h: CitadelHarness;
  before(async () => {
    h = await startCitadelHarness({ citadel: { rootPropagationMs: PROPAGATION_MS, rootGraceMs: GRACE_MS } });
  });
  after(() => h.dispose());

  const issue = async (ns: string, sa: string): Promise<TlsEnd & { chain: string[]; rootId: string }> => {
    const client = await h.ca({ token: await h.mintToken(ns, sa) });
    const { csr, keyPem } = workloadCsr(spiffe(ns, sa));
    const res = await client.createCertificate({ csr, validityDuration: 3600 });
    return { keyPem, chainPem: chainOf(res), chain: res.certChain, rootId: rootIdOf(res.certChain[res.certChain.length - 1]!) };
  };

  test('rotation: add, activate after propagation, old and new certificates trust each other, old root removed after grace', async () => {
    const oldCert = await issue('default', 'reviews');
    const oldRootId = (await h.trustBundle()).roots[0]!.id;
    assert.equal(oldCert.rootId, oldRootId);
    const renewer = await h.ca({ clientCert: oldCert });
    await renewer.createCertificate({ csr: workloadCsr(spiffe('default', 'reviews')).csr, validityDuration: 600 });

    const admin = await h.admin();
    const started = await admin.rotateRoot({ reason: 'yearly rotation' });
    assert.equal(started.oldRootId, oldRootId);
    assert.notEqual(started.newRootId, oldRootId);
    assert.equal(Date.parse(started.oldRootRemovedAt) - Date.parse(started.activatesAt), GRACE_MS);

    // Step 1: the new root is trusted before anything is issued from it.
    const added = await h.trustBundle();
    assert.deepEqual(
      added.roots.map((r) => [r.id, r.state]),
      [
        [oldRootId, 'issuing'],
        [started.newRootId, 'next'],
      ],
    );
    const beforeActivation = Date.now();
    const stillOld = await issue('default', 'ratings');
    if (Date.now() < Date.parse(started.activatesAt) && beforeActivation < Date.parse(started.activatesAt)) assert.equal(stillOld.rootId, oldRootId);

    // Step 2: issuing from the new root; the old one stays trusted.
    await eventually(async () => ((await h.trustBundle()).roots.some((r) => r.id === started.newRootId && r.state === 'issuing') ? true : undefined), 'new root issuing', 10_000);
    const newCert = await issue('default', 'ratings');
    assert.equal(newCert.rootId, started.newRootId);
    const bundle = trustBundlePem(await h.trustBundle());
    assert.equal((await h.trustBundle()).roots.find((r) => r.id === oldRootId)?.state, 'retiring');

    for (const [server, client] of [
      [oldCert, newCert],
      [newCert, oldCert],
    ] as const) {
      const seen = await mutualTls(server, client, bundle);
      assert.ok(seen.serverAuthorized, 'the server verifies the client chain against the bundle');
      assert.ok(seen.clientAuthorized, 'the client verifies the server chain against the bundle');
    }
    assert.ok(opensslVerifies(bundle, oldCert.chain), 'old-root leaf verifies against the bundle');
    assert.ok(opensslVerifies(bundle, newCert.chain), 'new-root leaf verifies against the bundle');

    // Renewal with an old-root certificate still works during the grace period.
    const renewed = await renewer.createCertificate({ csr: workloadCsr(spiffe('default', 'reviews')).csr, validityDuration: 600 });
    assert.equal(rootIdOf(renewed.certChain[renewed.certChain.length - 1]!), started.newRootId);

    // Step 3: the old root leaves the bundle; its certificates no longer authenticate.
    await eventually(async () => ((await h.trustBundle()).roots.length === 1 ? true : undefined), 'old root removed', GRACE_MS + 10_000);
    assert.deepEqual(
      (await h.trustBundle()).roots.map((r) => [r.id, r.state]),
      [[started.newRootId, 'issuing']],
    );
    const onOpenConnection = await failureOf(renewer.createCertificate({ csr: workloadCsr(spiffe('default', 'reviews')).csr, validityDuration: 600 }));
    assert.equal(onOpenConnection.name, 'UNAUTHENTICATED');
    assert.deepEqual(onOpenConnection.lines, ['client certificate: does not chain to a currently trusted root']);
    const fresh = await h.ca({ clientCert: oldCert });
    const onNewConnection = await failureOf(fresh.createCertificate({ csr: workloadCsr(spiffe('default', 'reviews')).csr, validityDuration: 600 }));
    assert.equal(onNewConnection.name, 'UNAUTHENTICATED');
    assert.ok(!opensslVerifiesQuiet(trustBundlePem(await h.trustBundle()), oldCert.chain), 'old-root leaf no longer verifies against the bundle');

    // A client that trusts only the new bundle still reaches citadel (its server certificate moved too).
    const afterRemoval = await issue('default', 'reviews');
    assert.equal(afterRemoval.rootId, started.newRootId);

    const steps = (await h.auditEvents(CaAuditSubjects.rootRotated)).filter((e): e is RootRotated => e.type === 'RootRotated');
    assert.deepEqual(
      steps.map((e) => [e.phase, e.rootId]),
      [
        ['created', oldRootId],
        ['added', started.newRootId],
        ['activated', started.newRootId],
        ['removed', oldRootId],
      ],
    );
    assert.equal(steps[1]?.reason, 'yearly rotation');
    assert.equal(steps[1]?.actor, 'tester@test');
  });

  test('rotation: a second rotation while one is in progress is FAILED_PRECONDITION', async () => {
    const admin = await h.admin();
    const first = await admin.rotateRoot({ reason: 'one' });
    const failure = await failureOf(admin.rotateRoot({ reason: 'two' }));
    assert.equal(failure.name, 'FAILED_PRECONDITION');
    assert.deepEqual(failure.lines, [`a rotation from root ${first.oldRootId} to ${first.newRootId} is in progress until ${first.oldRootRemovedAt}`]);
  });
});

function opensslVerifiesQuiet(bundlePem: string, chain: readonly string[]): boolean {
  try {
    return opensslVerifies(bundlePem, chain);
  } catch {
    return false;
  }
}

describe('rotation.auto', () => {
  let h: CitadelHarness;
  before(async () => {
    // A 20 s root has less than 20% of its lifetime (which includes the 2 min backdate) left at once.
    h = await startCitadelHarness({ citadel: { rootTtlMs: 20_000, rootPropagationMs: 60_000, rootGraceMs: 60_000 } });
  });
  after(() => h.dispose());

  test('rotation.auto: a self-signed root with less than 20% of its lifetime left starts its own rotation', async () => {
    const bundle = await eventually(async () => {
      const b = await h.trustBundle();
      return b.roots.length === 2 ? b : undefined;
    }, 'automatic rotation', 10_000);
    assert.deepEqual(
      bundle.roots.map((r) => r.state),
      ['issuing', 'next'],
    );
    const added = (await h.auditEvents(CaAuditSubjects.rootRotated)).filter((e): e is RootRotated => e.type === 'RootRotated' && e.phase === 'added');
    assert.equal(added.length, 1, 'exactly one rotation started');
    assert.equal(added[0]?.reason, 'automatic: less than 20% of the root lifetime left');
    assert.equal(new X509Certificate(bundle.roots[1]!.pem).ca, true);
  });
});
