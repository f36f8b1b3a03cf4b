import { connectBus, provisionMesh } from '@jetmesh/bus';
import { childLogger, createLogger } from '@jetmesh/log';
import { createMetricsRegistry, onShutdown, parseEnv, serveAdmin } from '@jetmesh/runtime';
import { PilotEnv } from './env.js';
import { startPilot, type Pilot } from './pilot.js';
import { createPilotMetrics } from './pilot-metrics.js';

const env = parseEnv(PilotEnv, process.env);
const log = childLogger(createLogger('pilot', env.logLevel), { replica: env.replica });
const registry = createMetricsRegistry('pilot');
let pilot: Pilot | undefined;
try {
  // Up before the replay, so a supervisor sees "not ready" rather than nothing.
  const admin = await serveAdmin({ port: env.adminPort, registry, ready: () => pilot?.readiness() ?? { ready: false, reason: 'connecting to NATS' } }, log);
  const bus = await connectBus(env.natsUrl, log, { name: `pilot-${env.replica}` });
  await provisionMesh(bus);
  pilot = await startPilot(bus, log, createPilotMetrics(registry));
  const shutdown = onShutdown(log, admin.close, pilot.stop, bus.drain);
  // Without its followers pilot would keep publishing a frozen mesh: exit so the supervisor restarts it.
  pilot.projection.closed.then(
    () => shutdown.begin('event log follower ended', 1),
    () => shutdown.begin('event log follower failed', 1),
  );
} catch (err) {
  log.fatal({ err }, 'pilot could not start');
  process.exit(1);
}
