import { createHash } from 'node:crypto';
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
  readWhole,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';
import { Oid } from './oids.js';

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

function ipOctets(text: string): Buffer {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return Buffer.from(text.split('.').map(Number));
  const [head = '', tail] = text.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) throw new RangeError(`not an IP address: ${text}`);
  return Buffer.from(all.map((g) => g.padStart(4, '0')).join(''), 'hex');
}

function generalNames(names: SubjectNames): Buffer {
  return sequence(
    ...names.uris.map((u) => implicitPrimitive(6, Buffer.from(u, 'latin1'))),
    ...(names.dnsNames ?? []).map((d) => implicitPrimitive(2, Buffer.from(d, 'latin1'))),
    ...(names.ipAddresses ?? []).map((ip) => implicitPrimitive(7, ipOctets(ip))),
  );
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

/** DER header (tag + length octets) of an element with `length` content bytes. */
function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  if (length < 0x100) return Buffer.from([tag, 0x81, length]);
  if (length < 0x10000) return Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.from([tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
}

const headerLength = (length: number): number => (length < 0x80 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : 5);

const ZERO = 0x30;
function digits(out: Buffer, at: number, value: number, width: number): void {
  for (let i = width - 1, v = value; i >= 0; i--, v = Math.floor(v / 10)) out[at + i] = ZERO + (v % 10);
}

/** time() without string building: the leaf path writes two of these per certificate. */
function timeBytes(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const utc = year >= 1950 && year < 2050;
  const width = utc ? 2 : 4;
  const out = Buffer.allocUnsafe(2 + width + 11);
  out[0] = utc ? Tag.utcTime : Tag.generalizedTime;
  out[1] = width + 11;
  digits(out, 2, utc ? year % 100 : year, width);
  let at = 2 + width;
  for (const v of [date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]) {
    digits(out, at, v, 2);
    at += 2;
  }
  out[at] = 0x5a; // 'Z'
  return out;
}

const sanPrefix = Buffer.concat([oid(Oid.subjectAltName), boolean(true)]);
const skiPrefix = oid(Oid.subjectKeyIdentifier);

/** The parts of a leaf TBSCertificate that one issuer shares across every certificate, encoded once. */
export class LeafTemplate {
  private readonly beforeSerial: Buffer;
  private readonly afterSerial: Buffer;
  private readonly fixedExtensions: Buffer;

  constructor(readonly issuer: IssuerProfile) {
    this.beforeSerial = version3;
    this.afterSerial = Buffer.concat([issuer.signature.algorithmIdentifier, issuer.name]);
    this.fixedExtensions = Buffer.concat([leafBasicConstraints, leafKeyUsage, leafExtKeyUsage, authorityKeyIdentifier(issuer.keyIdentifier)]);
  }

  /**
   * A workload TBSCertificate: empty subject, so the SAN is critical (RFC 5280
   * 4.2.1.6); CA:false; digitalSignature+keyEncipherment; serverAuth+clientAuth.
   * Assembled as one list of parts and a single copy: this runs for every certificate.
   */
  tbs(fields: LeafFields): Buffer {
    const serial = unsignedInteger(fields.serial);
    const notBefore = timeBytes(fields.notBefore);
    const notAfter = timeBytes(fields.notAfter);
    const validityLength = notBefore.length + notAfter.length;

    const ski = subjectKeyIdentifier(fields.subjectPublicKeyInfo);
    // SEQ { oid, OCTET STRING { OCTET STRING { ski } } }
    const skiInner = 2 + ski.length;
    const skiValue = headerLength(skiInner) + skiInner;
    const skiContent = skiPrefix.length + skiValue;
    const skiExtension = Buffer.concat([header(Tag.sequence, skiContent), skiPrefix, header(Tag.octetString, skiInner), header(Tag.octetString, ski.length), ski]);

    // SEQ { oid, TRUE, OCTET STRING { SEQ { GeneralName... } } }
    const names = generalNames(fields.names);
    const sanContent = sanPrefix.length + headerLength(names.length) + names.length;
    const sanExtension = Buffer.concat([header(Tag.sequence, sanContent), sanPrefix, header(Tag.octetString, names.length), names]);

    const extensionsLength = this.fixedExtensions.length + skiExtension.length + sanExtension.length;
    const extensionsWrapped = headerLength(extensionsLength) + extensionsLength;

    const parts = [
      this.beforeSerial,
      serial,
      this.afterSerial,
      header(Tag.sequence, validityLength),
      notBefore,
      notAfter,
      emptyName,
      fields.subjectPublicKeyInfo,
      header(contextTag(3, true), extensionsWrapped),
      header(Tag.sequence, extensionsLength),
      this.fixedExtensions,
      skiExtension,
      sanExtension,
    ];
    const tbsLength = parts.reduce((sum, part) => sum + part.length, 0);
    return Buffer.concat([header(Tag.sequence, tbsLength), ...parts], headerLength(tbsLength) + tbsLength);
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

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }. */
export const certificateDer = (tbs: Buffer, scheme: SignatureScheme, signature: Buffer): Buffer =>
  sequence(tbs, scheme.algorithmIdentifier, bitString(signature));

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
