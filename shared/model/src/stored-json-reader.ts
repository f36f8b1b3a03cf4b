/*
 * Replay reads millions of small stored events whose shape is known. Reading that shape by hand
 * skips JSON.parse's allocations, but it must never accept a text JSON.parse would read
 * differently. So this reader accepts a strict subset of JSON and gives up on anything else:
 * every token is checked as JSON defines it (whitespace, string quoting, number grammar), a
 * string with escapes or control characters is read by JSON.parse itself, and an unexpected,
 * escaped-but-unknown or repeated key gives up (JSON.parse would keep the last of a repeated
 * key; the reader does not guess). A caller that gets no answer decodes strictly.
 */

/** A codec that can also decode stored text through a faster path that agrees with it. */
export interface StoredTextDecoding<A> {
  /**
   * A fresh decoder per read (it may memoise); undefined from it means "decode strictly instead".
   * `bytes`, when given, are what `text` was decoded from (UTF-8), which may speed it up.
   */
  readonly storedTextDecoder: () => (text: string, bytes?: Uint8Array) => A | undefined;
}

export const QUOTE = 34;
export const BACKSLASH = 92;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;
export const OPEN_BRACKET = 91;
export const CLOSE_BRACKET = 93;
export const COLON = 58;
export const COMMA = 44;
export const BAIL = -1;

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/** Index after the string starting (with its quote) at `i`, or BAIL. */
export const stringEnd = (text: string, i: number): number => {
  let q = text.indexOf('"', i + 1);
  for (;;) {
    if (q < 0) return BAIL;
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
    q = text.indexOf('"', q + 1);
  }
};

/** Index after the object or array starting at `i` (nesting and strings followed, validity not checked), or BAIL. */
export const nestedEnd = (text: string, i: number): number => {
  const n = text.length;
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
};

/** Thrown inside a reader only, to unwind to `readOrGiveUp`; never escapes it. */
export const GIVE_UP = Symbol('give up');

/** JSON's number grammar: exactly the tokens JSON.parse reads as numbers (Number() gives the same value). */
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** What `read` returns, or undefined when the reader gave up. */
export const readOrGiveUp = <A>(read: () => A | undefined): A | undefined => {
  try {
    return read();
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
};

/** A cursor over one stored text; each method reads one JSON token or structure, or throws GIVE_UP. */
export class StoredJsonReader {
  protected i = 0;

  constructor(protected readonly text: string) {}

  /** After an object's `{`: true when a member follows, false (and past the `}`) when it is empty. */
  protected firstMember(): boolean {
    this.space();
    if (this.code() !== CLOSE_BRACE) return true;
    this.i++;
    return false;
  }

  /** After a member's value: true when another follows (past the `,`), false when past the `}`. */
  protected nextMember(): boolean {
    this.space();
    const c = this.code();
    this.i++;
    if (c === CLOSE_BRACE) return false;
    if (c !== COMMA) throw GIVE_UP;
    this.space();
    return true;
  }

  /** The member key at the cursor as an index into `names` (-1: another key), read past its `:`. */
  protected key(names: readonly string[]): number {
    const start = this.i;
    if (this.code() !== QUOTE) throw GIVE_UP;
    const end = stringEnd(this.text, start);
    if (end === BAIL) throw GIVE_UP;
    this.i = end;
    this.expect(COLON);
    this.space();
    // Compared in place: no string made for a plain key.
    const length = end - start - 2;
    for (let n = 0; n < names.length; n++) {
      const name = names[n]!;
      if (name.length === length && this.text.startsWith(name, start + 1)) return n;
    }
    // An escaped key names what it unescapes to, as JSON.parse reads it.
    const slash = this.text.indexOf('\\', start);
    return slash >= 0 && slash < end ? names.indexOf(this.literal(start, end) as string) : -1;
  }

  /** A string literal; one with escapes or control characters is read by JSON.parse itself. */
  protected string(): string {
    const start = this.i;
    if (this.code() !== QUOTE) throw GIVE_UP;
    const end = stringEnd(this.text, start);
    if (end === BAIL) throw GIVE_UP;
    this.i = end;
    for (let j = start + 1; j < end - 1; j++) {
      const c = this.text.charCodeAt(j);
      if (c < 32 || c === BACKSLASH) return this.literal(start, end) as string;
    }
    return this.text.slice(start + 1, end - 1);
  }

  protected stringOrNull(): string | null {
    return this.text.startsWith('null', this.i) ? this.keyword('null', null) : this.string();
  }

  protected numberOrNull(): number | null {
    if (this.text.startsWith('null', this.i)) return this.keyword('null', null);
    const start = this.i;
    let j = start;
    for (let c = this.code(); (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69; c = this.text.charCodeAt(++j));
    const token = this.text.slice(start, j);
    if (!JSON_NUMBER.test(token)) throw GIVE_UP;
    this.i = j;
    return Number(token);
  }

  /** Only whitespace may follow the value read. */
  protected end(): void {
    this.space();
    if (this.i !== this.text.length) throw GIVE_UP;
  }

  protected expect(c: number): void {
    this.space();
    if (this.code() !== c) throw GIVE_UP;
    this.i++;
  }

  protected space(): void {
    while (this.i < this.text.length && isSpace(this.text.charCodeAt(this.i))) this.i++;
  }

  protected code(): number {
    return this.i < this.text.length ? this.text.charCodeAt(this.i) : BAIL;
  }

  private keyword<V>(word: string, value: V): V {
    this.i += word.length;
    return value;
  }

  private literal(start: number, end: number): unknown {
    try {
      return JSON.parse(this.text.slice(start, end));
    } catch {
      throw GIVE_UP;
    }
  }
}
