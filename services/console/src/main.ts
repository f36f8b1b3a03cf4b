import { answerServiceStatus, connectBus } from '@jetmesh/bus';
import { childLogger, createLogger } from '@jetmesh/log';
import { createMetricsRegistry, onShutdown, parseEnv, serveAdmin, type Readiness } from '@jetmesh/runtime';
import { followConsoleAccess, type ConsoleAccess } from './console-access.js';
import { createConsoleApi } from './console-api.js';
import { serveConsole } from './console-server.js';
import { CONSOLE_URL_PATH, ConsoleEnv } from './env.js';
import { galleyRollback } from './galley-rollback.js';
import { createMeshReader } from './mesh-reader.js';

const env = parseEnv(ConsoleEnv, process.env);
const log = createLogger('console', env.logLevel);
let access: ConsoleAccess | undefined;
let serving = false;
let url = '';
try {
  const ready = (): Readiness =>
    access === undefined ? { ready: false, reason: 'connecting to NATS' } : !access.keysRead() ? { ready: false, reason: "reading citadel's token keys" } : !serving ? { ready: false, reason: 'opening the console port' } : { ready: true };
  const whereServed = () => ({ status: url === '' ? 503 : 200, body: `${JSON.stringify({ url })}\n`, contentType: 'application/json' });
  const admin = await serveAdmin({ port: env.adminPort, host: env.adminHost, registry: createMetricsRegistry('console'), ready, routes: { [CONSOLE_URL_PATH]: whereServed } }, log);
  const bus = await connectBus(env.natsUrl, log, { name: 'console', user: env.natsUser, pass: env.natsPassword, credsFile: env.natsCreds, readyWait: { timeoutMs: env.natsReadyTimeoutMs } });
  access = await followConsoleAccess(bus, childLogger(log, { part: 'access' }));
  const api = createConsoleApi(createMeshReader(bus), galleyRollback(env.galleyAddress));
  const server = await serveConsole({ port: env.port, host: env.host, assetsDir: env.assetsDir, access, api }, childLogger(log, { part: 'http' }));
  url = `http://${env.host.includes(':') ? `[${env.host}]` : env.host}:${server.port}`;
  serving = true;
  const status = answerServiceStatus(bus, { service: 'console', ready });
  onShutdown(log, status.stop, server.close, access.stop, bus.drain, admin.close);
} catch (err) {
  log.fatal({ err }, 'console could not start');
  process.exit(1);
}
