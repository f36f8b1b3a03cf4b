import * as t from 'io-ts';
import { isLeft, type Either, left, right } from 'fp-ts/lib/Either.js';
import { type Invalid, type InvalidCode, joinPath } from '../invalid.js';

/*
 * A small strict schema kit on top of io-ts. io-ts' own `t.type` strips unknown keys and
 * names failures only by type; users need every error at once with a path and a reason,
 * and unknown fields rejected (like `kubectl apply --validate=strict`). Each combinator
 * appends exactly the path segment it owns, so the io-ts context *is* the user-facing path.
 *
 * Every kit type also has a context-free fast decode: the same rules, but it stops at the
 * first problem and allocates no context, no error list and no Either. `validate` runs it
 * first and walks with paths only when it fails, so a valid value (every replayed event) is
 * decoded once, cheaply, and an invalid one gets exactly the errors the path walk gives.
 * kit-fast-decode.property.test.ts proves both answer the same on valid and broken values.
 */

/** A fast decode's answer when the value is invalid or it cannot tell: the path walk then decides. */
export const NOT_DECODED: unique symbol = Symbol('not decoded');
export type FastDecode<A> = (u: unknown) => A | typeof NOT_DECODED;

let fastDecodeOn = true;

/**
 * Runs `check` with every kit type validating by the path walk alone, at every level: the
 * reference the fast decode is proven equal to (kit-fast-decode.property.test.ts).
 */
export const withPathWalkOnly = <T>(check: () => T): T => {
  fastDecodeOn = false;
  try {
    return check();
  } finally {
    fastDecodeOn = true;
  }
};

let rulesRelaxed = false;

/**
 * Runs `decode` reading a document as far as its shape allows, as istioctl analyze reads one its
 * webhook refuses: rules pass (refinements, minimum sizes, cross-field checks), unknown fields
 * are skipped, a list item, map entry or optional field that does not decode is left out, and an
 * absent required field reads as proto3's zero value where it has one ('', 0, false, [], an
 * object of zeros). Anything else that does not decode still fails. For analysis only: such a
 * value is never stored.
 */
export const withRulesRelaxed = <T>(decode: () => T): T => {
  const outer = rulesRelaxed;
  rulesRelaxed = true;
  try {
    return decode();
  } finally {
    rulesRelaxed = outer;
  }
};

/** A type of this kit: `validate` = fast decode, else the path walk (`validatePaths`). */
export class KitType<A, O = A> extends t.Type<A, O, unknown> {
  constructor(
    name: string,
    is: t.Is<A>,
    readonly validatePaths: t.Validate<unknown, A>,
    encode: t.Encode<A, O>,
    readonly decodeFast: FastDecode<A>,
    /** The value an absent field of this type reads as when rules are relaxed: proto3's zero value. */
    readonly absentValue?: () => A,
  ) {
    super(
      name,
      is,
      (u, c) => {
        if (fastDecodeOn) {
          const v = decodeFast(u);
          if (v !== NOT_DECODED) return t.success(v);
        }
        return validatePaths(u, c);
      },
      encode,
    );
  }
}

/** The fast decode of any io-ts type: its own for kit types, else io-ts' decode (a correct, slower fallback). */
export const fastDecoderOf = <A>(type: t.Decoder<unknown, A>): FastDecode<A> => {
  if (type instanceof KitType) return (type as KitType<A, unknown>).decodeFast;
  if (type instanceof t.UnknownType) return (u) => u as A;
  return (u) => {
    const r = type.decode(u);
    return r._tag === 'Right' ? r.right : NOT_DECODED;
  };
};

/** Messages carry a code prefix (`REQUIRED|…`) so the path/reason/code survive io-ts' string-only message. */
const encodeMessage = (code: InvalidCode, reason: string): string => `${code}|${reason}`;

export const fail = <A>(u: unknown, c: t.Context, reason: string, code: InvalidCode = 'INVALID'): t.Validation<A> =>
  t.failure(u, c, encodeMessage(code, reason));

/** The same failure as a list, for combinators that collect errors from many fields. */
const problem = (u: unknown, c: t.Context, reason: string, code: InvalidCode = 'INVALID'): t.ValidationError[] => [
  { value: u, context: c, message: encodeMessage(code, reason) },
];

const segment = (key: string): t.ContextEntry['key'] => key;

export const at = (c: t.Context, key: string, actual: unknown): t.Context =>
  t.appendContext(c, segment(key), t.unknown, actual);

/** A key in a user map becomes `.key`, or `["key"]` when it would be ambiguous. */
export const mapKeySegment = (key: string): string => (/^[A-Za-z0-9_-]+$/.test(key) ? key : `[${JSON.stringify(key)}]`);

export const pathOf = (c: t.Context): string => c.slice(1).reduce((p, e) => joinPath(p, e.key), '');

