import { existsSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { type Bus, BusUnavailableError, connectBus } from '@jetmesh/bus';
import { createLogger, LOG_LEVEL_ENV } from '@jetmesh/log';
import { NatsCredentialsEnv, decodeEnv, envVar, formatEnvError, logLevel } from '@jetmesh/runtime';
import { CliError, ExitCode } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { resolveContext, type MeshContext } from './context.js';

/**
 * As whom the CLI connects: JETMESH_NATS_CREDS or JETMESH_NATS_USER/JETMESH_NATS_PASSWORD (the
 * variables every service reads; a password for an operator's own server with password users),
 * else the .creds file a local `up` recorded in the context file, else nobody.
 */
function natsCredentials(env: NodeJS.ProcessEnv, ctx: MeshContext): { user?: string; pass?: string; credsFile?: string } {
  const fromEnv = decodeEnv(NatsCredentialsEnv, env);
  if (E.isLeft(fromEnv)) throw new CliError(ExitCode.usage, fromEnv.left.map(formatEnvError));
  const { natsUser, natsPassword, natsCreds } = fromEnv.right;
  // On NATS JWT users: the operator's .creds file (deploy/nats/make-accounts.mjs writes admin.creds).
  if (natsCreds !== undefined) return { credsFile: natsCreds };
  if (natsUser !== undefined) return { user: natsUser, pass: natsPassword };
  if (ctx.natsCredentials === undefined) return {};
  const { credsFile } = ctx.natsCredentials;
  if (!existsSync(credsFile)) throw new CliError(ExitCode.usage, [`the NATS credentials ${credsFile} (named in ${ctx.file ?? 'the context'}) do not exist: is jetmesh up still running?`]);
  return { credsFile };
}

/** A short-lived bus connection for one command: fail fast (exit 3) instead of reconnecting forever. */
export const withMeshBus = async <A>(io: CliIo, use: (bus: Bus) => Promise<A>): Promise<A> => {
  const ctx = resolveContext(io.env, io.cwd);
  const credentials = natsCredentials(io.env, ctx);
  const level = decodeEnv({ level: envVar(LOG_LEVEL_ENV, logLevel, 'silent') }, io.env);
  if (E.isLeft(level)) throw new CliError(ExitCode.usage, level.left.map(formatEnvError));
  const log = createLogger('cli', level.right.level);
  let bus: Bus;
  try {
    bus = await connectBus(ctx.natsUrl, log, { name: 'jetmesh-cli', ...credentials, maxReconnectAttempts: 0, timeoutMs: 5_000 });
  } catch (e) {
    if (e instanceof BusUnavailableError) throw new CliError(ExitCode.unreachable, [e.message]);
    throw e;
  }
  try {
    return await use(bus);
  } finally {
    await bus.close();
  }
};
