import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESH_NATS_CONFIG, MeshNatsUsers, generateNatsPassword, natsPasswordVariable, type MeshNatsUser } from '@jetmesh/runtime';
import { CONTEXT_DIR } from '../context.js';
import type { NatsServerConfig } from './local-nats.js';
import { repoRoot } from './repo-root.js';

/** The operator's user, which the CLI connects as. */
export const CLI_NATS_USER: MeshNatsUser = 'admin';
const ADMIN_PASSWORD_FILE = 'nats-admin-password';
/** `jetmesh proxy` beside a local mesh connects as the proxy user with this password. */
export const PROXY_PASSWORD_FILE = 'nats-proxy-password';

/**
 * The users of deploy/nats/ for a local mesh, with a fresh password each per `up`. The server
 * reads them from its environment, each service its own from its environment, and the CLI
 * the admin's from a file under .jetmesh/ only this OS user may read.
 */
export interface LocalNatsUsers {
  readonly server: NatsServerConfig;
  envFor(user: MeshNatsUser): Record<string, string>;
  readonly adminPasswordFile: string;
  /** Removes the password file. */
  remove(): void;
}

export function createLocalNatsUsers(cwd: string): LocalNatsUsers {
  const passwords = new Map(MeshNatsUsers.map((user) => [user, generateNatsPassword()]));
  const password = (user: MeshNatsUser): string => passwords.get(user) ?? '';
  const adminPasswordFile = join(cwd, CONTEXT_DIR, ADMIN_PASSWORD_FILE);
  mkdirSync(join(cwd, CONTEXT_DIR), { recursive: true });
  writeFileSync(adminPasswordFile, `${password(CLI_NATS_USER)}\n`, { mode: 0o600 });
  const proxyPasswordFile = join(cwd, CONTEXT_DIR, PROXY_PASSWORD_FILE);
  writeFileSync(proxyPasswordFile, `${password('proxy')}\n`, { mode: 0o600 });
  return {
    server: {
      file: join(repoRoot, MESH_NATS_CONFIG),
      env: Object.fromEntries(MeshNatsUsers.map((user) => [natsPasswordVariable(user), password(user)])),
    },
    envFor: (user) => ({ JETMESH_NATS_USER: user, JETMESH_NATS_PASSWORD: password(user) }),
    adminPasswordFile,
    remove: () => {
      rmSync(adminPasswordFile, { force: true });
      rmSync(proxyPasswordFile, { force: true });
    },
  };
}
