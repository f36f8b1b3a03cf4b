import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isRight, type Either } from 'fp-ts/lib/Either.js';
import { ChangeSetCodec, decodeResource, GENESIS_HASH, RegistryEventCodec, type ChangeSet, type MeshResource, type RegistryEvent } from '../src/index.js';
import { changeSet, registryEvent } from './arbitraries.js';
import { anyKindDoc } from './kind-arbitraries.js';
import { pathsOf, setAt, type Json } from './json-mutation.js';

/*
 * Replay decodes stored ChangeSets through ChangeSetCodec.storedTextDecoder (a memo of resources
 * by exact text, a structural scan, a hand-written envelope check). It must accept exactly what
 * the strict path (JSON.parse + ChangeSetCodec.decode) accepts, with deep-equal values: when it
 * answers, the strict path must agree; when it does not, the strict path decides.
 */

const strict = (text: string): Either<unknown, ChangeSet> | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  return ChangeSetCodec.decode(json);
};

/** The property itself: what the fast path answers, the strict path answers the same. */
const agrees = (fast: (text: string) => ChangeSet | undefined, text: string): ChangeSet | undefined => {
  const value = fast(text);
  if (value === undefined) return undefined;
  const expected = strict(text);
  assert.ok(expected !== undefined && isRight(expected), `fast path accepted what the strict codec rejects: ${text}`);
  assert.deepStrictEqual(value, expected.right);
  return value;
};

const stored = (cs: ChangeSet, pretty: boolean): string => JSON.stringify(ChangeSetCodec.encode(cs), null, pretty ? 1 : undefined);

/** Resources of all ten kinds, as a stored ChangeSet carries them. */
const anyKindResource: fc.Arbitrary<MeshResource> = anyKindDoc
  .map((d) => decodeResource(d))
  .filter((r) => isRight(r))
  .map((r) => (r as { right: { resource: MeshResource } }).right.resource);

const storedChangeSets: fc.Arbitrary<ChangeSet[]> = fc
  .tuple(fc.array(changeSet(), { minLength: 1, maxLength: 5 }), fc.array(anyKindResource, { maxLength: 4 }))
  .map(([sets, extra]) => [
    ...sets,
    ...extra.map((resource, i): ChangeSet => ({ id: `x-${i}`, type: 'ChangeSet', at: '2024-05-01T00:00:00.000Z', actor: 'a', prev: GENESIS_HASH, changes: [{ op: 'apply', resource }] })),
  ]);

/** A log in which the same ChangeSets' resources recur (what the memo is for), some pretty-printed. */
const storedLog = storedChangeSets.chain((sets) =>
  fc.array(fc.tuple(fc.nat({ max: sets.length - 1 }), fc.boolean(), fc.uuid()), { minLength: 1, maxLength: 12 }).map((picks) =>
    picks.map(([i, pretty, id]) => stored({ ...sets[i]!, id }, pretty)),
  ),
);

test('fast-decode.property: valid stored ChangeSets, recurring or not, decode to exactly what the strict codec gives', () => {
  fc.assert(
    fc.property(storedLog, (texts) => {
      const fast = ChangeSetCodec.storedTextDecoder();
      for (const text of texts) assert.ok(agrees(fast, text) !== undefined, 'the fast path answers for every valid stored ChangeSet');
    }),
    { numRuns: 150 },
  );
});

const strangeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, '', 'ChangeSet', 'delete', 'apply', -0, 0, 1.5, true, [], {}, { op: 'apply' }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

/** A value-level edit anywhere: drop, replace, add an unknown field. */
const valueEdit = (text: string, pick: number, how: number, value: Json): string => {
  const doc = JSON.parse(text) as Json;
  const paths = pathsOf(doc);
  const path = paths[pick % paths.length]!;
  if (how === 0) return JSON.stringify(path.length === 0 ? doc : setAt(doc, path, undefined));
  if (how === 1) return JSON.stringify(setAt(doc, path, value));
  return JSON.stringify(setAt(doc, [...path, 'x-unknown'], value));
};

/** A character-level edit: what a torn write or a hand edit of the store does. */
const textEdit = (text: string, pick: number, how: number, ch: string): string => {
  const i = pick % (text.length + 1);
  if (how === 0) return text.slice(0, i) + ch + text.slice(i);
  if (how === 1) return text.slice(0, i) + text.slice(i + 1);
  return text.slice(0, i) + ch + text.slice(i + 1);
};

