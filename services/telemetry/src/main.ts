import { answerServiceStatus, connectBus } from '@jetmesh/bus';
import { childLogger, createLogger } from '@jetmesh/log';
import { createMetricsRegistry, onShutdown, parseEnv, serveAdmin, type Readiness } from '@jetmesh/runtime';
import { TelemetryEnv } from './env.js';
import { serveMetrics } from './metrics-server.js';
import { createTelemetryMetrics } from './telemetry-metrics.js';
import { startTelemetry, type Telemetry } from './telemetry.js';

const env = parseEnv(TelemetryEnv, process.env);
const log = childLogger(createLogger('telemetry', env.logLevel), { replica: env.replica });
const registry = createMetricsRegistry('telemetry');
let telemetry: Telemetry | undefined;
let serving = false;
try {
  const ready = (): Readiness =>
    telemetry === undefined ? { ready: false, reason: 'connecting to NATS' } : !serving ? { ready: false, reason: 'opening the metrics port' } : telemetry.readiness();
  const admin = await serveAdmin({ port: env.adminPort, host: env.adminHost, registry, ready }, log);
  // As the other services: while NATS (or a restarted cluster's leaders) is not there yet, wait rather than exit.
  const readyWait = { timeoutMs: env.natsReadyTimeoutMs };
  const bus = await connectBus(env.natsUrl, log, { name: `telemetry-${env.replica}`, user: env.natsUser, pass: env.natsPassword, credsFile: env.natsCreds, readyWait });
  telemetry = await startTelemetry(bus, log, createTelemetryMetrics(registry), env);
  const metrics = await serveMetrics({ port: env.metricsPort, host: env.metricsHost, istioMetrics: telemetry.istioMetrics, topShare: telemetry.topShare, ready }, childLogger(log, { part: 'metrics' }));
  serving = true;
  // Stop taking reports first and drain what was delivered; the scrape port goes after, with the final counts.
  const status = answerServiceStatus(bus, { service: 'telemetry', replica: env.replica, ready });
  onShutdown(log, status.stop, telemetry.stop, bus.drain, metrics.close, admin.close);
} catch (err) {
  log.fatal({ err }, 'telemetry could not start');
  process.exit(1);
}
