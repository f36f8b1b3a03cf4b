import * as t from 'io-ts';
import type { Change, ChangeSet } from './events.js';
import type { MeshResource, ResourceRef } from './resource.js';

/*
 * Replay decodes every stored ChangeSet, and the same resource text recurs across many of them
 * (re-applied manifests, reweights that cycle). Strictly decoding a resource costs far more than
 * reading it, so within one read each distinct resource text is parsed and decoded once: a text
 * seen before is replaced by a placeholder before JSON.parse and its earlier decoded value is put
 * back. Everything else goes through the strict codec. Whenever this path is unsure it answers
 * undefined and the caller decodes with the strict codec, so it accepts exactly what the strict
 * codec accepts and yields deep-equal values (property-tested in change-set-fast-decoder.test.ts).
 */

/** A codec that can also decode stored text through a faster path that agrees with it. */
export interface StoredTextDecoding<A> {
  /** A fresh decoder per read (it memoises); undefined from it means "decode strictly instead". */
  readonly storedTextDecoder: () => (text: string) => A | undefined;
}

/** A resource decoded earlier from the exact same text; JSON.parse can never produce one. */
export class MemoisedResource {
  constructor(readonly resource: MeshResource) {}
}

/** `strict`, except that a MemoisedResource stands for its already decoded value. */
export const resourceOrMemoised = (strict: t.Type<MeshResource, Record<string, unknown>, unknown>) =>
  new t.Type<MeshResource, Record<string, unknown>, unknown>(
    strict.name,
    strict.is,
    (u, c) => (u instanceof MemoisedResource ? t.success(u.resource) : strict.validate(u, c)),
    strict.encode,
  );

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COLON = 58;
const COMMA = 44;
const BAIL = -1;

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/** Index after the string starting (with its quote) at `i`, or BAIL. */
const stringEnd = (text: string, i: number): number => {
  let q = text.indexOf('"', i + 1);
  for (;;) {
    if (q < 0) return BAIL;
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
    q = text.indexOf('"', q + 1);
  }
};

/** Index after the value starting at `i` (nesting and strings followed, validity not checked), or BAIL. */
const valueEnd = (text: string, i: number): number => {
  const n = text.length;
  const c = i < n ? text.charCodeAt(i) : BAIL;
  if (c === QUOTE) return stringEnd(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === QUOTE) {
        i = stringEnd(text, i);
        if (i === BAIL) return BAIL;
        continue;
      }
      i++;
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return i;
    }
    return BAIL;
  }
  const start = i;
  while (i < n) {
    const d = text.charCodeAt(i);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    i++;
  }
  return i > start ? i : BAIL;
};

/** Where each `changes[i].resource` object sits in the text; undefined when the text is not plainly shaped so. */
interface ResourceSpans {
  /** One entry per element of `changes`: [start, end) of its `resource` object, or undefined. */
  readonly spans: Array<readonly [number, number] | undefined>;
}

/**
 * A structural scan, not a parser: it finds value boundaries (strings with escapes, nesting) and
 * leaves validity to JSON.parse. It gives up on anything that could make its reading differ from
 * JSON.parse's: duplicate or escaped keys on the levels it reads.
 */
class SpanScanner {
  private i = 0;
  constructor(private readonly text: string) {}

  scan(): ResourceSpans | undefined {
    let spans: ResourceSpans['spans'] | undefined;
    if (!this.expect(OPEN_BRACE)) return undefined;
    const done = this.members((key) => {
      if (key !== 'changes') return this.skipValue();
      if (spans !== undefined) return false;
      spans = this.changes();
      return spans !== undefined;
    });
    return done && spans !== undefined ? { spans } : undefined;
  }

