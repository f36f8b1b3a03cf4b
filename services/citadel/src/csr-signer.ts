import { randomFillSync, sign, type KeyObject } from 'node:crypto';
import { certificateDer, toPem, type SubjectNames } from './certificate-builder.js';
import type { SigningAuthority } from './signing-authority.js';

/** notBefore lies this far in the past, so a peer whose clock runs behind still accepts a fresh certificate. */
export const CLOCK_SKEW_BACKDATE_MS = 2 * 60_000;

export interface IssueRequest {
  /** DER, copied into the certificate unchanged. */
  readonly subjectPublicKeyInfo: Buffer;
  readonly names: SubjectNames;
  readonly ttlMs: number;
}

export interface IssuedCertificate {
  readonly der: Buffer;
  readonly pem: string;
  /** Uppercase hex without leading zeros, as openssl and Node's X509Certificate print it. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The leaf first, the root last. */
  readonly chainPems: readonly string[];
}

/** A leaf ready for its signature: the TBSCertificate and what the answer reports about it. */
export interface UnsignedLeaf {
  readonly tbs: Buffer;
  readonly serial: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const SERIAL_BYTES = 16;
// One CSPRNG call per 256 serials: a call per certificate costs ~5% of an ECDSA signature.
const serialPool = Buffer.alloc(SERIAL_BYTES * 256);
let serialOffset = serialPool.length;

/** 128 random bits; DER adds a sign octet when the top bit is set. */
export const randomSerial = (): Buffer => {
  if (serialOffset === serialPool.length) {
    randomFillSync(serialPool);
    serialOffset = 0;
  }
  const serial = Buffer.from(serialPool.subarray(serialOffset, serialOffset + SERIAL_BYTES));
  serialOffset += SERIAL_BYTES;
  // A zero serial is refused by some verifiers; the chance is 2^-128, the fix free.
  if (serial.every((b) => b === 0)) serial[15] = 1;
  return serial;
};

const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

/** The leaf's TBSCertificate from the authority's template. A leaf never outlives the certificate that signs it. */
export function unsignedLeaf(authority: SigningAuthority, req: IssueRequest, now: Date = new Date(), serial: Buffer = randomSerial()): UnsignedLeaf {
  const notBefore = wholeSeconds(now.getTime() - CLOCK_SKEW_BACKDATE_MS);
  const notAfter = wholeSeconds(Math.min(now.getTime() + req.ttlMs, authority.certificate.notAfter.getTime()));
  const tbs = authority.template.tbs({ serial, notBefore, notAfter, subjectPublicKeyInfo: req.subjectPublicKeyInfo, names: req.names });
  return { tbs, serial, notBefore, notAfter };
}

/** The certificate from its TBS and the authority's signature over it. */
export function signedLeaf(authority: SigningAuthority, leaf: UnsignedLeaf, signature: Buffer): IssuedCertificate {
  const der = certificateDer(leaf.tbs, authority.template.issuer.signature, signature);
  const pem = toPem(der);
  const { serial } = leaf;
  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0) start++;
  return {
    der,
    pem,
    serialHex: serial.subarray(start).toString('hex').toUpperCase(),
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    chainPems: [pem, ...authority.chainPems],
  };
}

/**
 * Node's sign in its callback form: OpenSSL runs on libuv's thread pool, so
 * the event loop keeps serving calls and signatures use every core.
 */
const signOffLoop = (hash: string, data: Buffer, key: KeyObject): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    sign(hash, data, key, (err, signature) => (err === null ? resolve(signature) : reject(err)));
  });

/**
 * Builds the leaf from the authority's template and signs it with Node's native
 * crypto (OpenSSL) off the event loop: the in-process signer the ca-issue bench measures.
 */
export async function issueCertificate(authority: SigningAuthority, req: IssueRequest, now: Date = new Date(), serial: Buffer = randomSerial()): Promise<IssuedCertificate> {
  const leaf = unsignedLeaf(authority, req, now, serial);
  return signedLeaf(authority, leaf, await signOffLoop(authority.template.issuer.signature.hash, leaf.tbs, authority.privateKey));
}
