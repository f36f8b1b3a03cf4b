import { type Bus, BusUnavailableError, connectBus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { CliError, ExitCode } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { resolveContext } from './context.js';

/** A short-lived bus connection for one command: fail fast (exit 3) instead of reconnecting forever. */
export const withMeshBus = async <A>(io: CliIo, use: (bus: Bus) => Promise<A>): Promise<A> => {
  const ctx = resolveContext(io.env, io.cwd);
  const log = createLogger('cli', io.env.JETMESH_LOG_LEVEL ?? 'silent');
  let bus: Bus;
  try {
    bus = await connectBus(ctx.natsUrl, log, { name: 'jetmesh-cli', maxReconnectAttempts: 0, timeoutMs: 5_000 });
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
