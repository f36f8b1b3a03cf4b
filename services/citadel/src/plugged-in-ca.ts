import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { pemBlocks } from './certificate-builder.js';
import { loadSigningAuthority, type CaMaterial } from './signing-authority.js';

/** Istio's `cacerts` layout: the signing CA, its key, the root(s), and the chain from the signing CA up. */
export const CacertsFiles = {
  caCert: 'ca-cert.pem',
  caKey: 'ca-key.pem',
  rootCert: 'root-cert.pem',
  certChain: 'cert-chain.pem',
} as const;

export interface PluggedInCa {
  readonly material: CaMaterial;
  /** Every root in root-cert.pem: all are trusted. */
  readonly rootsPem: readonly string[];
}

async function readText(dir: string, file: string, required: boolean): Promise<Either<string, string | undefined>> {
  try {
    return right(await readFile(join(dir, file), 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return right(undefined);
    return left(`${join(dir, file)}: ${code === 'ENOENT' ? 'missing' : `cannot be read (${code ?? String(err)})`}`);
  }
}

const isSelfSigned = (c: X509Certificate): boolean => c.checkIssued(c) && c.verify(c.publicKey);

/**
 * Reads a cacerts directory (as Istio's `cacerts` secret holds it) so an
 * intermediate CA can sign and the whole chain is returned with each leaf.
 */
export async function loadPluggedInCa(dir: string): Promise<Either<string[], PluggedInCa>> {
  const files = await Promise.all([
    readText(dir, CacertsFiles.caCert, true),
    readText(dir, CacertsFiles.caKey, true),
    readText(dir, CacertsFiles.rootCert, true),
    readText(dir, CacertsFiles.certChain, false),
  ]);
  const missing = files.flatMap((f) => (f._tag === 'Left' ? [f.left] : []));
  if (missing.length > 0) return left(missing);
  const [caCert = '', caKey = '', rootCert = '', certChain] = files.map((f) => (f._tag === 'Right' ? f.right : undefined));
  const [signing] = pemBlocks(caCert);
  const roots = pemBlocks(rootCert);
  if (signing === undefined) return left([`${CacertsFiles.caCert}: holds no PEM certificate`]);
  if (roots.length === 0) return left([`${CacertsFiles.rootCert}: holds no PEM certificate`]);
  try {
    const signingCert = new X509Certificate(signing);
    // cert-chain.pem usually starts with ca-cert.pem itself and may or may not end with the root.
    const chain = pemBlocks(certChain ?? '').filter((pem) => !new X509Certificate(pem).raw.equals(signingCert.raw));
    const top = new X509Certificate(chain[chain.length - 1] ?? signing);
    if (!isSelfSigned(top)) {
      const root = roots.find((pem) => top.checkIssued(new X509Certificate(pem)));
      if (root === undefined) return left([`no root in ${CacertsFiles.rootCert} issued the top of the chain (${top.subject.replaceAll('\n', ', ')})`]);
      chain.push(root);
    }
    const material: CaMaterial = { keyPem: caKey, certPem: signing, chainPems: chain };
    const checked = loadSigningAuthority(material);
    if (checked._tag === 'Left') return left(checked.left.map((p) => `${dir}: ${p}`));
    return right({ material, rootsPem: roots });
  } catch (err) {
    return left([`${dir}: a certificate cannot be read: ${(err as Error).message}`]);
  }
}
