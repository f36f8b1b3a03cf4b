import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { BOOTSTRAP_USER, parseMeshUserPermissions, writeMeshAccountDir } from '@jetmesh/bus';
import { adoptGlobalAccountStore, type MeshNatsUser } from '@jetmesh/runtime';
import { CONTEXT_DIR } from '../context.js';
import { repoRoot } from './repo-root.js';

/** The operator's user, which the CLI connects as. */
export const CLI_NATS_USER: MeshNatsUser = 'admin';
/** `.jetmesh/<this>`: the local mesh's NATS account, kept across runs (its streams are stored under it). */
export const NATS_ACCOUNT_DIR = 'nats-account';
/** `jetmesh proxy` beside a local mesh starts as this user, beside the CLI's creds; citadel gives it its own. */
export const PROXY_BOOTSTRAP_CREDS = `${BOOTSTRAP_USER}.creds`;
/** Where the single server keeps its store (a cluster's nodes: `nats-cluster/nI/store`). */
export const SINGLE_SERVER_STORE = 'nats';
const MESH_USERS_CONF = join(repoRoot, 'deploy', 'nats', 'mesh-users.conf');
/** What an `up` before NATS JWT users left in .jetmesh/: the password of the CLI's user and of the shared proxy user. */
const PASSWORD_FILES = ['nats-admin-password', 'nats-proxy-password'];

/**
 * The users of deploy/nats/mesh-users.conf as NATS JWTs of the local mesh's account
 * (writeMeshAccountDir, as deploy/nats/make-accounts.mjs): the server includes its
 * accounts.conf, each service connects with its own .creds file, the CLI with admin's.
 */
export interface LocalNatsUsers {
  /** The file nats-server includes (operator, resolver, the preloaded accounts). */
  readonly accountsConf: string;
  /** JETMESH_NATS_CREDS of `user`; for citadel also the account and signing key it mints sidecars' users with. */
  envFor(user: MeshNatsUser): Record<string, string>;
  /** The CLI's .creds file (admin). */
  readonly cliCredsFile: string;
  /** What was done with an older .jetmesh/ (password files removed, store handed to the account), one line each. */
  readonly migrated: readonly string[];
}

/**
 * Creates the account under .jetmesh/nats-account on the first run and reuses it after; mints fresh
 * users each run. An .jetmesh/ from before NATS JWT users is migrated: its password files are
 * removed and a single server's store is handed to the account. A cluster's old store cannot be
 * (its meta group names each stream's account): Left says what to do.
 */
export function prepareLocalNatsUsers(cwd: string, clusterSize: number): E.Either<string, LocalNatsUsers> {
  const contextDir = join(cwd, CONTEXT_DIR);
  const migrated: string[] = [];
  const oldPasswords = PASSWORD_FILES.filter((f) => existsSync(join(contextDir, f)));
  for (const file of oldPasswords) rmSync(join(contextDir, file), { force: true });
  if (oldPasswords.length > 0) migrated.push(`removed ${oldPasswords.map((f) => `${CONTEXT_DIR}/${f}`).join(' and ')}: NATS users are JWTs of the account in ${CONTEXT_DIR}/${NATS_ACCOUNT_DIR} now`);
  if (clusterSize > 0) {
    const oldNodes = Array.from({ length: clusterSize }, (_, i) => join(contextDir, 'nats-cluster', `n${i}`, 'store', 'jetstream', '$G')).filter((d) => existsSync(d));
    if (oldNodes.length > 0) {
      return E.left(
        `${CONTEXT_DIR}/nats-cluster holds a cluster store from before NATS JWT users (${oldNodes.length} node(s) with streams in no account): ` +
          `remove ${CONTEXT_DIR}/nats-cluster to start a fresh cluster (its log is lost), or run jetmesh up without --nats-cluster, whose single-server store is migrated`,
      );
    }
  }
  let account;
  try {
    account = writeMeshAccountDir(join(contextDir, NATS_ACCOUNT_DIR), { permissions: parseMeshUserPermissions(readFileSync(MESH_USERS_CONF, 'utf8')), skipUsers: ['proxy'] });
    if (clusterSize === 0 && adoptGlobalAccountStore(join(contextDir, SINGLE_SERVER_STORE), account.accountPublicKey) === 'moved') {
      migrated.push(`moved the streams of ${CONTEXT_DIR}/${SINGLE_SERVER_STORE} (written before NATS JWT users) into the mesh account ${account.accountPublicKey}`);
    }
  } catch (err) {
    return E.left(`cannot prepare the local NATS users: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { credsFile, citadelEnv } = account;
  return E.right({
    accountsConf: account.accountsConf,
    envFor: (user) => ({ JETMESH_NATS_CREDS: credsFile(user === 'proxy' ? BOOTSTRAP_USER : user), ...(user === 'citadel' ? citadelEnv : {}) }),
    cliCredsFile: credsFile(CLI_NATS_USER),
    migrated,
  });
}
