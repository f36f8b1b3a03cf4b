import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { bookinfoYaml, failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

/** The control plane's jetmesh_config_* counters as a scrape of galley's registry shows them. */
describe('galley jetmesh_config metrics', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness();
  });
  after(() => h.dispose());

  const scrape = async (): Promise<string> => (await h.registries[0]?.metrics()) ?? '';

  test('metrics.config: recorded changes are counted by kind and action, refusals by reason, dry runs not at all', async () => {
    const applied = await h.client.apply({ yaml: bookinfoYaml() });
    const kinds = applied.changes.map((c) => c.ref?.kind ?? '');
    await h.client.apply({ yaml: bookinfoYaml(), dryRun: true });
    await h.client.delete({ yaml: 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\n' });
    const unknownField = await failureOf(h.client.apply({ yaml: 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec: {hosts: [a], htp: []}\n' }));
    assert.equal(unknownField.code, status.INVALID_ARGUMENT);
    const missing = await failureOf(h.client.delete({ yaml: 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: none}\n' }));
    assert.equal(missing.code, status.NOT_FOUND);

    const text = await scrape();
    for (const kind of new Set(kinds)) {
      const count = kinds.filter((k) => k === kind).length;
      assert.match(text, new RegExp(`jetmesh_config_events_total\\{kind="${kind}",action="apply"\\} ${count}\\n`), text);
    }
    assert.match(text, /jetmesh_config_events_total\{kind="DestinationRule",action="delete"\} 1\n/);
    assert.match(text, /jetmesh_config_rejections_total\{reason="UNKNOWN_FIELD"\} 1\n/);
    assert.match(text, /jetmesh_config_rejections_total\{reason="NOT_FOUND"\} 1\n/);
  });
});
