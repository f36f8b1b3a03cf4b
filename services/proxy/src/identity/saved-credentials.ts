import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type { WorkloadCredentials } from './workload-identity.js';

const FILE = 'credentials.json';

/**
 * The last certificate, key and roots, kept in the state directory (mode 0600) so a proxy
 * restarted while citadel or NATS is down still serves mutual TLS until the certificate expires.
 */
export async function saveCredentials(stateDir: string, c: WorkloadCredentials): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ keyPem: c.keyPem, chainPem: c.chainPem, rootsPem: c.rootsPem, spiffeId: c.spiffeId, notAfter: c.notAfter.toISOString() }), { mode: 0o600 });
  await rename(tmp, path);
}

/** The saved credentials when they are still valid for `spiffeId` at `now`; undefined otherwise. */
export async function loadCredentials(stateDir: string, spiffeId: string, now: Date): Promise<WorkloadCredentials | undefined> {
  try {
    const saved = JSON.parse(await readFile(join(stateDir, FILE), 'utf8')) as Record<string, unknown>;
    const { keyPem, chainPem, rootsPem } = saved;
    if (typeof keyPem !== 'string' || typeof chainPem !== 'string' || typeof rootsPem !== 'string' || saved.spiffeId !== spiffeId) return undefined;
    const leaf = new X509Certificate(chainPem);
    const notAfter = new Date(leaf.validTo);
    if (!(notAfter > now) || !(leaf.subjectAltName ?? '').includes(`URI:${spiffeId}`)) return undefined;
    return { keyPem, chainPem, rootsPem, spiffeId, notAfter };
  } catch {
    return undefined;
  }
}
