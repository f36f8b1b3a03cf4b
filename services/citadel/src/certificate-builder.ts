import { createHash, hash as cryptoHash } from 'node:crypto';
import {
  Tag,
  bitString,
  contextTag,
  boolean,
  children,
  derNull,
  explicit,
  expectTag,
  implicitPrimitive,
  octetString,
  oid,
  readBitString,
  readNode,
  readWhole,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';
import { Oid } from './oids.js';
import { ipAddressOctets } from './ip-address.js';

/*
 * X.509 v3 certificates as DER, pure: serial numbers and times come from the
 * caller, the signature from whoever holds the key. Everything that is the
 * same for every leaf of one issuer is encoded once (LeafTemplate).
 */

/** How an issuer signs: the AlgorithmIdentifier written into certificates and the digest fed to the signer. */
export interface SignatureScheme {
  readonly algorithmIdentifier: Buffer;
  readonly hash: 'sha256' | 'sha384';
}

export const SignatureSchemes = {
  rsaSha256: { algorithmIdentifier: sequence(oid(Oid.sha256WithRsa), derNull), hash: 'sha256' },
  ecdsaSha256: { algorithmIdentifier: sequence(oid(Oid.ecdsaWithSha256)), hash: 'sha256' },
  ecdsaSha384: { algorithmIdentifier: sequence(oid(Oid.ecdsaWithSha384)), hash: 'sha384' },
} as const satisfies Record<string, SignatureScheme>;

/** The certificate that signs: its subject becomes the issuer name, its key id the authority key id. */
export interface IssuerProfile {
  /** The signing certificate's subject Name, DER, byte for byte. */
  readonly name: Buffer;
  readonly keyIdentifier: Buffer;
  readonly signature: SignatureScheme;
}

export interface SubjectNames {
  readonly uris: readonly string[];
  readonly dnsNames?: readonly string[];
  /** Dotted IPv4 or IPv6 text. */
  readonly ipAddresses?: readonly string[];
}

export interface LeafFields {
  /** Positive big-endian magnitude, at most 20 bytes. */
  readonly serial: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectPublicKeyInfo: Buffer;
  readonly names: SubjectNames;
}

const version3 = explicit(0, smallInteger(2));
const emptyName = sequence();

const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes. */
export function subjectKeyIdentifier(subjectPublicKeyInfo: Buffer): Buffer {
  const [, key] = children(expectTag(readWhole(subjectPublicKeyInfo), Tag.sequence, 'subjectPublicKeyInfo'));
  if (key === undefined) throw new RangeError('subjectPublicKeyInfo without a key');
  return createHash('sha1').update(readBitString(key).bytes).digest();
}

// digitalSignature (bit 0) + keyEncipherment (bit 2): 1010 0000, 5 unused bits.
const leafKeyUsage = extension(Oid.keyUsage, true, bitString(Buffer.from([0xa0]), 5));
const leafExtKeyUsage = extension(Oid.extKeyUsage, false, sequence(oid(Oid.serverAuth), oid(Oid.clientAuth)));
const leafBasicConstraints = extension(Oid.basicConstraints, true, sequence());
// digitalSignature + keyCertSign (bit 5) + cRLSign (bit 6): 1000 0110, 1 unused bit.
const caKeyUsage = extension(Oid.keyUsage, true, bitString(Buffer.from([0x86]), 1));

const authorityKeyIdentifier = (keyId: Buffer): Buffer =>
  extension(Oid.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyId)));
const subjectKeyIdentifierExtension = (keyId: Buffer): Buffer => extension(Oid.subjectKeyIdentifier, false, octetString(keyId));

const headerLength = (length: number): number => (length < 0x80 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : 5);

/** Writes a DER header at `at`; returns the offset after it. */
function putHeader(out: Buffer, at: number, tag: number, length: number): number {
  out[at++] = tag;
  if (length < 0x80) {
    out[at++] = length;
  } else if (length < 0x100) {
    out[at++] = 0x81;
    out[at++] = length;
  } else if (length < 0x10000) {
    out[at++] = 0x82;
    out[at++] = length >> 8;
    out[at++] = length & 0xff;
  } else {
    out[at++] = 0x83;
    out[at++] = length >> 16;
    out[at++] = (length >> 8) & 0xff;
    out[at++] = length & 0xff;
  }
  return at;
}

const ZERO = 0x30;
function putDigits(out: Buffer, at: number, value: number, width: number): number {
  for (let i = width - 1, v = value; i >= 0; i--, v = Math.floor(v / 10)) out[at + i] = ZERO + (v % 10);
  return at + width;
}

const isUtcTime = (date: Date): boolean => date.getUTCFullYear() >= 1950 && date.getUTCFullYear() < 2050;
/** Encoded size of a Time: UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ. */
const timeSize = (date: Date): number => (isUtcTime(date) ? 15 : 17);

