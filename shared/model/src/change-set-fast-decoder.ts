import type * as t from 'io-ts';
import type { Change, ChangeSet } from './events.js';
import type { MeshResource, ResourceRef } from './resource.js';
import { plainArray, plainObject } from './plain-value.js';
import {
  BAIL,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COMMA,
  GIVE_UP,
  OPEN_BRACE,
  OPEN_BRACKET,
  StoredJsonReader,
  nestedEnd,
  readOrGiveUp,
  type StoredTextDecoding,
} from './stored-json-reader.js';

/*
 * Replay decodes every stored ChangeSet, and the same resource text recurs across many of them
 * (re-applied manifests, reweights that cycle). So within one read each distinct resource text
 * is parsed and decoded once, and the small envelope around it is read by hand (a strict subset
 * of JSON, see stored-json-reader.ts). Whenever the reader gives up, the caller decodes strictly
 * (JSON.parse + the ChangeSet codec), which decides and explains; so this accepts exactly what
 * the strict codec accepts, with deep-equal values (property-tested in
 * change-set-fast-decoder.test.ts).
 *
 * Why a memo hit is exact: a memo key is a text JSON.parse accepted as one whole object. JSON is
 * read left to right without lookahead, so where such a text starts at the value position of
 * `resource`, that value is exactly this object, and the strict codec would decode it to what it
 * gave before. The end of the span is therefore only guessed (cheaply, from the end of the
 * text); a wrong guess misses, or fails JSON.parse, and the span is then walked.
 */

export type { StoredTextDecoding } from './stored-json-reader.js';

/** Characters of resource text one generation of the memo holds before it becomes the old one (two are kept). */
const MEMO_GENERATION_CHARS = 8 * 1024 * 1024;

/** A memoised resource; entries whose texts hash alike are chained. */
interface MemoEntry {
  readonly text: string;
  readonly resource: MeshResource;
  readonly next: MemoEntry | undefined;
}

/**
 * FNV-1a over [start, end) of the text, four characters to a word. A Map keyed by the text itself
 * would hash it too, but V8's string hash reads a character at a time; this keys a Map of numbers,
 * and the text is then compared whole, so a collision costs a comparison, never a wrong answer.
 * When the text came from `bytes` one byte per character (ASCII), the same words are read from the
 * bytes, four at a time, which is faster still and gives the same hash.
 */
const textHash = (source: string, start: number, end: number, bytes: Uint8Array | undefined): number => {
  let h = 0x811c9dc5;
  let i = start;
  const words = end - ((end - start) % 4);
  if (bytes !== undefined && bytes.length === source.length) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (; i < words; i += 4) h = Math.imul(h ^ view.getUint32(i, true), 0x01000193);
  } else {
    for (; i < words; i += 4) {
      const word = source.charCodeAt(i) | (source.charCodeAt(i + 1) << 8) | (source.charCodeAt(i + 2) << 16) | (source.charCodeAt(i + 3) << 24);
      h = Math.imul(h ^ word, 0x01000193);
    }
  }
  for (; i < end; i++) h = Math.imul(h ^ source.charCodeAt(i), 0x01000193);
  return h;
};

/** Decoded resources by their exact stored text; two generations so a long replay's memory stays bounded. */
export class ResourceMemo {
  private young = new Map<number, MemoEntry>();
  private old = new Map<number, MemoEntry>();
  private youngChars = 0;

  constructor(private readonly generationChars = MEMO_GENERATION_CHARS) {}

  /** The resource stored for exactly `source`[start, end), if any; `bytes`: what `source` was decoded from. */
  get(source: string, start: number, end: number, bytes?: Uint8Array): MeshResource | undefined {
    const hash = textHash(source, start, end, bytes);
    const length = end - start;
    let text: string | undefined;
    for (let e = this.young.get(hash); e !== undefined; e = e.next) {
      if (e.text.length === length && e.text === (text ??= source.slice(start, end))) return e.resource;
    }
    for (let e = this.old.get(hash); e !== undefined; e = e.next) {
      if (e.text.length === length && e.text === (text ??= source.slice(start, end))) {
        this.add(hash, e.text, e.resource);
        return e.resource;
      }
    }
    return undefined;
  }

