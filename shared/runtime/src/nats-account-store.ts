import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/** Where nats-server 2.9 keeps the JetStream data of a server without accounts: its global account `$G`. */
const GLOBAL_ACCOUNT = '$G';

/** A store written before the mesh ran on NATS JWT users: what adoptGlobalAccountStore did with it. */
export type StoreAdoption = 'moved' | 'nothing to move';

/**
 * nats-server keeps each account's streams under `<store>/jetstream/<account>`. A single server
 * that ran without users or with password users (they live in `$G`) has the mesh's log there;
 * in operator mode the same streams belong to the mesh account. Renaming the directory before
 * the server starts hands them over (nats-server 2.9.10 restores them under the account: the
 * stream files do not name their account). Not for a cluster's nodes: their meta group records
 * each stream's account too.
 */
export function adoptGlobalAccountStore(storeDir: string, accountPublicKey: string): StoreAdoption {
  const from = join(storeDir, 'jetstream', GLOBAL_ACCOUNT);
  const to = join(storeDir, 'jetstream', accountPublicKey);
  if (!existsSync(from)) return 'nothing to move';
  if (existsSync(to)) {
    throw new Error(`${storeDir} holds streams of both the global account (${from}) and the mesh account (${to}): move or remove one of them`);
  }
  renameSync(from, to);
  return 'moved';
}
