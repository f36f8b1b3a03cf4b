import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { CaAuditSubjects } from '@jetmesh/bus';
import { eventually } from '@jetmesh/testing';
import { rootIdOf } from '../src/signing-authority.js';
import { spiffe, startCitadelHarness, workloadCsr, type CitadelHarness } from './citadel-harness.js';

describe('replicas', () => {
  let h: CitadelHarness;
  before(async () => {
    h = await startCitadelHarness({ replicas: 2, together: true, citadel: { rootPropagationMs: 0, rootGraceMs: 60_000 } });
  });
  after(() => h.dispose());

  test('replicas: two replicas started at once create exactly one root', async () => {
    const bundle = await h.trustBundle();
    assert.equal(bundle.roots.length, 1);
    const created = (await h.auditEvents(CaAuditSubjects.rootRotated)).filter((e) => e.type === 'RootRotated' && e.phase === 'created');
    assert.equal(created.length, 1, 'one RootRotated(created) event');
    assert.equal(h.citadels[0]!.authority.current().signing.rootId, h.citadels[1]!.authority.current().signing.rootId);
    assert.equal(h.citadels[0]!.adminSecret, h.citadels[1]!.adminSecret, 'one admin secret for the mesh');
  });

  test('replicas: both issue chains that verify against the one root, each recording itself as the issuer', async () => {
    const root = new X509Certificate((await h.trustBundle()).roots[0]!.pem);
    for (const replica of [0, 1]) {
      const token = (await (await h.admin(replica)).createToken({ namespace: 'default', serviceAccount: `svc-${replica}` })).token;
      const client = await h.ca({ token }, replica);
      const res = await client.createCertificate({ csr: workloadCsr(spiffe('default', `svc-${replica}`)).csr, validityDuration: 600 });
      const leaf = new X509Certificate(res.certChain[0]!);
      assert.ok(leaf.verify(root.publicKey), `replica ${replica}'s leaf verifies with the root`);
      assert.equal(res.certChain[1]?.trim(), root.toString().trim());
      const issued = (await h.auditEvents(CaAuditSubjects.certificateIssued('default', `svc-${replica}`)))[0];
      assert.ok(issued?.type === 'CertificateIssued');
      assert.equal(issued.replica, `citadel-${replica}`);
    }
  });

  test('replicas: a rotation started on one replica is followed by the other', async () => {
    const started = await (await h.admin(0)).rotateRoot({ reason: 'replica test' });
    await eventually(async () => (h.citadels[1]!.authority.current().signing.rootId === started.newRootId ? true : undefined), 'replica 1 issuing from the new root');
    const token = await h.mintToken('default', 'follower');
    const res = await (await h.ca({ token }, 1)).createCertificate({ csr: workloadCsr(spiffe('default', 'follower')).csr, validityDuration: 600 });
    assert.equal(rootIdOf(res.certChain[res.certChain.length - 1]!), started.newRootId);
  });
});
