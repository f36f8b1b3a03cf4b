import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONTEXT_DIR, findContextFile } from './context.js';

/*
 * The config token the CLI sends to galley (`authorization: Bearer …`):
 * JETMESH_TOKEN, else `.jetmesh/config-token` next to the context file (or in
 * the current directory), which `jetmesh up` writes with an admin token.
 */

export const CONFIG_TOKEN_ENV = 'JETMESH_TOKEN';
export const CONFIG_TOKEN_FILE_NAME = 'config-token';

/** The token to send, or undefined to send none (galley with auth disabled needs none). */
export function configToken(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const fromEnv = env[CONFIG_TOKEN_ENV]?.trim();
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const contextFile = findContextFile(env, cwd);
  const file = join(contextFile !== undefined ? dirname(contextFile) : join(cwd, CONTEXT_DIR), CONFIG_TOKEN_FILE_NAME);
  try {
    const token = readFileSync(file, 'utf8').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

/** Writes the token readable by its owner only (it grants writes to the mesh). */
export function writeConfigToken(contextDir: string, token: string): string {
  const file = join(contextDir, CONFIG_TOKEN_FILE_NAME);
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  // writeFileSync's mode applies only when it creates the file.
  chmodSync(file, 0o600);
  return file;
}
