import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';
import { loadBadInputCatalogue, type BadInput } from './model-test-support.js';

/** How galley names a document that names itself (kind, namespace, name). */
const label = (doc: Record<string, unknown>): string => {
  const m = doc.metadata as { name: string; namespace: string };
  return `document 1 (${String(doc.kind)} ${m.namespace}/${m.name})`;
};

const catalogue: readonly BadInput[] = await loadBadInputCatalogue();

describe('apply.errors.catalogue', () => {
  let h: GalleyHarness;
  let seeded: number;
  before(async () => {
    h = await startGalleyHarness();
    seeded = (await h.client.apply({ yaml: 'apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: seed}\nspec: {address: 10.0.0.1}\n' })).sequence;
  });
  after(() => h.dispose());

  for (const c of catalogue) {
    test(`apply.errors.catalogue: ${c.kind}: ${c.name}`, async () => {
      // JSON is YAML: the document reaches galley exactly as written.
      const failure = await failureOf(h.client.apply({ yaml: JSON.stringify(c.doc) }));
      assert.deepEqual(failure, { code: status.INVALID_ARGUMENT, lines: c.lines.map((l) => `${label(c.doc)}: ${l}`) });
    });
  }

  test('apply.errors.catalogue: no rejected document moved the stream', async () => {
    assert.equal(await h.lastSequence(), seeded);
    assert.deepEqual(await h.invalidChangeSets(), []);
  });
});
