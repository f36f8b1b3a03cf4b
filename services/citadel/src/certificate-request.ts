import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { type CaRejection, rejection } from './ca-rejection.js';
import {
  MalformedDer,
  Tag,
  children,
  content,
  contextTag,
  expectTag,
  raw,
  readBitString,
  readBoolean,
  readOid,
  readUnsignedInteger,
  readWhole,
  type DerNode,
} from './der.js';
import { Oid, oidName } from './oids.js';
import { ipAddressText } from './ip-address.js';

/** A CSR's public key, as far as policy cares. */
export type RequestKey =
  | { readonly type: 'rsa'; readonly bits: number }
  | { readonly type: 'ec'; readonly curve: 'P-256' | 'P-384' };

/** Subject alternative names a CSR asks for. */
export interface RequestedNames {
  readonly uris: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly emails: readonly string[];
  /** otherName, directoryName, registeredID, …: never granted. */
  readonly others: number;
}

/** A PKCS#10 request that is well-formed, signed by its own key, with an acceptable key. */
export interface CertificateRequest {
  /** SubjectPublicKeyInfo, DER, exactly as the CSR holds it: copied into the certificate. */
  readonly subjectPublicKeyInfo: Buffer;
  readonly publicKey: KeyObject;
  readonly key: RequestKey;
  readonly names: RequestedNames;
  /** What the request asks that would make the certificate a CA (never granted; policy says so). */
  readonly caRequested: { readonly basicConstraints: boolean; readonly keyCertSign: boolean };
}

/** Limits on what a CSR may carry. */
export const CsrLimits = {
  minRsaBits: 2048,
  maxRsaBits: 8192,
  /** A PEM CSR above this is refused before decoding (a real one is 1-3 KiB). */
  maxPemBytes: 64 * 1024,
} as const;

const PEM_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];
const pemBlockPattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

const supportedSignatures: Record<string, { readonly hash: string; readonly keyType: 'rsa' | 'ec' }> = {
  [Oid.sha256WithRsa]: { hash: 'sha256', keyType: 'rsa' },
  [Oid.sha384WithRsa]: { hash: 'sha384', keyType: 'rsa' },
  [Oid.sha512WithRsa]: { hash: 'sha512', keyType: 'rsa' },
  [Oid.ecdsaWithSha256]: { hash: 'sha256', keyType: 'ec' },
  [Oid.ecdsaWithSha384]: { hash: 'sha384', keyType: 'ec' },
  [Oid.ecdsaWithSha512]: { hash: 'sha512', keyType: 'ec' },
};


/** The DER inside the one PEM certificate request block, or why there is none. */
function pemBody(pem: string): Either<CaRejection, Buffer> {
  if (pem.trim() === '') return left(rejection('csr', 'MALFORMED_CSR', 'required: a PEM certificate request'));
  if (pem.length > CsrLimits.maxPemBytes) {
    return left(rejection('csr', 'MALFORMED_CSR', `${pem.length} bytes is larger than the ${CsrLimits.maxPemBytes} accepted`));
  }
  const blocks = [...pem.matchAll(pemBlockPattern)];
  if (blocks.length === 0) return left(rejection('csr', 'MALFORMED_CSR', 'not PEM: expected -----BEGIN CERTIFICATE REQUEST-----'));
  if (blocks.length > 1) return left(rejection('csr', 'MALFORMED_CSR', `holds ${blocks.length} PEM blocks; expected exactly one certificate request`));
  const [, begin = '', body = '', end = ''] = blocks[0]!;
  if (!PEM_LABELS.includes(begin)) return left(rejection('csr', 'MALFORMED_CSR', `PEM block is a ${begin}, not a CERTIFICATE REQUEST`));
  if (begin !== end) return left(rejection('csr', 'MALFORMED_CSR', `PEM block begins as ${begin} but ends as ${end}`));
  const base64 = body.replace(/\s+/g, '');
  if (base64 === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    return left(rejection('csr', 'MALFORMED_CSR', 'PEM body is not valid base64'));
  }
  return right(Buffer.from(base64, 'base64'));
}

const base64url = (bytes: Buffer): string => bytes.toString('base64url');

