import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeResource, formatInvalid, resourceKindNames } from '../src/index.js';
import { badInputCatalogue } from './bad-input-catalogue.js';

for (const c of badInputCatalogue) {
  test(`decodeResource.errors: ${c.kind}: ${c.name}`, () => {
    const r = decodeResource(c.doc);
    assert.deepEqual(isLeft(r) ? r.left.map(formatInvalid) : ['<accepted>'], c.lines);
  });
}

test('decodeResource.errors: the catalogue has at least 150 cases and covers every kind', () => {
  assert.ok(badInputCatalogue.length >= 150, `only ${badInputCatalogue.length} cases`);
  const kinds = new Set(badInputCatalogue.map((c) => c.kind));
  assert.deepEqual(resourceKindNames.filter((k) => !kinds.has(k)), []);
});