  /** `changes`: an array; for each object element, the span of its `resource` when that is an object. */
  private changes(): ResourceSpans['spans'] | undefined {
    if (!this.expect(OPEN_BRACKET)) return undefined;
    const spans: ResourceSpans['spans'] = [];
    this.space();
    if (this.code() === CLOSE_BRACKET) {
      this.i++;
      return spans;
    }
    for (;;) {
      let span: readonly [number, number] | undefined;
      if (this.code() === OPEN_BRACE) {
        this.i++;
        let seen = false;
        const ok = this.members((key) => {
          if (key !== 'resource') return this.skipValue();
          if (seen) return false;
          seen = true;
          const start = this.i;
          if (this.code() !== OPEN_BRACE) return this.skipValue();
          if (!this.skipValue()) return false;
          span = [start, this.i];
          return true;
        });
        if (!ok) return undefined;
      } else if (!this.skipValue()) return undefined;
      spans.push(span);
      this.space();
      const c = this.code();
      this.i++;
      if (c === CLOSE_BRACKET) return spans;
      if (c !== COMMA) return undefined;
      this.space();
    }
  }

  /** The members of an object whose `{` was consumed, up to and including its `}`; `value` reads each value. */
  private members(value: (key: string) => boolean): boolean {
    this.space();
    if (this.code() === CLOSE_BRACE) {
      this.i++;
      return true;
    }
    for (;;) {
      const start = this.i;
      if (this.code() !== QUOTE || !this.skipString()) return false;
      const key = this.text.slice(start + 1, this.i - 1);
      if (key.includes('\\')) return false;
      if (!this.expect(COLON)) return false;
      this.space();
      if (!value(key)) return false;
      this.space();
      const c = this.code();
      this.i++;
      if (c === CLOSE_BRACE) return true;
      if (c !== COMMA) return false;
      this.space();
    }
  }

  private skipValue(): boolean {
    const end = valueEnd(this.text, this.i);
    if (end === BAIL) return false;
    this.i = end;
    return true;
  }

  private skipString(): boolean {
    const end = stringEnd(this.text, this.i);
    if (end === BAIL) return false;
    this.i = end;
    return true;
  }

  private expect(c: number): boolean {
    this.space();
    if (this.code() !== c) return false;
    this.i++;
    return true;
  }

  private space(): void {
    while (this.i < this.text.length && isSpace(this.text.charCodeAt(this.i))) this.i++;
  }

  private code(): number {
    return this.i < this.text.length ? this.text.charCodeAt(this.i) : BAIL;
  }
}

export const scanResourceSpans = (text: string): ResourceSpans | undefined => new SpanScanner(text).scan();

/** Characters of resource text one generation of the memo holds before it becomes the old one (two are kept). */
const MEMO_GENERATION_CHARS = 8 * 1024 * 1024;

/** Decoded resources by their exact stored text; two generations so a long replay's memory stays bounded. */
export class ResourceMemo {
  private young = new Map<string, MeshResource>();
  private old = new Map<string, MeshResource>();
  private youngChars = 0;

  constructor(private readonly generationChars = MEMO_GENERATION_CHARS) {}

  get(text: string): MeshResource | undefined {
    const hit = this.young.get(text);
    if (hit !== undefined) return hit;
    const older = this.old.get(text);
    if (older !== undefined) this.set(text, older);
    return older;
  }

