import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { toPem } from './certificate-builder.js';
import { bitString, boolean, derNull, implicitPrimitive, octetString, oid, sequence, set, smallInteger, utf8String, contextTag, tlv } from './der.js';
import { Oid } from './oids.js';
import { ipAddressOctets } from './ip-address.js';

/**
 * PKCS#10 requests, as a workload agent sends them: the key pair's public
 * half, one SPIFFE ID as URI SAN, signed with the private half. Every knob
 * exists so tests can also build the requests citadel must refuse.
 */
export interface CsrOptions {
  readonly privateKey: KeyObject;
  /** The key written into the request; default the private key's own. */
  readonly publicKey?: KeyObject;
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  /** IPv4 or IPv6 text. */
  readonly ipAddresses?: readonly string[];
  readonly emails?: readonly string[];
  /** basicConstraints CA:true. */
  readonly ca?: boolean;
  /** keyUsage keyCertSign. */
  readonly keyCertSign?: boolean;
  readonly hash?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  readonly commonName?: string;
  /** CertificationRequestInfo version; 0 is the only valid one. */
  readonly version?: number;
}

const signatureOids: Record<string, Record<string, string>> = {
  rsa: { sha1: Oid.sha1WithRsa, sha256: Oid.sha256WithRsa, sha384: Oid.sha384WithRsa, sha512: Oid.sha512WithRsa },
  ec: { sha1: Oid.ecdsaWithSha1, sha256: Oid.ecdsaWithSha256, sha384: Oid.ecdsaWithSha384, sha512: Oid.ecdsaWithSha512 },
};

export function buildCertificateRequest(opts: CsrOptions): string {
  const hash = opts.hash ?? 'sha256';
  const keyType = opts.privateKey.asymmetricKeyType ?? '';
  const publicKey = opts.publicKey ?? createPublicKey(opts.privateKey);
  const names = [
    ...(opts.uris ?? []).map((u) => implicitPrimitive(6, Buffer.from(u, 'latin1'))),
    ...(opts.dnsNames ?? []).map((d) => implicitPrimitive(2, Buffer.from(d, 'latin1'))),
    ...(opts.ipAddresses ?? []).map((ip) => implicitPrimitive(7, ipAddressOctets(ip))),
    ...(opts.emails ?? []).map((e) => implicitPrimitive(1, Buffer.from(e, 'latin1'))),
  ];
  const extensions = [
    ...(names.length > 0 ? [sequence(oid(Oid.subjectAltName), octetString(sequence(...names)))] : []),
    ...(opts.ca ? [sequence(oid(Oid.basicConstraints), boolean(true), octetString(sequence(boolean(true))))] : []),
    ...(opts.keyCertSign ? [sequence(oid(Oid.keyUsage), boolean(true), octetString(bitString(Buffer.from([0x04]), 2)))] : []),
  ];
  const attributes = extensions.length === 0 ? [] : [sequence(oid(Oid.extensionRequest), set(sequence(...extensions)))];
  const subject = opts.commonName === undefined ? sequence() : sequence(set(sequence(oid(Oid.commonName), utf8String(opts.commonName))));
  const info = sequence(
    smallInteger(opts.version ?? 0),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(contextTag(0, true), ...attributes),
  );
  let algorithm: Buffer;
  let signature: Buffer;
  if (keyType === 'ed25519') {
    algorithm = sequence(oid(Oid.ed25519));
    signature = sign(null, info, opts.privateKey);
  } else {
    const id = signatureOids[keyType]?.[hash];
    if (id === undefined) throw new RangeError(`cannot sign a CSR with a ${keyType} key and ${hash}`);
    algorithm = keyType === 'rsa' ? sequence(oid(id), derNull) : sequence(oid(id));
    signature = sign(hash, info, opts.privateKey);
  }
  return toPem(sequence(info, algorithm, bitString(signature)), 'CERTIFICATE REQUEST');
}


