import fc from 'fast-check';

/*
 * One-edit mutations of JSON values, for properties over broken documents: drop a field, put a
 * strange value, add an unknown field, empty a list or map, repeat an item, null a field, reverse
 * an object's key order, add a `__proto__` key. Copies are made with defineProperty so a
 * `__proto__` key stays an entry and never becomes a prototype.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonPath = ReadonlyArray<string | number>;

export const pathsOf = (value: Json, at: JsonPath = []): JsonPath[] => {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => pathsOf(v, [...at, i]))];
  if (value !== null && typeof value === 'object') return [at, ...Object.keys(value).flatMap((k) => pathsOf(value[k]!, [...at, k]))];
  return [at];
};

const entry = (o: Record<string, Json>, k: string, v: Json): void => {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
};

const copyObject = (o: { [k: string]: Json }, keys: readonly string[] = Object.keys(o)): Record<string, Json> => {
  const out: Record<string, Json> = {};
  for (const k of keys) entry(out, k, o[k]!);
  return out;
};

export const getAt = (value: Json, path: JsonPath): Json =>
  path.reduce<Json>((v, k) => (Array.isArray(v) ? v[k as number]! : (v as Record<string, Json>)[k as string]!), value);

/** `value` with the node at `path` replaced by `next`, or removed when `next` is undefined. */
export const setAt = (value: Json, path: JsonPath, next: Json | undefined): Json => {
  if (path.length === 0) return next ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    if (next === undefined && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = setAt(copy[head as number]!, rest, next);
    return copy;
  }
  // Below a scalar, a new object holds the edit.
  const o = value !== null && typeof value === 'object' ? value : {};
  const copy = copyObject(o, Object.keys(o).filter((k) => !(next === undefined && rest.length === 0 && k === head)));
  if (next !== undefined || rest.length > 0) entry(copy, head as string, setAt(Object.hasOwn(o, head as string) ? o[head as string]! : null, rest, next));
  return copy;
};

export type Mutation = 'delete' | 'replace' | 'unknown-field' | 'empty' | 'repeat' | 'null' | 'reverse-keys' | 'proto-key';
export const MUTATIONS: readonly Mutation[] = ['delete', 'replace', 'unknown-field', 'empty', 'repeat', 'null', 'reverse-keys', 'proto-key'];

export const strangeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, '', '*', '-1', 'A_B', 'x'.repeat(300), -1, 0, -0, 1.5, 65536, 4294967296, true, [], {}, [''], { '': '' }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

export const mutate = (doc: Json, pick: number, how: Mutation, value: Json): Json => {
  const paths = pathsOf(doc);
  const path = paths[pick % paths.length] ?? [];
  const target = getAt(doc, path);
  const isObject = target !== null && typeof target === 'object' && !Array.isArray(target);
  switch (how) {
    case 'delete':
      return path.length === 0 ? doc : setAt(doc, path, undefined);
    case 'replace':
      return setAt(doc, path, value);
    case 'unknown-field':
      return isObject ? setAt(doc, [...path, 'x-unknown'], value) : setAt(doc, path, value);
    case 'empty':
      return setAt(doc, path, Array.isArray(target) ? [] : typeof target === 'object' ? {} : '');
    case 'repeat':
      return Array.isArray(target) && target.length > 0 ? setAt(doc, path, [...target, target[0]!]) : setAt(doc, path, value);
    case 'null':
      return path.length === 0 ? doc : setAt(doc, path, null);
    case 'reverse-keys':
      return isObject ? setAt(doc, path, copyObject(target, Object.keys(target).reverse())) : doc;
    case 'proto-key':
      return isObject ? setAt(doc, [...path, '__proto__'], value) : doc;
  }
};

/** One mutation of a document drawn from `docs`. */
export const mutatedFrom = (docs: fc.Arbitrary<unknown>): fc.Arbitrary<Json> =>
  fc
    .tuple(docs, fc.nat(), fc.constantFrom(...MUTATIONS), strangeValue)
    .map(([doc, pick, how, value]) => mutate(doc as Json, pick, how, value));