export const toInvalid = (errors: t.Errors): Invalid[] => {
  const out: Invalid[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const raw = e.message ?? `INVALID|invalid value`;
    const bar = raw.indexOf('|');
    const code = raw.slice(0, bar) as InvalidCode;
    const reason = raw.slice(bar + 1);
    const path = pathOf(e.context);
    const id = `${path}\u0000${reason}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push({ path, reason, code });
    }
  }
  return out;
};

export const decodeWith = <A>(codec: t.Decoder<unknown, A>, u: unknown): Either<Invalid[], A> => {
  const fast = fastDecodeOn ? fastDecoderOf(codec)(u) : NOT_DECODED;
  if (fast !== NOT_DECODED) return right(fast);
  const r = codec.decode(u);
  return isLeft(r) ? left(toInvalid(r.left)) : right(r.right);
};

/** A leaf type with a user-facing message instead of io-ts' type name. */
const leaf = <A>(name: string, is: (u: unknown) => u is A, reason: string, normalize: (a: A) => A = (a) => a, absentValue?: () => A): KitType<A> =>
  new KitType<A>(name, is, (u, c) => (is(u) ? t.success(normalize(u)) : fail(u, c, reason)), t.identity, (u) => (is(u) ? normalize(u) : NOT_DECODED), absentValue);

/**
 * -0 becomes 0: JSON stores -0 as 0, so a value kept as -0 would make a live state differ from
 * its own replay. Adding +0 turns -0 into 0 and leaves every other number as it is.
 */
const positiveZero = (n: number): number => n + 0;

export const str = leaf('string', (u): u is string => typeof u === 'string', 'must be a string', (a) => a, () => '');
export const bool = leaf('boolean', (u): u is boolean => typeof u === 'boolean', 'must be a boolean', (a) => a, () => false);
export const num = leaf('number', (u): u is number => typeof u === 'number' && Number.isFinite(u), 'must be a number', positiveZero, () => 0);
export const int = leaf('integer', (u): u is number => Number.isInteger(u), 'must be an integer', positiveZero, () => 0);

/** Adds a check to a type; the check returns a reason when the value is wrong. */
export const refine = <A, O>(base: t.Type<A, O, unknown>, name: string, check: (a: A) => string | undefined): KitType<A, O> => {
  const baseFast = fastDecoderOf(base);
  return new KitType<A, O>(
    name,
    (u): u is A => base.is(u) && check(u) === undefined,
    (u, c) => {
      const r = base.validate(u, c);
      if (isLeft(r) || rulesRelaxed) return r;
      const reason = check(r.right);
      return reason === undefined ? r : fail(u, c, reason);
    },
    base.encode,
    (u) => {
      const v = baseFast(u);
      return v !== NOT_DECODED && check(v) === undefined ? v : NOT_DECODED;
    },
    base instanceof KitType ? (base as KitType<A, O>).absentValue : undefined,
  );
};

export const intRange = (min: number, max: number) =>
  refine(int, `int[${min},${max}]`, (n) =>
    n < min ? `must be >= ${min}` : n > max ? `must be <= ${max}` : undefined,
  );

export const nonNegativeInt = refine(int, 'nonNegativeInt', (n) => (n < 0 ? 'must be >= 0' : undefined));

export const enumOf = <K extends string>(name: string, values: readonly K[]) =>
  leaf<K>(name, (u): u is K => typeof u === 'string' && (values as readonly string[]).includes(u), `must be one of ${values.join(', ')}`);

/** A sequence; each item's path is `[i]`. */
export const list = <A, O>(item: t.Type<A, O, unknown>, opts: { minItems?: number; maxItems?: number } = {}): KitType<A[], O[]> => {
  const itemFast = fastDecoderOf(item);
  const minItems = opts.minItems ?? 0;
  const maxItems = opts.maxItems ?? Infinity;
  return new KitType<A[], O[]>(
    `Array<${item.name}>`,
    (u): u is A[] => Array.isArray(u) && u.every(item.is),
    (u, c) => {
      if (!Array.isArray(u)) return fail(u, c, 'must be a list');
      if (opts.minItems !== undefined && u.length < opts.minItems && !rulesRelaxed) {
        return fail(u, c, opts.minItems === 1 ? 'must not be empty' : `must have at least ${opts.minItems} items`);
      }
      // Checked before the items: a list far over its limit costs nothing more to refuse.
      if (u.length > maxItems && !rulesRelaxed) return fail(u, c, `must have at most ${maxItems} items (it has ${u.length})`);
      const errors: t.ValidationError[] = [];
      const out: A[] = [];
      u.forEach((v, i) => {
        const r = item.validate(v, at(c, `[${i}]`, v));
        if (isLeft(r)) {
          if (!rulesRelaxed) errors.push(...r.left);
        } else out.push(r.right);
      });
      return errors.length > 0 ? t.failures(errors) : t.success(out);
    },
    (as) => as.map(item.encode),
    (u) => {
      if (!Array.isArray(u) || u.length < minItems || u.length > maxItems) return NOT_DECODED;
      const out: A[] = new Array<A>(u.length);
      for (let i = 0; i < u.length; i++) {
        const x: unknown = u[i];
        // A hole, which the walk's forEach skips: let the walk decide.
        if (x === undefined && !(i in u)) return NOT_DECODED;
        const v = itemFast(x);
        if (v === NOT_DECODED) return NOT_DECODED;
        out[i] = v;
      }
      return out;
    },
    () => [],
  );
};

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

/** A map with user-chosen keys (labels, headers); each value's path is `.key`. */
export const record = <A, O>(
  value: t.Type<A, O, unknown>,
  opts: { name?: string; keyCheck?: (k: string) => string | undefined; reason?: string; maxEntries?: number } = {},
): KitType<Record<string, A>, Record<string, O>> => {
  const valueFast = fastDecoderOf(value);
  const keyCheck = opts.keyCheck;
  const maxEntries = opts.maxEntries ?? Infinity;
  return new KitType<Record<string, A>, Record<string, O>>(
    opts.name ?? `Record<string, ${value.name}>`,
    (u): u is Record<string, A> => isPlainObject(u) && Object.values(u).every(value.is),
    (u, c) => {
      if (!isPlainObject(u)) return fail(u, c, opts.reason ?? 'must be a map');
      if (maxEntries !== Infinity && !rulesRelaxed) {
        const entries = Object.keys(u).length;
        if (entries > maxEntries) return fail(u, c, `must have at most ${maxEntries} entries (it has ${entries})`);
      }
      const errors: t.ValidationError[] = [];
      const out: Record<string, A> = {};
      for (const [k, v] of Object.entries(u)) {
        const kc = at(c, mapKeySegment(k), v);
        const keyReason = opts.keyCheck?.(k);
        if (keyReason !== undefined) {
          if (!rulesRelaxed) errors.push(...problem(k, kc, keyReason));
          continue;
        }
        const r = value.validate(v, kc);
        if (isLeft(r)) {
          if (!rulesRelaxed) errors.push(...r.left);
        }
        // defineProperty: a user key `__proto__` must stay an entry, not replace the prototype.
        else Object.defineProperty(out, k, { value: r.right, enumerable: true, writable: true, configurable: true });
      }
      return errors.length > 0 ? t.failures(errors) : t.success(out);
    },
    (a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, value.encode(v)])),
    (u) => {
      if (!isPlainObject(u)) return NOT_DECODED;
      const out: Record<string, A> = {};
      const keys = Object.keys(u);
      if (keys.length > maxEntries) return NOT_DECODED;
      for (const k of keys) {
        if (keyCheck !== undefined && keyCheck(k) !== undefined) return NOT_DECODED;
        const v = valueFast(u[k]);
        if (v === NOT_DECODED) return NOT_DECODED;
        if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
        else out[k] = v;
      }
      return out;
    },
  );
};

type Props = Record<string, t.Type<any, any, unknown>>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Out<P extends Props> = { [K in keyof P]: t.TypeOf<P[K]> };
type Enc<P extends Props> = { [K in keyof P]: t.OutputOf<P[K]> };
export type StructOf<R extends Props, O extends Props> = Out<R> & Partial<Out<O>>;

export interface StructOptions<A> {
  /** Cross-field rules: return problems relative to this object (`route[1].weight`, or '' for itself). */
  readonly check?: (a: A) => ReadonlyArray<{ path: string; reason: string }>;
  /** Fields accepted for compatibility and dropped (e.g. `status`). */
  readonly ignored?: readonly string[];
}

/**
 * A strict object: required and optional fields, unknown fields rejected with their path,
 * `null` on an optional field treated as absent (as Kubernetes does).
 */
export const struct = <R extends Props, O extends Props>(
  name: string,
  required: R,
  optional: O,
  options: StructOptions<StructOf<R, O>> = {},
) => {
  // Hoisted out of validate: replays decode every stored event through here.
  const requiredFields = Object.entries(required);
  const optionalFields = Object.entries(optional);
  const ignored = new Set(options.ignored ?? []);
  const knownKeys = new Set([...Object.keys(required), ...Object.keys(optional)]);
  const known = (k: string): boolean => knownKeys.has(k);
  // Parallel arrays and indexed loops: the fast decode runs for every object of every replayed event.
  const requiredKeys = requiredFields.map(([k]) => k);
  const requiredFast = requiredFields.map(([, type]) => fastDecoderOf(type));
  const optionalKeys = optionalFields.map(([k]) => k);
  const optionalFast = optionalFields.map(([, type]) => fastDecoderOf(type));
  const optionalKeySet = new Set(optionalKeys);
  const check = options.check;
  // Absent, the object reads as proto3 does: every field at its zero value, which needs each required one to have one.
  const hasAbsentValue = requiredFields.every(([, type]) => type instanceof KitType && (type as KitType<unknown, unknown>).absentValue !== undefined);
  const absentValue = (): StructOf<R, O> => {
    const r = withRulesRelaxed(() => type.validatePaths({}, []));
    if (isLeft(r)) throw new Error(`${name}: the absent value does not decode`);
    return r.right;
  };
  const type: KitType<StructOf<R, O>, Enc<R> & Partial<Enc<O>>> = new KitType<StructOf<R, O>, Enc<R> & Partial<Enc<O>>>(
    name,
    (u): u is StructOf<R, O> => {
      if (!isPlainObject(u)) return false;
      for (const [k, type] of requiredFields) if (!type.is(u[k])) return false;
      for (const [k, type] of optionalFields) if (u[k] !== undefined && !type.is(u[k])) return false;
      return Object.keys(u).every(known);
    },
    (u, c) => {
      if (!isPlainObject(u)) return fail(u, c, 'must be an object');
      const errors: t.ValidationError[] = [];
      const out: Record<string, unknown> = {};
      for (const [k, type] of requiredFields) {
        const v = u[k];
        if (v === undefined || v === null) {
          const absent = rulesRelaxed && type instanceof KitType ? (type as KitType<unknown, unknown>).absentValue : undefined;
          if (absent !== undefined) out[k] = absent();
          else errors.push(...problem(v, at(c, k, v), 'required', 'REQUIRED'));
          continue;
        }
        const r = type.validate(v, at(c, k, v));
        if (isLeft(r)) errors.push(...r.left);
        else out[k] = r.right;
      }
      for (const [k, type] of optionalFields) {
        // Most optional fields are absent; a miss through the prototype chain costs more than this check.
        if (!Object.hasOwn(u, k)) continue;
        const v = u[k];
        if (v === undefined || v === null) continue;
        const r = type.validate(v, at(c, k, v));
        if (isLeft(r)) {
          if (!rulesRelaxed) errors.push(...r.left);
        } else out[k] = r.right;
      }
      for (const k in u) {
        if (Object.hasOwn(u, k) && !known(k) && !ignored.has(k) && !rulesRelaxed) {
          errors.push(...problem(u[k], at(c, mapKeySegment(k), u[k]), 'unknown field', 'UNKNOWN_FIELD'));
        }
      }
      if (errors.length > 0) return t.failures(errors);
      const value = out as StructOf<R, O>;
      if (rulesRelaxed) return t.success(value);
      for (const issue of options.check?.(value) ?? []) {
        const pc = issue.path
          .split(/(?=\[)|\./)
          .filter((s) => s !== '')
          .reduce((acc, s) => at(acc, s, undefined), c);
        errors.push(...problem(u, pc, issue.reason));
      }
      return errors.length > 0 ? t.failures(errors) : t.success(value);
    },
    (a) => {
      const out: Record<string, unknown> = {};
      for (const [k, type] of [...requiredFields, ...optionalFields]) {
        const v = (a as Record<string, unknown>)[k];
        if (v !== undefined) out[k] = type.encode(v);
      }
      return out as Enc<R> & Partial<Enc<O>>;
    },
    (u) => {
      if (!isPlainObject(u)) return NOT_DECODED;
      const keys = Object.keys(u);
      let optionalLeft = 0;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (optionalKeySet.has(k)) optionalLeft++;
        else if (!knownKeys.has(k) && !ignored.has(k)) return NOT_DECODED;
      }
      // Fields in declaration order, as the path walk builds them.
      const out: Record<string, unknown> = {};
      for (let i = 0; i < requiredKeys.length; i++) {
        const k = requiredKeys[i]!;
        const v = u[k];
        if (v === undefined || v === null) return NOT_DECODED;
        const d = requiredFast[i]!(v);
        if (d === NOT_DECODED) return NOT_DECODED;
        out[k] = d;
      }
      // Own fields only, as the walk reads them; the loop ends with the last one the object has.
      for (let i = 0; optionalLeft > 0 && i < optionalKeys.length; i++) {
        const k = optionalKeys[i]!;
        const v = u[k];
        if (v === undefined || !Object.hasOwn(u, k)) continue;
        optionalLeft--;
        if (v === null) continue;
        const d = optionalFast[i]!(v);
        if (d === NOT_DECODED) return NOT_DECODED;
        out[k] = d;
      }
      const value = out as StructOf<R, O>;
      return check === undefined || check(value).length === 0 ? value : NOT_DECODED;
    },
    hasAbsentValue ? absentValue : undefined,
  );
  return type;
};
