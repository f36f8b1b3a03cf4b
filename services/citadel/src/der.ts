/*
 * DER (X.690) writing and reading: just what X.509 certificates and PKCS#10
 * requests need. Certificates are assembled here rather than by node-forge
 * because forge cannot hold EC keys and its ASN.1 layer costs more than the
 * signature itself at the rates citadel issues (see the ca-issue bench).
 */

export const Tag = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Context-specific tags: [n] constructed (EXPLICIT, or IMPLICIT over a constructed type) and [n] primitive. */
export const contextTag = (n: number, constructed: boolean): number => (constructed ? 0xa0 : 0x80) | n;

// ---------------------------------------------------------------- writing

function lengthOctets(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One tag-length-value with the given content parts. */
export function tlv(tag: number, ...content: readonly Uint8Array[]): Buffer {
  const length = content.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([Buffer.from([tag]), lengthOctets(length), ...content]);
}

export const sequence = (...items: readonly Uint8Array[]): Buffer => tlv(Tag.sequence, ...items);
export const set = (...items: readonly Uint8Array[]): Buffer => tlv(Tag.set, ...items);
export const derNull = Buffer.from([Tag.null, 0]);
export const boolean = (value: boolean): Buffer => Buffer.from([Tag.boolean, 1, value ? 0xff : 0]);
export const octetString = (bytes: Uint8Array): Buffer => tlv(Tag.octetString, bytes);
export const explicit = (n: number, inner: Uint8Array): Buffer => tlv(contextTag(n, true), inner);
export const implicitPrimitive = (n: number, bytes: Uint8Array): Buffer => tlv(contextTag(n, false), bytes);

/** A non-negative INTEGER from big-endian magnitude bytes (minimal, sign octet added when needed). */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const needsPad = trimmed.length === 0 || (trimmed[0]! & 0x80) !== 0;
  return tlv(Tag.integer, needsPad ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function smallInteger(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`smallInteger takes a safe non-negative integer, got ${value}`);
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return unsignedInteger(Buffer.from(bytes));
}

function base128(value: number): number[] {
  const out = [value & 0x7f];
  for (let n = Math.floor(value / 128); n > 0; n = Math.floor(n / 128)) out.unshift((n & 0x7f) | 0x80);
  return out;
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || arcs.some((a) => !Number.isSafeInteger(a) || a < 0) || first > 2 || (first < 2 && second > 39)) {
    throw new RangeError(`not an OID: ${dotted}`);
  }
  return tlv(Tag.oid, Buffer.from([...base128(first * 40 + second), ...rest.flatMap(base128)]));
}

export const bitString = (bytes: Uint8Array, unusedBits = 0): Buffer => tlv(Tag.bitString, Buffer.from([unusedBits]), bytes);
export const utf8String = (text: string): Buffer => tlv(Tag.utf8String, Buffer.from(text, 'utf8'));
export const printableString = (text: string): Buffer => tlv(Tag.printableString, Buffer.from(text, 'latin1'));
export const ia5String = (text: string): Buffer => tlv(Tag.ia5String, Buffer.from(text, 'latin1'));

const two = (n: number): string => String(n).padStart(2, '0');

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Z. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) return tlv(Tag.utcTime, Buffer.from(`${two(year % 100)}${rest}`, 'latin1'));
  return tlv(Tag.generalizedTime, Buffer.from(`${String(year).padStart(4, '0')}${rest}`, 'latin1'));
}

// ---------------------------------------------------------------- reading

/** The bytes are not DER, or not the structure the reader expected. Caught by the parsers that use this reader. */
export class MalformedDer extends Error {
  override readonly name = 'MalformedDer';
}