/** Shapes a structural scan could misread: repeated or escaped keys, trailing tokens after an object. */
const trickyEdit = (text: string, pick: number): string => {
  const tricks: Array<(t: string) => string> = [
    (t) => t.replace('"changes":', '"changes":[],"changes":'),
    (t) => t.replace(/"changes":(\[.*\])/s, '"changes":$1,"changes":$1'),
    (t) => t.replace('"resource":', '"resource":{},"resource":'),
    (t) => t.replace(/("resource":)(\{.*?\})(,|\})/s, '$1$2,"resource":$2$3'),
    (t) => t.replace('"changes":', '"ch\\u0061nges":'),
    (t) => t.replace('"resource":', '"r\\u0065source":'),
    (t) => t.replace(/\}\]/, '}e0]'),
    (t) => t.replace(/\}\]/, '} 1]'),
    (t) => t.replace('"resource":{', '"resource":-{'),
    (t) => t.replace(/\}$/, '}}'),
    (t) => t.replace(/\}$/, '} x'),
    (t) => t.replace('"changes":[', '"changes":[0,'),
    // Shapes the hand reader must read as JSON.parse does, or leave to the strict codec.
    (t) => t.replace(/\}$/, ',"reason":null,"rollbackOf":null}'),
    (t) => t.replace(/\}$/, ',"rollbackOf":1e2}'),
    (t) => t.replace(/\}$/, ',"rollbackOf":-0}'),
    (t) => t.replace(/\}$/, ',"rollbackOf":01}'),
    (t) => t.replace(/\}$/, ',"rollbackOf":1.}'),
    (t) => t.replace(/\}$/, ',"reason":"a\\"b\\u00e9\\n"}'),
    (t) => t.replace(/\}$/, ',"reason":"tab\there"}'),
    (t) => t.replace(/\}$/, ',"reason":"x}]"}'),
    (t) => t.replace('"op":"apply",', '').replace(/("resource":\{.*\})\}\]/s, '$1,"op":"apply"}]'),
    (t) => t.replace('"op":"apply"', '"op":"apply","x":1'),
    (t) => t.replace('"op":"apply"', '"op":"\\u0061pply"'),
    (t) => t.replace('"op":"apply"', '"op":"apply","op":"apply"'),
    (t) => t.replace('"op":"delete"', '"op":"delete","resource":{}'),
    (t) => t.replace('"prev":', '"pr\\u0065v":'),
    (t) => t.replace('"id":', '"id":null,"id":'),
    (t) => t.replace(/:/g, ' : ').replace(/,/g, ' ,\r\n\t'),
    (t) => `\ufeff${t}`,
  ];
  return tricks[pick % tricks.length]!(text);
};

test('fast-decode.property: a broken or tampered stored ChangeSet is never accepted unless the strict codec accepts it as the same value', () => {
  const edit = fc.oneof(
    fc.tuple(fc.nat(), fc.nat({ max: 2 }), strangeValue).map(([p, h, v]) => (t: string) => valueEdit(t, p, h, v)),
    fc.tuple(fc.nat(), fc.nat({ max: 2 }), fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', ' ', '0', 'e', '-', 'a', '\u00e9')).map(([p, h, c]) => (t: string) => textEdit(t, p, h, c)),
    fc.nat().map((p) => (t: string) => trickyEdit(t, p)),
  );
  fc.assert(
    fc.property(storedLog, fc.array(fc.tuple(fc.nat(), edit), { minLength: 1, maxLength: 8 }), (texts, edits) => {
      const fast = ChangeSetCodec.storedTextDecoder();
      // Primed with the originals, so an edited text's resources are memo hits wherever the edit left them whole.
      for (const text of texts) agrees(fast, text);
      for (const [i, e] of edits) agrees(fast, e(texts[i % texts.length]!));
    }),
    { numRuns: 300 },
  );
});

test('fast-decode: a tampered envelope around a resource seen before is left to the strict codec, which rejects it', () => {
  const fast = ChangeSetCodec.storedTextDecoder();
  const resource = decodeResource({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'a', namespace: 'default' }, spec: { hosts: ['a'], resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] } });
  assert.ok(isRight(resource));
  const cs: ChangeSet = { id: '1', type: 'ChangeSet', at: '2024-05-01T00:00:00.000Z', actor: 'alice', prev: GENESIS_HASH, changes: [{ op: 'apply', resource: resource.right.resource }] };
  const text = stored(cs, false);
  assert.deepStrictEqual(fast(text), cs);
  for (const tampered of [text.replace('"ChangeSet"', '"Changeset"'), text.replace('"op":"apply"', '"op":"put"'), text.replace('"actor":"alice"', '"actor":7'), text.replace('"changes":', '"by":"mallory","changes":')]) {
    assert.equal(fast(tampered), undefined, tampered);
    const expected = strict(tampered);
    assert.ok(expected !== undefined && !isRight(expected), tampered);
  }
});