  set(source: string, start: number, end: number, resource: MeshResource, bytes?: Uint8Array): void {
    this.add(textHash(source, start, end, bytes), source.slice(start, end), resource);
  }

  private add(hash: number, text: string, resource: MeshResource): void {
    this.young.set(hash, { text, resource, next: this.young.get(hash) });
    this.youngChars += text.length;
    if (this.youngChars > this.generationChars) {
      this.old = this.young;
      this.young = new Map();
      this.youngChars = 0;
    }
  }
}

/** The strict codecs the fast path uses for what it does not read itself. */
export interface ChangeSetParts {
  /** A resource inside a stored ChangeSet (as the strict ChangeSet codec decodes `changes[i].resource`). */
  readonly resource: t.Decoder<unknown, MeshResource>;
  readonly ref: t.Decoder<unknown, ResourceRef>;
}

/** The keys the reader knows, by level; any other key is left to the strict codec. */
const ENVELOPE_KEYS = ['id', 'type', 'at', 'actor', 'prev', 'changes', 'reason', 'rollbackOf', 'requestId'] as const;
const CHANGE_KEYS = ['op', 'resource', 'ref'] as const;

/** Reads one stored ChangeSet text; any surprise throws GIVE_UP. */
class StoredChangeSetReader extends StoredJsonReader {
  private firstResource = true;

  constructor(
    text: string,
    private readonly bytes: Uint8Array | undefined,
    private readonly memo: ResourceMemo,
    private readonly parts: ChangeSetParts,
  ) {
    super(text);
  }

  read(): ChangeSet | undefined {
    let id: string | undefined;
    let type: string | undefined;
    let at: string | undefined;
    let actor: string | undefined;
    let prev: string | undefined;
    let changes: Change[] | undefined;
    let reason: string | null | undefined;
    let rollbackOf: number | null | undefined;
    let requestId: string | null | undefined;
    let seen = 0;
    this.expect(OPEN_BRACE);
    for (let more = this.firstMember(); more; more = this.nextMember()) {
      const k = this.key(ENVELOPE_KEYS);
      // An unknown key, or a repeated one (JSON.parse keeps the last; the reader does not guess).
      if (k < 0 || (seen & (1 << k)) !== 0) throw GIVE_UP;
      seen |= 1 << k;
      if (k === 0) id = this.string();
      else if (k === 1) type = this.string();
      else if (k === 2) at = this.string();
      else if (k === 3) actor = this.string();
      else if (k === 4) prev = this.string();
      else if (k === 5) changes = this.changes();
      else if (k === 6) reason = this.stringOrNull();
      else if (k === 7) rollbackOf = this.numberOrNull();
      else requestId = this.stringOrNull();
    }
    this.end();
    if (id === undefined || type !== 'ChangeSet' || at === undefined || actor === undefined || prev === undefined) return undefined;
    if (changes === undefined || changes.length === 0) return undefined;
    const out = plainObject<ChangeSet>();
    out.id = id;
    out.type = type;
    out.at = at;
    out.actor = actor;
    out.prev = prev;
    out.changes = changes;
    if (reason !== undefined && reason !== null) out.reason = reason;
    if (rollbackOf !== undefined && rollbackOf !== null) out.rollbackOf = rollbackOf;
    if (requestId !== undefined && requestId !== null) out.requestId = requestId;
    return out;
  }