function bitLength(magnitude: Buffer): number {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) start++;
  if (start === magnitude.length) return 0;
  return (magnitude.length - start - 1) * 8 + (32 - Math.clz32(magnitude[start]!));
}

const curveByOid: Record<string, { readonly curve: 'P-256' | 'P-384'; readonly coordinateBytes: number }> = {
  [Oid.p256]: { curve: 'P-256', coordinateBytes: 32 },
  [Oid.p384]: { curve: 'P-384', coordinateBytes: 48 },
};

/*
 * Keys are imported from JWK rather than from the SPKI DER: OpenSSL 3's DER
 * decoders cost ~250 µs a key, a JWK import of RSA ~10 µs (measured), and
 * citadel imports one key per request.
 */
function inspectKey(spki: Buffer, algorithm: string, parameters: DerNode | undefined, keyBits: Buffer): Either<CaRejection, { key: RequestKey; publicKey: KeyObject }> {
  const path = 'csr.publicKey';
  if (algorithm === Oid.rsaEncryption) {
    const [modulus, exponentNode] = children(expectTag(readWhole(keyBits), Tag.sequence, 'RSAPublicKey'));
    if (modulus === undefined || exponentNode === undefined) throw new MalformedDer('RSAPublicKey needs modulus and exponent');
    const bits = bitLength(content(expectTag(modulus, Tag.integer, 'modulus')));
    const exponent = readUnsignedInteger(exponentNode);
    if (bits < CsrLimits.minRsaBits) return left(rejection(path, 'WEAK_KEY', `RSA key of ${bits} bits is too weak; at least ${CsrLimits.minRsaBits} required`));
    if (bits > CsrLimits.maxRsaBits) return left(rejection(path, 'UNSUPPORTED_KEY', `RSA key of ${bits} bits is larger than the ${CsrLimits.maxRsaBits} accepted`));
    if (exponent < 3n || exponent % 2n === 0n) return left(rejection(path, 'WEAK_KEY', `RSA public exponent ${exponent} is unsafe; use 65537`));
    const n = content(modulus);
    const jwk = { kty: 'RSA', n: base64url(n[0] === 0 ? n.subarray(1) : n), e: base64url(content(exponentNode)) };
    return right({ key: { type: 'rsa', bits }, publicKey: createPublicKey({ key: jwk, format: 'jwk' }) });
  }
  if (algorithm !== Oid.ecPublicKey) {
    return left(rejection(path, 'UNSUPPORTED_KEY', `${oidName(algorithm)} keys are not accepted; use RSA (2048 bits or more) or ECDSA P-256/P-384`));
  }
  const curveOid = parameters?.tag === Tag.oid ? readOid(parameters) : undefined;
  const curve = curveOid === undefined ? undefined : curveByOid[curveOid];
  if (curve === undefined) {
    return left(rejection(path, 'UNSUPPORTED_KEY', `EC curve ${curveOid === undefined ? '(none named)' : oidName(curveOid)} is not accepted; use P-256 or P-384`));
  }
  try {
    const size = curve.coordinateBytes;
    const publicKey =
      keyBits[0] === 0x04 && keyBits.length === 1 + 2 * size
        ? createPublicKey({
            key: { kty: 'EC', crv: curve.curve, x: base64url(keyBits.subarray(1, 1 + size)), y: base64url(keyBits.subarray(1 + size)) },
            format: 'jwk',
          })
        : // Compressed points are rare; OpenSSL's decoder handles them.
          createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return right({ key: { type: 'ec', curve: curve.curve }, publicKey });
  } catch (err) {
    return left(rejection(path, 'MALFORMED_CSR', `not a valid ${curve.curve} public key (${(err as Error).message})`));
  }
}

const emptyNames: RequestedNames = { uris: [], dnsNames: [], ipAddresses: [], emails: [], others: 0 };

function readGeneralNames(extensionValue: Buffer): RequestedNames {
  const uris: string[] = [];
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const emails: string[] = [];
  let others = 0;
  for (const name of children(expectTag(readWhole(extensionValue), Tag.sequence, 'subjectAltName'))) {
    const text = content(name).toString('latin1');
    if (name.tag === contextTag(6, false)) uris.push(text);
    else if (name.tag === contextTag(2, false)) dnsNames.push(text);
    else if (name.tag === contextTag(7, false)) ipAddresses.push(ipAddressText(content(name)));
    else if (name.tag === contextTag(1, false)) emails.push(text);
    else others++;
  }
  return { uris, dnsNames, ipAddresses, emails, others };
}

