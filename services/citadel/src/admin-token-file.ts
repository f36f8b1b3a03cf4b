import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes the admin secret where the local CLI finds it (readable by the owner
 * only), atomically: a reader never sees half a secret.
 */
export async function writeAdminTokenFile(file: string, secret: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${secret}\n`, { mode: 0o600 });
  await rename(temp, file);
}
