import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { CaAuditSubjects, Streams } from '@jetmesh/bus';
import type { CaClient } from '@jetmesh/rpc';
import { failureOf, spiffe, startCitadelHarness, workloadCsr, type CitadelHarness } from './citadel-harness.js';

/*
 * Audit events are published together per turn of the event loop; these tests
 * hold citadel to what that must not change: every certificate handed out has
 * its own CertificateIssued event stored, and one whose event cannot be stored
 * is not handed out.
 */

const IDENTITIES = 8;
const CALLS_PER_IDENTITY = 6;

describe('audit.guarantee', () => {
  let h: CitadelHarness;
  let callers: Array<{ sa: string; client: CaClient }>;
  before(async () => {
    h = await startCitadelHarness();
    callers = await Promise.all(
      Array.from({ length: IDENTITIES }, async (_, i) => ({ sa: `worker-${i}`, client: await h.ca({ token: await h.mintToken('load', `worker-${i}`) }) })),
    );
  });
  after(() => h.dispose());

  /** All callers at once, CALLS_PER_IDENTITY each; what each call answered. */
  const burst = (): Promise<Array<{ sa: string; outcome: PromiseSettledResult<{ certChain: string[] }> }>> =>
    Promise.all(
      callers.flatMap(({ sa, client }) =>
        Array.from({ length: CALLS_PER_IDENTITY }, async () => ({
          sa,
          outcome: (await Promise.allSettled([client.createCertificate({ csr: workloadCsr(spiffe('load', sa)).csr, validityDuration: 600 })]))[0]!,
        })),
      ),
    );

  const issuedEvents = async (): Promise<Map<string, string>> => {
    const events = await h.auditEvents(CaAuditSubjects.all);
    return new Map(events.flatMap((e) => (e.type === 'CertificateIssued' ? [[e.serial, e.identity] as const] : [])));
  };

  test('audit.guarantee: concurrent requests each get their own certificate, each recorded once as CertificateIssued for its identity', async () => {
    const results = await burst();
    const stored = await issuedEvents();
    const serials = new Set<string>();
    for (const { sa, outcome } of results) {
      assert.equal(outcome.status, 'fulfilled');
      const leaf = new X509Certificate(outcome.value.certChain[0]!);
      assert.equal(leaf.subjectAltName, `URI:${spiffe('load', sa)}`);
      assert.equal(stored.get(leaf.serialNumber), spiffe('load', sa), `serial ${leaf.serialNumber} recorded for its identity`);
      serials.add(leaf.serialNumber);
    }
    assert.equal(serials.size, IDENTITIES * CALLS_PER_IDENTITY, 'every certificate has its own serial');
  });

  test('audit.guarantee: when MESH_AUDIT stops storing, only the certificates whose event was stored are handed out', async () => {
    const { config, state } = await h.bus.jsm.streams.info(Streams.audit);
    const room = 5;
    // A full stream that discards new messages refuses every further event, as a broken audit log would.
    await h.bus.jsm.streams.update(Streams.audit, { ...config, max_msgs: state.messages + room, discard: 'new' });
    try {
      const before = await issuedEvents();
      const results = await burst();
      const stored = await issuedEvents();
      const handedOut = results.flatMap(({ outcome }) => (outcome.status === 'fulfilled' ? [new X509Certificate(outcome.value.certChain[0]!).serialNumber] : []));
      assert.ok(handedOut.length <= room, `${handedOut.length} certificates handed out, room for ${room} events`);
      for (const serial of handedOut) assert.ok(stored.has(serial) && !before.has(serial), `certificate ${serial} handed out with its event stored`);
      const refused = results.filter(({ outcome }) => outcome.status === 'rejected');
      assert.equal(refused.length, results.length - handedOut.length);
      assert.ok(refused.length >= results.length - room);
      const failure = await failureOf(callers[0]!.client.createCertificate({ csr: workloadCsr(spiffe('load', 'worker-0')).csr, validityDuration: 600 }));
      assert.equal(failure.name, 'UNAVAILABLE');
      assert.match(failure.lines[0] ?? '', /^audit log unavailable, certificate not issued: /);
    } finally {
      await h.bus.jsm.streams.update(Streams.audit, config);
    }
    const res = await callers[1]!.client.createCertificate({ csr: workloadCsr(spiffe('load', 'worker-1')).csr, validityDuration: 600 });
    assert.ok((await issuedEvents()).has(new X509Certificate(res.certChain[0]!).serialNumber), 'issuing resumes once events are stored again');
  });
});