  private changes(): Change[] {
    this.expect(OPEN_BRACKET);
    const out = plainArray<Change>();
    this.space();
    if (this.code() === CLOSE_BRACKET) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.change());
      this.space();
      const c = this.code();
      this.i++;
      if (c === CLOSE_BRACKET) return out;
      if (c !== COMMA) throw GIVE_UP;
    }
  }

  /** `{op, resource}` or `{op, ref}`; anything more or less is left to the strict codec. */
  private change(): Change {
    this.expect(OPEN_BRACE);
    let op: string | undefined;
    let resource: MeshResource | undefined;
    let ref: ResourceRef | undefined;
    for (let more = this.firstMember(); more; more = this.nextMember()) {
      const k = this.key(CHANGE_KEYS);
      if (k === 0 && op === undefined) op = this.string();
      else if (k === 1 && resource === undefined) resource = this.resource();
      else if (k === 2 && ref === undefined) ref = this.ref();
      else throw GIVE_UP;
    }
    if (op === 'apply' && resource !== undefined && ref === undefined) {
      const apply = plainObject<Extract<Change, { op: 'apply' }>>();
      apply.op = op;
      apply.resource = resource;
      return apply;
    }
    if (op === 'delete' && ref !== undefined && resource === undefined) {
      const remove = plainObject<Extract<Change, { op: 'delete' }>>();
      remove.op = op;
      remove.ref = ref;
      return remove;
    }
    throw GIVE_UP;
  }

  private resource(): MeshResource {
    const start = this.i;
    if (this.code() !== OPEN_BRACE) throw GIVE_UP;
    // Guess: a ChangeSet of one change, written compactly, ends with `}]` (+ later envelope fields).
    // Only the first resource guesses: with several changes the guess is wrong, and costs a hash.
    let end = BAIL;
    if (this.firstResource) {
      this.firstResource = false;
      const close = this.text.lastIndexOf('}]');
      if (close > start && this.text.charCodeAt(close - 1) === CLOSE_BRACE) end = close;
    }
    if (end !== BAIL) {
      const found = this.resourceAt(start, end);
      if (found !== undefined) return found;
    }
    const walked = nestedEnd(this.text, start);
    if (walked === BAIL || walked === end) throw GIVE_UP;
    const found = this.resourceAt(start, walked);
    if (found === undefined) throw GIVE_UP;
    return found;
  }

  /** The resource whose text is exactly [start, end), or undefined when that text is not one JSON object. */
  private resourceAt(start: number, end: number): MeshResource | undefined {
    const hit = this.memo.get(this.text, start, end, this.bytes);
    if (hit !== undefined) {
      this.i = end;
      return hit;
    }
    let json: unknown;
    try {
      json = JSON.parse(this.text.slice(start, end));
    } catch {
      return undefined;
    }
    const decoded = this.parts.resource.decode(json);
    if (decoded._tag === 'Left') throw GIVE_UP;
    this.memo.set(this.text, start, end, decoded.right, this.bytes);
    this.i = end;
    return decoded.right;
  }

  private ref(): ResourceRef {
    const start = this.i;
    if (this.code() !== OPEN_BRACE) throw GIVE_UP;
    const end = nestedEnd(this.text, start);
    if (end === BAIL) throw GIVE_UP;
    let json: unknown;
    try {
      json = JSON.parse(this.text.slice(start, end));
    } catch {
      throw GIVE_UP;
    }
    const decoded = this.parts.ref.decode(json);
    if (decoded._tag === 'Left') throw GIVE_UP;
    this.i = end;
    return decoded.right;
  }
}

export const decodeStoredChangeSet = (text: string, bytes: Uint8Array | undefined, memo: ResourceMemo, parts: ChangeSetParts): ChangeSet | undefined =>
  readOrGiveUp(() => new StoredChangeSetReader(text, bytes, memo, parts).read());

/** The StoredTextDecoding of a ChangeSet codec: a memo per read. */
export const storedChangeSetDecoder =
  (parts: ChangeSetParts): StoredTextDecoding<ChangeSet>['storedTextDecoder'] =>
  () => {
    const memo = new ResourceMemo();
    return (text, bytes) => decodeStoredChangeSet(text, bytes, memo, parts);
  };
