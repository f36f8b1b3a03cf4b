import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapPermissions, createMeshAccount, formatCreds, meshAccountServerConfig, mintNatsUser, type MeshAccountKeys, type NatsUserPermissions } from './nats-user-jwt.js';

/**
 * One mesh's NATS account on disk: what deploy/nats/make-accounts.mjs, `jetmesh up` and the test
 * helpers all run a server on. The account's keys are kept (account.json) and reused by every
 * later call on the same directory: nats-server keeps JetStream data under the account's public
 * key, so a new account would leave the mesh's log behind. Users are minted afresh each call.
 */
export interface MeshAccountDir {
  readonly dir: string;
  /** The account's public nkey: nats-server stores its streams under `<store>/jetstream/<this>`. */
  readonly accountPublicKey: string;
  /** The server config lines (operator, resolver, preloaded accounts): include this file. */
  readonly accountsConf: string;
  /** `<dir>/<user>.creds`: one per user of the permissions given. */
  credsFile(user: string): string;
  /** Every sidecar's first user: the trust bundle only (bootstrapPermissions). */
  readonly bootstrapCredsFile: string;
  /** JETMESH_CITADEL_NATS_ACCOUNT and JETMESH_CITADEL_NATS_SIGNING_KEY: citadel mints the workloads' users with them. */
  readonly citadelEnv: Readonly<Record<string, string>>;
  /** Whether this call created the account (false: an earlier one's keys were reused). */
  readonly created: boolean;
}

export interface MeshAccountDirOptions {
  /** Each user's allow lists (parseMeshUserPermissions of deploy/nats/mesh-users.conf). */
  readonly permissions: ReadonlyMap<string, NatsUserPermissions>;
  /** Where the server will find operator.jwt (accounts.conf names it); default `dir`. */
  readonly serverDir?: string;
  /** Users of `permissions` that get no .creds file (`proxy`: each sidecar gets its own user from citadel). */
  readonly skipUsers?: readonly string[];
}

export const MESH_ACCOUNT_KEYS_FILE = 'account.json';
export const BOOTSTRAP_USER = 'proxy-bootstrap';
export const CITADEL_ACCOUNT_ENV_FILE = 'citadel-account.env';

const KEY_FIELDS = ['operatorJwt', 'accountPublicKey', 'accountJwt', 'signingKeySeed', 'systemAccountPublicKey', 'systemAccountJwt'] as const;

function readKeys(file: string): MeshAccountKeys {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not the keys of a mesh account (${(err as Error).message}); remove the directory to create a new account (the streams stored under the old one are then left behind)`, { cause: err });
  }
  const missing = KEY_FIELDS.filter((f) => typeof (parsed as Record<string, unknown> | null)?.[f] !== 'string');
  if (missing.length > 0) throw new Error(`${file}: not the keys of a mesh account (missing ${missing.join(', ')})`);
  return parsed as MeshAccountKeys;
}

const secret = (file: string, text: string): void => {
  writeFileSync(file, text, { mode: 0o600 });
  // writeFileSync's mode applies only to a new file.
  chmodSync(file, 0o600);
};

/** Creates (or reuses) the account in `dir` (mode 0700) and writes its server config and users; secrets 0600. */
export function writeMeshAccountDir(dir: string, opts: MeshAccountDirOptions): MeshAccountDir {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const keysFile = join(dir, MESH_ACCOUNT_KEYS_FILE);
  const created = !existsSync(keysFile);
  const keys = created ? createMeshAccount() : readKeys(keysFile);
  if (created) secret(keysFile, `${JSON.stringify(keys, null, 2)}\n`);
  writeFileSync(join(dir, 'operator.jwt'), keys.operatorJwt);
  const accountsConf = join(dir, 'accounts.conf');
  writeFileSync(accountsConf, meshAccountServerConfig(keys, join(opts.serverDir ?? dir, 'operator.jwt')));
  const credsFile = (user: string): string => join(dir, `${user}.creds`);
  const mint = (name: string, permissions: NatsUserPermissions): string => formatCreds(mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name, permissions }));
  for (const [user, permissions] of opts.permissions) {
    if (!(opts.skipUsers ?? []).includes(user)) secret(credsFile(user), mint(user, permissions));
  }
  secret(credsFile(BOOTSTRAP_USER), mint(BOOTSTRAP_USER, bootstrapPermissions()));
  const citadelEnv = { JETMESH_CITADEL_NATS_ACCOUNT: keys.accountPublicKey, JETMESH_CITADEL_NATS_SIGNING_KEY: keys.signingKeySeed };
  secret(join(dir, CITADEL_ACCOUNT_ENV_FILE), Object.entries(citadelEnv).map(([k, v]) => `${k}=${v}\n`).join(''));
  return { dir, accountPublicKey: keys.accountPublicKey, accountsConf, credsFile, bootstrapCredsFile: credsFile(BOOTSTRAP_USER), citadelEnv, created };
}
