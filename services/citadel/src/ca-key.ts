import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { SignatureSchemes, type SignatureScheme } from './certificate-builder.js';

/** Key types a self-signed root can be created with. */
export const caKeyAlgorithms = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ecdsa-p256', 'ecdsa-p384'] as const;
export type CaKeyAlgorithm = (typeof caKeyAlgorithms)[number];

export function generateCaKey(algorithm: CaKeyAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (algorithm) {
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096':
      return generateKeyPairSync('rsa', { modulusLength: Number(algorithm.slice(4)), publicExponent: 0x10001 });
    case 'ecdsa-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ecdsa-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
  }
}

/** How a CA key signs certificates: SHA-256 for RSA and P-256, SHA-384 for P-384. */
export function signatureSchemeFor(key: KeyObject): Either<string, SignatureScheme> {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return bits >= 2048 ? right(SignatureSchemes.rsaSha256) : left(`RSA CA key of ${bits} bits is too weak (2048 or more)`);
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return right(SignatureSchemes.ecdsaSha256);
    if (curve === 'secp384r1') return right(SignatureSchemes.ecdsaSha384);
    return left(`EC CA key on curve ${curve ?? 'unknown'} is not supported (P-256 or P-384)`);
  }
  return left(`${type ?? 'unknown'} CA keys are not supported (RSA or ECDSA)`);
}