/** CA:true in basicConstraints. */
const basicConstraintsIsCa = (extensionValue: Buffer): boolean => {
  const [first] = children(expectTag(readWhole(extensionValue), Tag.sequence, 'basicConstraints'));
  return first !== undefined && first.tag === Tag.boolean && readBoolean(first);
};

/** keyCertSign (bit 5) or cRLSign (bit 6) in keyUsage. */
const keyUsageSignsCertificates = (extensionValue: Buffer): boolean => {
  const { bytes } = readBitString(readWhole(extensionValue));
  return ((bytes[0] ?? 0) & 0b0000_0110) !== 0;
};

interface RequestedExtensions {
  readonly names: RequestedNames | undefined;
  readonly basicConstraintsCa: boolean;
  readonly keyUsageCa: boolean;
}

function readRequestedExtensions(attributes: DerNode | undefined): RequestedExtensions {
  let names: RequestedNames | undefined;
  let basicConstraintsCa = false;
  let keyUsageCa = false;
  const seen = new Set<string>();
  for (const attribute of attributes === undefined ? [] : children(attributes)) {
    const [type, values] = children(expectTag(attribute, Tag.sequence, 'attribute'));
    if (type === undefined || values === undefined) throw new MalformedDer('attribute without type or values');
    if (readOid(type) !== Oid.extensionRequest) continue;
    for (const extensions of children(expectTag(values, Tag.set, 'extensionRequest values'))) {
      for (const extension of children(expectTag(extensions, Tag.sequence, 'extensions'))) {
        const parts = children(expectTag(extension, Tag.sequence, 'extension'));
        const [idNode] = parts;
        const value = parts[parts.length - 1];
        if (idNode === undefined) throw new MalformedDer('empty extension');
        const id = readOid(idNode);
        if (value === undefined || value.tag !== Tag.octetString) throw new MalformedDer(`extension ${oidName(id)} has no value`);
        if (seen.has(id)) throw new MalformedDer(`extension ${oidName(id)} appears twice`);
        seen.add(id);
        if (id === Oid.subjectAltName) names = readGeneralNames(content(value));
        else if (id === Oid.basicConstraints) basicConstraintsCa = basicConstraintsIsCa(content(value));
        else if (id === Oid.keyUsage) keyUsageCa = keyUsageSignsCertificates(content(value));
      }
    }
  }
  return { names, basicConstraintsCa, keyUsageCa };
}

/** What the request's signature is checked with, or that it cannot be valid. */
type SignatureCheck = { readonly hash: string; readonly data: Buffer; readonly key: KeyObject; readonly signature: Buffer } | 'invalid';

/** The structural checks, done at once; the signature is left to check off the event loop. */
interface CheckedRequest {
  readonly problems: readonly CaRejection[];
  /** Undefined when the key could not be used. */
  readonly request: CertificateRequest | undefined;
  /** Undefined when the signature scheme already failed (a problem says why). */
  readonly signature: SignatureCheck | undefined;
}