  set(text: string, resource: MeshResource): void {
    this.young.set(text, resource);
    this.youngChars += text.length;
    if (this.youngChars > this.generationChars) {
      this.old = this.young;
      this.young = new Map();
      this.youngChars = 0;
    }
  }
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** Stands in for a memoised resource in the text JSON.parse reads; checked to land where expected. */
const PLACEHOLDER = '0';

/**
 * Decodes one stored ChangeSet text with `hitAware` (the strict ChangeSet codec whose resource
 * codec also takes MemoisedResource), or answers undefined.
 */
/** The strict codecs the fast path defers to. */
export interface ChangeSetParts {
  /** The strict ChangeSet codec whose resource codec also takes MemoisedResource. */
  readonly hitAware: t.Decoder<unknown, ChangeSet>;
  readonly resource: t.Decoder<unknown, MeshResource>;
  readonly ref: t.Decoder<unknown, ResourceRef>;
}

const CHANGE_SET_KEYS = new Set(['id', 'type', 'at', 'actor', 'prev', 'changes', 'reason', 'rollbackOf']);

/**
 * The ChangeSet struct's own checks written out (the envelope is small, io-ts' generic walk is
 * not): the value the strict codec would give, or undefined to let it decide.
 */
const decodeEnvelope = (u: Record<string, unknown>, parts: ChangeSetParts): ChangeSet | undefined => {
  const { id, type, at, actor, prev, changes, reason, rollbackOf } = u;
  if (typeof id !== 'string' || type !== 'ChangeSet' || typeof at !== 'string' || typeof actor !== 'string' || typeof prev !== 'string') return undefined;
  if (!Array.isArray(changes) || changes.length === 0) return undefined;
  if (reason !== undefined && reason !== null && typeof reason !== 'string') return undefined;
  if (rollbackOf !== undefined && rollbackOf !== null && typeof rollbackOf !== 'number') return undefined;
  for (const k of Object.keys(u)) if (!CHANGE_SET_KEYS.has(k)) return undefined;
  const out: Change[] = [];
  for (const change of changes as unknown[]) {
    if (typeof change !== 'object' || change === null) return undefined;
    const c = change as { op?: unknown; resource?: unknown; ref?: unknown };
    if (c.op === 'apply') {
      if (c.resource instanceof MemoisedResource) out.push({ op: 'apply', resource: c.resource.resource });
      else {
        const r = parts.resource.decode(c.resource);
        if (r._tag === 'Left') return undefined;
        out.push({ op: 'apply', resource: r.right });
      }
    } else if (c.op === 'delete') {
      const r = parts.ref.decode(c.ref);
      if (r._tag === 'Left') return undefined;
      out.push({ op: 'delete', ref: r.right });
    } else return undefined;
  }
  return {
    id,
    type,
    at,
    actor,
    prev,
    changes: out,
    ...(reason !== undefined && reason !== null ? { reason } : {}),
    ...(rollbackOf !== undefined && rollbackOf !== null ? { rollbackOf } : {}),
  };
};

export const decodeStoredChangeSet = (text: string, memo: ResourceMemo, parts: ChangeSetParts): ChangeSet | undefined => {
  const scanned = scanResourceSpans(text);
  if (scanned === undefined) return undefined;
  const { spans } = scanned;
  const keys: Array<string | undefined> = [];
  const hits: Array<MeshResource | undefined> = [];
  let skeleton = '';
  let from = 0;
  for (const span of spans) {
    const key = span === undefined ? undefined : text.slice(span[0], span[1]);
    const hit = key === undefined ? undefined : memo.get(key);
    keys.push(key);
    hits.push(hit);
    if (hit !== undefined && span !== undefined) {
      skeleton += text.slice(from, span[0]) + PLACEHOLDER;
      from = span[1];
    }
  }
  skeleton = from === 0 ? text : skeleton + text.slice(from);
  let parsed: unknown;
  try {
    parsed = JSON.parse(skeleton);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  const changes = parsed.changes;
  if (!Array.isArray(changes) || changes.length !== spans.length) return undefined;
  for (let i = 0; i < hits.length; i++) {
    const hit = hits[i];
    if (hit === undefined) continue;
    const change: unknown = changes[i];
    if (!isObject(change) || change.resource !== 0) return undefined;
    change.resource = new MemoisedResource(hit);
  }
  let value = decodeEnvelope(parsed, parts);
  if (value === undefined) {
    const decoded = parts.hitAware.decode(parsed);
    if (decoded._tag === 'Left') return undefined;
    value = decoded.right;
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const change = value.changes[i];
    if (key !== undefined && hits[i] === undefined && change?.op === 'apply') memo.set(key, change.resource);
  }
  return value;
};

/** The StoredTextDecoding of a ChangeSet codec: a memo per read. */
export const storedChangeSetDecoder =
  (parts: ChangeSetParts): StoredTextDecoding<ChangeSet>['storedTextDecoder'] =>
  () => {
    const memo = new ResourceMemo();
    return (text) => decodeStoredChangeSet(text, memo, parts);
  };