/** time() written in place: the leaf path writes two per certificate. */
function putTime(out: Buffer, at: number, date: Date): number {
  const utc = isUtcTime(date);
  at = putHeader(out, at, utc ? Tag.utcTime : Tag.generalizedTime, utc ? 13 : 15);
  at = putDigits(out, at, utc ? date.getUTCFullYear() % 100 : date.getUTCFullYear(), utc ? 2 : 4);
  at = putDigits(out, at, date.getUTCMonth() + 1, 2);
  at = putDigits(out, at, date.getUTCDate(), 2);
  at = putDigits(out, at, date.getUTCHours(), 2);
  at = putDigits(out, at, date.getUTCMinutes(), 2);
  at = putDigits(out, at, date.getUTCSeconds(), 2);
  out[at++] = 0x5a; // 'Z'
  return at;
}

/** crypto.hash (one call, no Hash object) where Node has it; it is ~2x cheaper for a 20-byte digest. */
const sha1 = (data: Uint8Array): Buffer =>
  typeof cryptoHash === 'function' ? (cryptoHash('sha1', data, 'buffer') as Buffer) : createHash('sha1').update(data).digest();

/** The subjectPublicKey bytes of an SPKI: skip the outer header and the algorithm, read the BIT STRING. */
function subjectPublicKeyBytes(spki: Buffer): Buffer {
  const outer = readNode(spki);
  const algorithm = readNode(spki, outer.contentStart, outer.end);
  const key = readNode(spki, algorithm.end, outer.end);
  if (outer.tag !== Tag.sequence || algorithm.tag !== Tag.sequence) throw new RangeError('not a subjectPublicKeyInfo');
  return readBitString(key).bytes;
}

const sanPrefix = Buffer.concat([oid(Oid.subjectAltName), boolean(true)]);
// SEQ { OID subjectKeyIdentifier, OCTET STRING { OCTET STRING { 20 bytes } } }: everything but the 20 bytes is fixed.
const skiExtensionHead = Buffer.concat([Buffer.from([Tag.sequence, 29]), oid(Oid.subjectKeyIdentifier), Buffer.from([Tag.octetString, 22, Tag.octetString, 20])]);
const SKI_EXTENSION_SIZE = skiExtensionHead.length + 20;

interface EncodedName {
  readonly tag: number;
  readonly text?: string;
  readonly octets?: Buffer;
  readonly size: number;
}

function encodedNames(names: SubjectNames): EncodedName[] {
  const out: EncodedName[] = [];
  for (const uri of names.uris) out.push({ tag: contextTag(6, false), text: uri, size: Buffer.byteLength(uri, 'latin1') });
  for (const dns of names.dnsNames ?? []) out.push({ tag: contextTag(2, false), text: dns, size: Buffer.byteLength(dns, 'latin1') });
  for (const ip of names.ipAddresses ?? []) {
    const octets = ipAddressOctets(ip);
    out.push({ tag: contextTag(7, false), octets, size: octets.length });
  }
  return out;
}

/** The parts of a leaf TBSCertificate that one issuer shares across every certificate, encoded once. */
export class LeafTemplate {
  private readonly afterSerial: Buffer;
  private readonly fixedExtensions: Buffer;

  constructor(readonly issuer: IssuerProfile) {
    this.afterSerial = Buffer.concat([issuer.signature.algorithmIdentifier, issuer.name]);
    this.fixedExtensions = Buffer.concat([leafBasicConstraints, leafKeyUsage, leafExtKeyUsage, authorityKeyIdentifier(issuer.keyIdentifier)]);
  }

