import { createLogger } from '@jetmesh/log';
import { BAD_ENVIRONMENT_EXIT_CODE, onShutdown, parseEnv } from '@jetmesh/runtime';
import { ProxyEnv, proxyConfigProblems } from './env.js';
import { PROXY_STOP_TIMEOUT_MS, startProxy } from './proxy.js';

const config = parseEnv(ProxyEnv, process.env);
const problems = proxyConfigProblems(config);
if (problems.length > 0) {
  process.stderr.write(problems.map((p) => `invalid environment: ${p}\n`).join(''));
  process.exit(BAD_ENVIRONMENT_EXIT_CODE);
}
const log = createLogger('proxy', config.logLevel);
try {
  const proxy = await startProxy(config, log);
  onShutdown(log, { run: proxy.stop, timeoutMs: PROXY_STOP_TIMEOUT_MS });
} catch (err) {
  log.fatal({ err }, 'proxy could not start');
  process.exit(1);
}
