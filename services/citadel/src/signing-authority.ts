import { X509Certificate, createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { LeafTemplate, pemToDer } from './certificate-builder.js';
import { certificateFields, type CertificateFields } from './certificate-fields.js';
import { signatureSchemeFor } from './ca-key.js';
import { MalformedDer } from './der.js';
import { subjectKeyIdentifier } from './certificate-builder.js';

/** One generation of CA key material, as stored or plugged in (PEM). */
export interface CaMaterial {
  /** PKCS#8 private key of the signing certificate. */
  readonly keyPem: string;
  /** The certificate that signs workload certificates (the root itself when self-signed). */
  readonly certPem: string;
  /** Certificates above the signing one, the root last; empty when it is self-signed. */
  readonly chainPems: readonly string[];
}

/** A CA ready to sign: key, the parts every leaf shares, and the chain that follows a leaf. */
export interface SigningAuthority {
  /** Identifies the root this authority chains to (see rootIdOf). */
  readonly rootId: string;
  readonly privateKey: KeyObject;
  readonly certificate: CertificateFields;
  readonly template: LeafTemplate;
  /** What follows a leaf in a response: the signing certificate, any intermediates, the root last. */
  readonly chainPems: readonly string[];
  readonly rootPem: string;
  readonly root: X509Certificate;
  /** Every certificate of the chain, for verifying what this authority issued. */
  readonly chainCertificates: readonly X509Certificate[];
}

/** A short, stable name of a root: the first 16 hex digits of the SHA-256 of its DER. */
export const rootIdOf = (rootPem: string): string => createHash('sha256').update(pemToDer(rootPem)).digest('hex').slice(0, 16);

const samePublicKey = (a: KeyObject, spki: Buffer): boolean =>
  a.export({ type: 'spki', format: 'der' }).equals(createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' }));

/** Checks the material (key matches certificate, CA:true, chain links up to a self-signed root) and prepares it. */
export function loadSigningAuthority(material: CaMaterial): Either<string[], SigningAuthority> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(material.keyPem);
  } catch (err) {
    return left([`CA key is not a readable private key: ${(err as Error).message}`]);
  }
  const scheme = signatureSchemeFor(privateKey);
  if (scheme._tag === 'Left') return left([scheme.left]);
  let certificate: CertificateFields;
  let chain: X509Certificate[];
  try {
    certificate = certificateFields(pemToDer(material.certPem));
    chain = [material.certPem, ...material.chainPems].map((pem) => new X509Certificate(pem));
  } catch (err) {
    if (err instanceof MalformedDer || err instanceof TypeError || (err as { code?: string }).code?.startsWith('ERR_OSSL')) {
      return left([`CA certificate is not a readable X.509 certificate: ${(err as Error).message}`]);
    }
    throw err;
  }
  const problems: string[] = [];
  if (!samePublicKey(createPublicKey(privateKey), certificate.subjectPublicKeyInfo)) problems.push('CA key does not belong to the CA certificate');
  if (!certificate.isCa) problems.push('CA certificate lacks basicConstraints CA:true');
  chain.forEach((cert, i) => {
    const issuer = chain[i + 1] ?? cert;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      problems.push(i + 1 < chain.length ? `certificate ${i + 1} of the chain is not signed by certificate ${i + 2}` : 'the last certificate of the chain is not a self-signed root');
    }
  });
  if (problems.length > 0) return left(problems);
  const root = chain[chain.length - 1]!;
  const rootPem = root.toString();
  return right({
    rootId: rootIdOf(rootPem),
    privateKey,
    certificate,
    template: new LeafTemplate({
      name: certificate.subject,
      keyIdentifier: certificate.subjectKeyIdentifier ?? subjectKeyIdentifier(certificate.subjectPublicKeyInfo),
      signature: scheme.right,
    }),
    chainPems: chain.map((c) => c.toString()),
    rootPem,
    root,
    chainCertificates: chain,
  });
}