  /**
   * A workload TBSCertificate: empty subject, so the SAN is critical (RFC 5280
   * 4.2.1.6); CA:false; digitalSignature+keyEncipherment; serverAuth+clientAuth.
   * Sizes are computed first and everything is written into one buffer: this
   * runs for every certificate, and small Buffer allocations were most of its cost.
   */
  tbs(fields: LeafFields): Buffer {
    let serialStart = 0;
    while (serialStart < fields.serial.length - 1 && fields.serial[serialStart] === 0) serialStart++;
    const serial = fields.serial.subarray(serialStart);
    const serialPad = (serial[0]! & 0x80) !== 0 ? 1 : 0;
    const serialContent = serial.length + serialPad;

    const validityContent = timeSize(fields.notBefore) + timeSize(fields.notAfter);
    const ski = sha1(subjectPublicKeyBytes(fields.subjectPublicKeyInfo));

    const names = encodedNames(fields.names);
    const namesContent = names.reduce((sum, n) => sum + headerLength(n.size) + n.size, 0);
    const namesSize = headerLength(namesContent) + namesContent;
    const sanContent = sanPrefix.length + headerLength(namesSize) + namesSize;
    const sanSize = headerLength(sanContent) + sanContent;

    const extensionsContent = this.fixedExtensions.length + SKI_EXTENSION_SIZE + sanSize;
    const extensionsSize = headerLength(extensionsContent) + extensionsContent;

    const tbsContent =
      version3.length +
      headerLength(serialContent) +
      serialContent +
      this.afterSerial.length +
      headerLength(validityContent) +
      validityContent +
      emptyName.length +
      fields.subjectPublicKeyInfo.length +
      headerLength(extensionsSize) +
      extensionsSize;

    const out = Buffer.allocUnsafe(headerLength(tbsContent) + tbsContent);
    let at = putHeader(out, 0, Tag.sequence, tbsContent);
    at += version3.copy(out, at);
    at = putHeader(out, at, Tag.integer, serialContent);
    if (serialPad === 1) out[at++] = 0;
    at += serial.copy(out, at);
    at += this.afterSerial.copy(out, at);
    at = putHeader(out, at, Tag.sequence, validityContent);
    at = putTime(out, at, fields.notBefore);
    at = putTime(out, at, fields.notAfter);
    at += emptyName.copy(out, at);
    at += fields.subjectPublicKeyInfo.copy(out, at);
    at = putHeader(out, at, contextTag(3, true), extensionsSize);
    at = putHeader(out, at, Tag.sequence, extensionsContent);
    at += this.fixedExtensions.copy(out, at);
    at += skiExtensionHead.copy(out, at);
    at += ski.copy(out, at);
    at = putHeader(out, at, Tag.sequence, sanContent);
    at += sanPrefix.copy(out, at);
    at = putHeader(out, at, Tag.octetString, namesSize);
    at = putHeader(out, at, Tag.sequence, namesContent);
    for (const name of names) {
      at = putHeader(out, at, name.tag, name.size);
      at += name.octets !== undefined ? name.octets.copy(out, at) : out.write(name.text ?? '', at, 'latin1');
    }
    if (at !== out.length) throw new Error(`TBS size mismatch: wrote ${at} of ${out.length} bytes`);
    return out;
  }
}

/** A Name of one O and one CN, UTF8String as RFC 5280 asks of new certificates. */
export function distinguishedName(organization: string, commonName: string): Buffer {
  const rdn = (id: string, value: string): Buffer => set(sequence(oid(id), utf8String(value)));
  return sequence(rdn(Oid.organizationName, organization), rdn(Oid.commonName, commonName));
}

export interface CaFields {
  readonly serial: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: Buffer;
  readonly subjectPublicKeyInfo: Buffer;
  /** Self-signed: the subject and the own key id. */
  readonly issuer: IssuerProfile;
  /** Intermediates below this one; absent: unlimited. */
  readonly pathLength?: number;
}

/** A CA TBSCertificate: CA:true, keyCertSign+cRLSign, SKI and AKI. */
export function caTbs(fields: CaFields): Buffer {
  const ski = subjectKeyIdentifier(fields.subjectPublicKeyInfo);
  const basicConstraints = sequence(boolean(true), ...(fields.pathLength === undefined ? [] : [smallInteger(fields.pathLength)]));
  return sequence(
    version3,
    unsignedInteger(fields.serial),
    fields.issuer.signature.algorithmIdentifier,
    fields.issuer.name,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.subjectPublicKeyInfo,
    explicit(
      3,
      sequence(
        extension(Oid.basicConstraints, true, basicConstraints),
        caKeyUsage,
        subjectKeyIdentifierExtension(ski),
        authorityKeyIdentifier(fields.issuer.keyIdentifier),
      ),
    ),
  );
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, written in one buffer. */
export function certificateDer(tbs: Buffer, scheme: SignatureScheme, signature: Buffer): Buffer {
  const bitsContent = signature.length + 1;
  const content = tbs.length + scheme.algorithmIdentifier.length + headerLength(bitsContent) + bitsContent;
  const out = Buffer.allocUnsafe(headerLength(content) + content);
  let at = putHeader(out, 0, Tag.sequence, content);
  at += tbs.copy(out, at);
  at += scheme.algorithmIdentifier.copy(out, at);
  at = putHeader(out, at, Tag.bitString, bitsContent);
  out[at++] = 0;
  signature.copy(out, at);
  return out;
}

export function toPem(der: Buffer, label = 'CERTIFICATE'): string {
  const base64 = der.toString('base64');
  let body = '';
  for (let i = 0; i < base64.length; i += 64) body += `${base64.slice(i, i + 64)}\n`;
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** Every PEM block of a text, in order (a chain or bundle file). */
export function pemBlocks(text: string, label = 'CERTIFICATE'): string[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g');
  return [...text.matchAll(pattern)].map((m) => `${m[0]}\n`);
}

/** The DER of one PEM block. */
export const pemToDer = (pem: string): Buffer => Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