/** One TLV inside `bytes`: [start, end) is the whole element, content starts at `contentStart`. */
export interface DerNode {
  readonly bytes: Buffer;
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** Reads the element at `offset` (which must end by `limit`), strictly: definite, minimal lengths only. */
export function readNode(bytes: Buffer, offset = 0, limit = bytes.length): DerNode {
  if (offset + 2 > limit) throw new MalformedDer(`truncated at byte ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new MalformedDer(`multi-byte tag at byte ${offset}`);
  const first = bytes[offset + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new MalformedDer(`indefinite length at byte ${offset}`);
    if (count > 4) throw new MalformedDer(`length of ${count} octets at byte ${offset}`);
    if (offset + 2 + count > limit) throw new MalformedDer(`truncated length at byte ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    if (length < 0x80 || bytes[offset + 2] === 0) throw new MalformedDer(`non-minimal length at byte ${offset}`);
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new MalformedDer(`element at byte ${offset} runs past its container (${length} bytes)`);
  return { bytes, tag, start: offset, contentStart, end };
}

/** Reads the one element that must fill `bytes` exactly. */
export function readWhole(bytes: Buffer): DerNode {
  const node = readNode(bytes);
  if (node.end !== bytes.length) throw new MalformedDer(`${bytes.length - node.end} trailing bytes`);
  return node;
}

export const content = (node: DerNode): Buffer => node.bytes.subarray(node.contentStart, node.end);
export const raw = (node: DerNode): Buffer => node.bytes.subarray(node.start, node.end);

export function expectTag(node: DerNode, tag: number, what: string): DerNode {
  if (node.tag !== tag) throw new MalformedDer(`${what}: expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
  return node;
}

/** The elements inside a constructed element. */
export function children(node: DerNode): DerNode[] {
  if ((node.tag & 0x20) === 0) throw new MalformedDer(`tag 0x${node.tag.toString(16)} is not constructed`);
  const out: DerNode[] = [];
  for (let offset = node.contentStart; offset < node.end; ) {
    const child = readNode(node.bytes, offset, node.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

export function readOid(node: DerNode): string {
  const body = content(expectTag(node, Tag.oid, 'OBJECT IDENTIFIER'));
  if (body.length === 0 || (body[body.length - 1]! & 0x80) !== 0) throw new MalformedDer('truncated OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  let digits = 0;
  for (const byte of body) {
    if (digits === 0 && byte === 0x80) throw new MalformedDer('non-minimal OBJECT IDENTIFIER arc');
    value = value * 128 + (byte & 0x7f);
    digits++;
    if (!Number.isSafeInteger(value)) throw new MalformedDer('OBJECT IDENTIFIER arc too large');
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
      digits = 0;
    }
  }
  const [head, ...rest] = arcs;
  const first = head! < 40 ? 0 : head! < 80 ? 1 : 2;
  return [first, head! - first * 40, ...rest].join('.');
}

/** An INTEGER's value as a non-negative bigint; negative values are refused. */
export function readUnsignedInteger(node: DerNode): bigint {
  const body = content(expectTag(node, Tag.integer, 'INTEGER'));
  if (body.length === 0) throw new MalformedDer('empty INTEGER');
  if (body.length > 1 && ((body[0] === 0 && (body[1]! & 0x80) === 0) || (body[0] === 0xff && (body[1]! & 0x80) !== 0))) {
    throw new MalformedDer('non-minimal INTEGER');
  }
  if ((body[0]! & 0x80) !== 0) throw new MalformedDer('negative INTEGER');
  return BigInt(`0x${body.toString('hex')}`);
}

export function readBitString(node: DerNode): { readonly unusedBits: number; readonly bytes: Buffer } {
  const body = content(expectTag(node, Tag.bitString, 'BIT STRING'));
  const unusedBits = body[0];
  if (unusedBits === undefined || unusedBits > 7 || (body.length === 1 && unusedBits !== 0)) throw new MalformedDer('malformed BIT STRING');
  return { unusedBits, bytes: body.subarray(1) };
}

export function readBoolean(node: DerNode): boolean {
  const body = content(expectTag(node, Tag.boolean, 'BOOLEAN'));
  if (body.length !== 1 || (body[0] !== 0 && body[0] !== 0xff)) throw new MalformedDer('malformed BOOLEAN');
  return body[0] === 0xff;
}

/** UTCTime or GeneralizedTime in the RFC 5280 profile (seconds, Z). */
export function readTime(node: DerNode): Date {
  const text = content(node).toString('latin1');
  const utc = node.tag === Tag.utcTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  const gen = node.tag === Tag.generalizedTime ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  const m = utc ?? gen;
  if (m === null) throw new MalformedDer(`malformed time "${text}"`);
  const year = utc !== null ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** OCTET STRING or a string type's bytes. */
export const readBytes = (node: DerNode): Buffer => content(node);