test('fast-decode: valid JSON spellings of a stored ChangeSet are read by the fast path itself, to the strict value', () => {
  const resource = decodeResource({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'a', namespace: 'default' }, spec: { hosts: ['a'], resolution: 'STATIC', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] } });
  assert.ok(isRight(resource));
  const cs: ChangeSet = { id: '1', type: 'ChangeSet', at: '2024-05-01T00:00:00.000Z', actor: 'alice', prev: GENESIS_HASH, changes: [{ op: 'apply', resource: resource.right.resource }, { op: 'delete', ref: { kind: 'Gateway', namespace: 'default', name: 'gw' } }] };
  const text = stored(cs, false);
  const spellings = [
    text,
    stored(cs, true),
    text.replace(/\}$/, ',"reason":null,"rollbackOf":null}'),
    text.replace(/\}$/, ',"reason":"a\\"b\\u00e9\\n","rollbackOf":1e2}'),
    text.replace('"op":"apply","resource":{', '"resource":{').replace('}},{"op":"delete"', '},"op":"apply"},{"op":"delete"'),
    text.replace('"prev":', '"pr\\u0065v":').replace('"op":"delete"', '"op":"\\u0064elete"'),
    ` \n${text.replace(/:/g, ' : ').replace(/,/g, ' ,\r\n\t')}\t`,
  ];
  const fast = ChangeSetCodec.storedTextDecoder();
  for (const spelling of spellings) {
    assert.notEqual(fast(spelling), undefined, spelling);
    assert.ok(agrees(fast, spelling) !== undefined, spelling);
  }
});

test('fast-decode.property: stored registry events, intact or edited, decode through the fast path exactly as through the strict codec', () => {
  const strictRegistry = (text: string): Either<unknown, RegistryEvent> | undefined => {
    try {
      return RegistryEventCodec.decode(JSON.parse(text));
    } catch {
      return undefined;
    }
  };
  const tombstone = fc.record({ id: fc.string(), at: fc.string(), actor: fc.string(), namespace: fc.constantFrom('default', 'a-b', 'A', '', 'x.y'), name: fc.constantFrom('a', 'a.b', 'A', '', '-a'), type: fc.constant('WorkloadRemoved') });
  const text = fc.oneof(registryEvent().map((e) => JSON.stringify(RegistryEventCodec.encode(e))), tombstone.map((e) => JSON.stringify(e)));
  // Shapes the hand-read tombstone path must read as JSON.parse does, or leave to the strict codec.
  const tricks: Array<(t: string) => string> = [
    (t) => t.replace('"type":', '"t\\u0079pe":'),
    (t) => t.replace('"id":', '"id":"x","id":'),
    (t) => t.replace('"name":', '"name":null,"x":'),
    (t) => t.replace(/\}$/, ',"workload":null}'),
    (t) => t.replace('"WorkloadRemoved"', '"Workload\\u0052emoved"'),
    (t) => t.replace(/:/g, ' :\n').replace(/,/g, '\t, '),
    (t) => t.replace(/\}$/, '} '),
    (t) => t.replace(/\}$/, '}]'),
    (t) => t.replace('"actor":"', '"actor":"\u0001'),
  ];
  const edited = fc.oneof(
    text,
    fc.tuple(text, fc.nat()).map(([t, p]) => tricks[p % tricks.length]!(t)),
    fc.tuple(text, fc.nat(), fc.nat({ max: 2 }), strangeValue).map(([t, p, h, v]) => valueEdit(t, p, h, v)),
    fc.tuple(text, fc.nat(), fc.nat({ max: 2 }), fc.constantFrom('{', '}', '"', ',', ':', ' ', 'e', 'a')).map(([t, p, h, c]) => textEdit(t, p, h, c)),
  );
  fc.assert(
    fc.property(edited, (t) => {
      const value = RegistryEventCodec.storedTextDecoder()(t);
      const expected = strictRegistry(t);
      if (expected !== undefined && isRight(expected)) assert.deepStrictEqual(value, expected.right);
      else assert.equal(value, undefined, `fast path accepted what the strict codec rejects: ${t}`);
    }),
    { numRuns: 1000 },
  );
});
