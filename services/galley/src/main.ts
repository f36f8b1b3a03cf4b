import { answerServiceStatus, connectBus, provisionMesh, Streams } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { createMetricsRegistry, onShutdown, parseEnv, serveAdmin } from '@jetmesh/runtime';
import { GalleyEnv } from './env.js';
import { startGalley, type Galley } from './galley.js';

const env = parseEnv(GalleyEnv, process.env);
const log = createLogger('galley', env.logLevel);
const registry = createMetricsRegistry('galley');
let galley: Galley | undefined;
try {
  // Up before the replay, so a supervisor sees "not ready" rather than nothing.
  const ready = () => (galley?.state.isCaughtUp() ? { ready: true } : { ready: false, reason: 'replaying MESH_CONFIG' });
  const admin = await serveAdmin({ port: env.adminPort, host: env.adminHost, registry, ready }, log);
  // A cluster restarted as a whole elects its leaders for a while: the start waits for them rather than exit.
  const readyWait = { timeoutMs: env.natsReadyTimeoutMs };
  const bus = await connectBus(env.natsUrl, log, { name: 'galley', user: env.natsUser, pass: env.natsPassword, credsFile: env.natsCreds, readyWait });
  await provisionMesh(bus, 'galley', { replicas: env.streamReplicas });
  galley = await startGalley(bus, { ...env, registry }, log);
  const status = answerServiceStatus(bus, { service: 'galley', ready, positions: () => ({ [Streams.config]: galley?.state.position() ?? 0 }) });
  onShutdown(log, status.stop, galley.close, admin.close, bus.drain);
} catch (err) {
  log.fatal({ err }, 'galley could not start');
  process.exit(1);
}
