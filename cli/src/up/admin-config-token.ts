import { hostname } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { configVerbs, ALL_NAMESPACES } from '@jetmesh/model';
import { withCitadelAdmin, CITADEL_ADDRESS_ENV } from '../citadel-api.js';
import { writeConfigToken } from '../config-token.js';
import { CONTEXT_DIR, CONTEXT_ENV, contextFilePath } from '../context.js';

/** The local developer's token: every verb in every namespace, for a month (re-minted by every `up`). */
export const ADMIN_CONFIG_TOKEN_TTL_SECONDS = 30 * 86_400;

/**
 * Mints the admin config token through citadel's admin API (with the admin
 * secret citadel wrote under .jetmesh/) and writes it to .jetmesh/config-token,
 * which the CLI sends by default. Returns the file written.
 */
export async function mintAdminConfigToken(opts: {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly natsUrl: string;
  /** JETMESH_NATS_CREDS of the operator, when `up` runs its nats-server on the local mesh account. */
  readonly natsCredentials?: Readonly<Record<string, string>>;
  readonly citadelAddress: string;
}): Promise<string> {
  const io = {
    cwd: opts.cwd,
    env: { ...opts.env, JETMESH_NATS_URL: opts.natsUrl, ...opts.natsCredentials, [CITADEL_ADDRESS_ENV]: opts.citadelAddress, [CONTEXT_ENV]: contextFilePath(opts.cwd) },
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    stdin: new PassThrough(),
  };
  const minted = await withCitadelAdmin(io, (admin) =>
    admin.createConfigToken({ actor: `admin@${hostname()}`, namespaces: [ALL_NAMESPACES], verbs: [...configVerbs], ttlSeconds: ADMIN_CONFIG_TOKEN_TTL_SECONDS }),
  );
  return writeConfigToken(join(opts.cwd, CONTEXT_DIR), minted.token);
}
