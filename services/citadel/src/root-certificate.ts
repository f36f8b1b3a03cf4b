import { sign } from 'node:crypto';
import { caTbs, certificateDer, distinguishedName, subjectKeyIdentifier, toPem } from './certificate-builder.js';
import { generateCaKey, signatureSchemeFor, type CaKeyAlgorithm } from './ca-key.js';
import { CLOCK_SKEW_BACKDATE_MS, randomSerial } from './csr-signer.js';
import type { CaMaterial } from './signing-authority.js';

export interface SelfSignedRootOptions {
  readonly algorithm: CaKeyAlgorithm;
  readonly trustDomain: string;
  readonly ttlMs: number;
  readonly now: Date;
}

/**
 * A new self-signed root: O=<trust domain>, CN naming its creation time, so
 * two roots trusted side by side during a rotation never share a name.
 */
export function createSelfSignedRoot(opts: SelfSignedRootOptions): CaMaterial {
  const { privateKey, publicKey } = generateCaKey(opts.algorithm);
  const scheme = signatureSchemeFor(privateKey);
  if (scheme._tag === 'Left') throw new Error(`cannot sign with a generated ${opts.algorithm} key: ${scheme.left}`);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = distinguishedName(opts.trustDomain, `Jetmesh root CA ${opts.now.toISOString()}`);
  const notBefore = new Date(Math.floor((opts.now.getTime() - CLOCK_SKEW_BACKDATE_MS) / 1000) * 1000);
  const notAfter = new Date(Math.floor((opts.now.getTime() + opts.ttlMs) / 1000) * 1000);
  const tbs = caTbs({
    serial: randomSerial(),
    notBefore,
    notAfter,
    subject: name,
    subjectPublicKeyInfo: spki,
    issuer: { name, keyIdentifier: subjectKeyIdentifier(spki), signature: scheme.right },
  });
  const der = certificateDer(tbs, scheme.right, sign(scheme.right.hash, tbs, privateKey));
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: toPem(der), chainPems: [] };
}
