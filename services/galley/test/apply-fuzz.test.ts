import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { status } from '@grpc/grpc-js';
import { isServiceError } from '@jetmesh/rpc';
import { startGalleyHarness, type GalleyHarness } from './galley-harness.js';
import { loadAnyKindDoc } from './model-test-support.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Breaks one thing somewhere in a document: a field dropped or given a strange value, or an unknown field added. */
const mutate = (doc: Json, pick: number, value: Json, drop: boolean): Json => {
  const paths: Array<Array<string | number>> = [];
  const walk = (v: Json, at: Array<string | number>): void => {
    paths.push(at);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(doc, []);
  const path = paths[pick % paths.length] ?? [];
  const copy = structuredClone(doc);
  if (path.length === 0) return drop ? copy : { ...(copy as Record<string, Json>), 'x-unknown': value };
  const parent = path.slice(0, -1).reduce<Json>((v, k) => (v as Record<string | number, Json>)[k] as Json, copy) as Record<string | number, Json>;
  const key = path[path.length - 1] as string | number;
  if (drop && !Array.isArray(parent)) delete parent[key];
  else parent[key] = value;
  return copy;
};

const strange: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, '', '*', -1, 0, 1.5, 70000, true, [], {}, 'UPPER_case', '%', 'a\nb'),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

describe('apply.fuzz', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness();
  });
  after(() => h.dispose());

  test('apply.fuzz: mutated documents never crash galley, are accepted or rejected with lines, and never publish an invalid event', async () => {
    const docs = await loadAnyKindDoc();
    const outcomes = { accepted: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(docs, fc.nat(), strange, fc.boolean(), async (doc, pick, value, drop) => {
        const yaml = JSON.stringify(mutate(doc as unknown as Json, pick, value, drop));
        try {
          await h.client.apply({ yaml });
          outcomes.accepted++;
        } catch (err) {
          assert.ok(isServiceError(err), String(err));
          // Bad input is the caller's problem; anything else would be a galley bug.
          assert.ok([status.INVALID_ARGUMENT, status.ABORTED, status.NOT_FOUND].includes(err.code), `${err.code}: ${err.details}`);
          assert.ok(err.details.trim().length > 0);
          outcomes.rejected++;
        }
      }),
      { numRuns: 300 },
    );
    assert.ok(outcomes.accepted > 0 && outcomes.rejected > 0, JSON.stringify(outcomes));
    assert.deepEqual(await h.invalidChangeSets(), []);
  });
});
