import { answerServiceStatus, connectBus, provisionMesh } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { BAD_ENVIRONMENT_EXIT_CODE, createMetricsRegistry, onShutdown, parseEnv, serveAdmin } from '@jetmesh/runtime';
import { CacertsError, startCitadel, type Citadel } from './citadel.js';
import { CitadelEnv, configProblems } from './env.js';

const env = parseEnv(CitadelEnv, process.env);
const problems = configProblems(env);
if (problems.length > 0) {
  process.stderr.write(problems.map((p) => `invalid environment: ${p}\n`).join(''));
  process.exit(BAD_ENVIRONMENT_EXIT_CODE);
}
const log = createLogger('citadel', env.logLevel);
const registry = createMetricsRegistry('citadel');
let citadel: Citadel | undefined;
try {
  const admin = await serveAdmin({ port: env.adminPort, host: env.adminHost, registry, ready: () => (citadel !== undefined ? { ready: true } : { ready: false, reason: 'loading the CA' }) }, log);
  // A cluster restarted as a whole elects its leaders for a while: the start waits for them rather than exit.
  const readyWait = { timeoutMs: env.natsReadyTimeoutMs };
  const bus = await connectBus(env.natsUrl, log, { name: 'citadel', user: env.natsUser, pass: env.natsPassword, credsFile: env.natsCreds, readyWait });
  // MESH_AUDIT must exist before the first certificate; provisioning is idempotent across services.
  await provisionMesh(bus, 'citadel', { replicas: env.streamReplicas });
  const { replica, cacertsDir, natsAccount, natsSigningKey, ...config } = env;
  const busAccount = natsAccount !== undefined && natsSigningKey !== undefined ? { accountPublicKey: natsAccount, signingKeySeed: natsSigningKey } : undefined;
  citadel = await startCitadel(
    bus,
    { ...config, registry, ...(replica === undefined ? {} : { replica }), ...(cacertsDir === undefined ? {} : { cacertsDir }), ...(busAccount === undefined ? {} : { busAccount }) },
    log,
  );
  const status = answerServiceStatus(bus, { service: 'citadel', ...(replica === undefined ? {} : { replica }), ready: () => ({ ready: true }) });
  onShutdown(log, status.stop, citadel.close, admin.close, bus.drain);
} catch (err) {
  if (err instanceof CacertsError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(BAD_ENVIRONMENT_EXIT_CODE);
  }
  log.fatal({ err }, 'citadel could not start');
  process.exit(1);
}
