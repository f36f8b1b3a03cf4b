import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { failureOf, spiffe, startCitadelHarness, workloadCsr, type CitadelHarness } from './citadel-harness.js';

describe('metrics', () => {
  let h: CitadelHarness;
  before(async () => {
    h = await startCitadelHarness();
  });
  after(() => h.dispose());

  test('metrics: received, jetmesh_csr_total by result (succeeded, denied by reason) and sign latency count what callers did', async () => {
    const withToken = await h.ca({ token: await h.mintToken('default', 'web') });
    await withToken.createCertificate({ csr: workloadCsr(spiffe('default', 'web')).csr, validityDuration: 600 });
    await withToken.createCertificate({ csr: workloadCsr(spiffe('default', 'web')).csr, validityDuration: 600 });
    await failureOf(withToken.createCertificate({ csr: workloadCsr(spiffe('default', 'db')).csr, validityDuration: 600 }));
    await failureOf((await h.ca({})).createCertificate({ csr: workloadCsr(spiffe('default', 'web')).csr, validityDuration: 600 }));
    const text = await h.registries[0]!.metrics();
    const value = (line: string): number => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    assert.equal(value('citadel_csr_received_total'), 4);
    assert.equal(value('jetmesh_csr_total{result="succeeded"}'), 2);
    assert.equal(value('jetmesh_csr_total{result="denied",reason="IDENTITY_MISMATCH"}'), 1);
    assert.equal(value('jetmesh_csr_total{result="denied",reason="NO_CREDENTIAL"}'), 1);
    assert.doesNotMatch(text, /^citadel_csr_(succeeded|denied)_total/m, 'the old names are gone');
    assert.equal(value('citadel_sign_duration_seconds_count'), 2);
    assert.equal(value('citadel_tokens_minted_total'), 1);
  });
});