/** Checks that grant nothing yet: well-formed, a sound key, a usable signature scheme. What it asks for is policy's to judge. */
function checkRequest(der: Buffer): CheckedRequest {
  const [info, signatureAlgorithm, signature] = children(expectTag(readWhole(der), Tag.sequence, 'CertificationRequest'));
  if (info === undefined || signatureAlgorithm === undefined || signature === undefined) throw new MalformedDer('CertificationRequest needs 3 parts');
  const [version, subject, spkiNode, attributes] = children(expectTag(info, Tag.sequence, 'CertificationRequestInfo'));
  if (version === undefined || subject === undefined || spkiNode === undefined) throw new MalformedDer('CertificationRequestInfo needs version, subject and key');
  expectTag(subject, Tag.sequence, 'subject');
  if (attributes !== undefined && attributes.tag !== contextTag(0, true)) throw new MalformedDer('attributes must be [0]');
  const problems: CaRejection[] = [];
  const versionNumber = readUnsignedInteger(version);
  if (versionNumber !== 0n) problems.push(rejection('csr.version', 'MALFORMED_CSR', `must be 0 (v1), got ${versionNumber}`));

  const [keyAlgorithm, keyBitString] = children(expectTag(spkiNode, Tag.sequence, 'subjectPublicKeyInfo'));
  if (keyAlgorithm === undefined || keyBitString === undefined) throw new MalformedDer('subjectPublicKeyInfo needs an algorithm and a key');
  const [keyAlgorithmId, keyParameters] = children(expectTag(keyAlgorithm, Tag.sequence, 'key algorithm'));
  if (keyAlgorithmId === undefined) throw new MalformedDer('key algorithm without id');
  const spki = Buffer.from(raw(spkiNode));
  const keyBits = readBitString(keyBitString);
  if (keyBits.unusedBits !== 0) throw new MalformedDer('subjectPublicKey has unused bits');
  const inspected = inspectKey(spki, readOid(keyAlgorithmId), keyParameters, keyBits.bytes);
  if (inspected._tag === 'Left') problems.push(inspected.left);

  const [signatureId] = children(expectTag(signatureAlgorithm, Tag.sequence, 'signatureAlgorithm'));
  if (signatureId === undefined) throw new MalformedDer('signatureAlgorithm without id');
  const signatureOid = readOid(signatureId);
  const scheme = supportedSignatures[signatureOid];
  let check: SignatureCheck | undefined;
  if (scheme === undefined) {
    problems.push(rejection('csr.signatureAlgorithm', 'UNSUPPORTED_ALGORITHM', `${oidName(signatureOid)} is not accepted; sign with SHA-256 or stronger (RSA PKCS#1 v1.5 or ECDSA)`));
  } else if (inspected._tag === 'Right') {
    if (scheme.keyType !== inspected.right.key.type) {
      problems.push(rejection('csr.signatureAlgorithm', 'UNSUPPORTED_ALGORITHM', `${oidName(signatureOid)} does not match the ${inspected.right.key.type.toUpperCase()} key`));
    } else {
      const { bytes, unusedBits } = readBitString(signature);
      check = unusedBits === 0 ? { hash: scheme.hash, data: raw(info), key: inspected.right.publicKey, signature: bytes } : 'invalid';
    }
  }

  const requested = readRequestedExtensions(attributes);
  return {
    problems,
    request:
      inspected._tag === 'Left'
        ? undefined
        : {
            subjectPublicKeyInfo: spki,
            publicKey: inspected.right.publicKey,
            key: inspected.right.key,
            names: requested.names ?? emptyNames,
            caRequested: { basicConstraints: requested.basicConstraintsCa, keyCertSign: requested.keyUsageCa },
          },
    signature: check,
  };
}

/** Node's verify in its callback form: OpenSSL runs on libuv's thread pool, off the event loop. */
const verifiesOffLoop = (check: SignatureCheck): Promise<boolean> =>
  check === 'invalid'
    ? Promise.resolve(false)
    : new Promise((resolve, reject) => {
        verify(check.hash, check.data, check.key, check.signature, (err, valid) => (err === null ? resolve(valid) : reject(err)));
      });

/**
 * Decodes and checks a PEM PKCS#10 request. All problems found are returned at
 * once, except that a request that is not DER at all stops at that.
 */
export async function parseCertificateRequest(pem: string): Promise<Either<CaRejection[], CertificateRequest>> {
  const der = pemBody(pem);
  if (der._tag === 'Left') return left([der.left]);
  let checked: CheckedRequest;
  try {
    checked = checkRequest(der.right);
  } catch (err) {
    if (err instanceof MalformedDer) return left([rejection('csr', 'MALFORMED_CSR', `not a valid DER certificate request: ${err.message}`)]);
    throw err;
  }
  const problems = [...checked.problems];
  if (checked.signature !== undefined && !(await verifiesOffLoop(checked.signature))) {
    problems.push(rejection('csr.signature', 'BAD_CSR_SIGNATURE', "does not verify with the request's own public key"));
  }
  if (problems.length > 0 || checked.request === undefined) return left(problems);
  return right(checked.request);
}
