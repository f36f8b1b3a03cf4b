import { webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its providers through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/** A fresh private key (PEM, PKCS#8) and the PKCS#10 request for it naming one SPIFFE ID. */
export interface WorkloadKeyRequest {
  readonly keyPem: string;
  readonly csrPem: string;
  /** The public key, SPKI DER: to check the issued certificate is for this key. */
  readonly publicKeyDer: Buffer;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

// @peculiar/x509 signs through WebCrypto; Node's is the only provider this process has.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const pem = (label: string, der: ArrayBuffer): string => {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
};

/** An ECDSA P-256 key generated here (it never leaves the process) and a CSR whose one URI SAN is `spiffeId`. */
export async function workloadKeyRequest(spiffeId: string): Promise<WorkloadKeyRequest> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as x509.Pkcs10CertificateRequestCreateParams['keys'];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], true)],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey as unknown as webcrypto.CryptoKey);
  return { keyPem: pem('PRIVATE KEY', pkcs8), csrPem: csr.toString('pem'), publicKeyDer: Buffer.from(spki) };
}
