import { answerServiceStatus, connectBus, provisionMesh, Streams } from '@jetmesh/bus';
import { childLogger, createLogger } from '@jetmesh/log';
import { createMetricsRegistry, onShutdown, parseEnv, serveAdmin } from '@jetmesh/runtime';
import { PilotEnv } from './env.js';
import { startPilot, type Pilot } from './pilot.js';
import { createPilotMetrics } from './pilot-metrics.js';
import { createEventClock } from './xds/event-clock.js';
import { answerProxyStatus } from './xds/status-responder.js';
import { createXdsMetrics } from './xds/xds-metrics.js';
import { startXdsServer, type XdsServer } from './xds/xds-server.js';

const env = parseEnv(PilotEnv, process.env);
const log = childLogger(createLogger('pilot', env.logLevel), { replica: env.replica });
const registry = createMetricsRegistry('pilot');
let pilot: Pilot | undefined;
let xds: XdsServer | undefined;
try {
  // Up before the replay, so a supervisor sees "not ready" rather than nothing.
  const ready = () => (xds === undefined ? { ready: false, reason: pilot === undefined ? 'connecting to NATS' : 'starting xDS' } : pilot?.readiness());
  const admin = await serveAdmin({ port: env.adminPort, host: env.adminHost, registry, ready: () => ready() ?? { ready: false, reason: 'connecting to NATS' } }, log);
  // A cluster restarted as a whole elects its leaders for a while: the start waits for them rather than exit.
  const readyWait = { timeoutMs: env.natsReadyTimeoutMs };
  const bus = await connectBus(env.natsUrl, log, { name: `pilot-${env.replica}`, user: env.natsUser, pass: env.natsPassword, credsFile: env.natsCreds, readyWait });
  await provisionMesh(bus, 'pilot', { replicas: env.streamReplicas });
  pilot = await startPilot(bus, log, createPilotMetrics(registry));
  const xdsLog = childLogger(log, { part: 'xds' });
  xds = await startXdsServer(
    pilot.snapshots,
    { host: env.xdsHost, port: env.xdsPort, replica: env.replica },
    { log: xdsLog, metrics: createXdsMetrics(registry), clock: createEventClock(bus, xdsLog) },
  );
  const proxyStatus = answerProxyStatus(bus, xds.status, xdsLog);
  const projection = pilot.projection;
  const status = answerServiceStatus(bus, { service: 'pilot', replica: env.replica, ready, positions: () => ({ [Streams.config]: projection.state().configSeq, [Streams.registry]: projection.state().registrySeq }) });
  // xDS goes first, so its clients move to another replica while this one still drains its KV writes.
  const shutdown = onShutdown(log, xds.close, proxyStatus.stop, status.stop, admin.close, pilot.stop, bus.drain);
  // Without its followers pilot would keep publishing a frozen mesh: exit so the supervisor restarts it.
  pilot.projection.closed.then(
    () => shutdown.begin('event log follower ended', 1),
    () => shutdown.begin('event log follower failed', 1),
  );
} catch (err) {
  log.fatal({ err }, 'pilot could not start');
  process.exit(1);
}
