export { decodeEnv, parseEnv, envVar, optionalEnvVar, formatEnvError, BAD_ENVIRONMENT_EXIT_CODE } from './env-config.js';
export type { EnvVar, EnvSpec, EnvError, ConfigOf, Env } from './env-config.js';
export { port, positiveInt, natsUrl, logLevel, hostPort, nonEmptyString, durationMs } from './env-codecs.js';
export type { EnvCodec } from './env-codecs.js';
export { serveAdmin } from './admin-server.js';
export type { AdminOptions, AdminServer, Readiness } from './admin-server.js';
export { createMetricsRegistry } from './metrics-registry.js';
export { onShutdown, SHUTDOWN_STEP_TIMEOUT_MS } from './shutdown.js';
export type { ShutdownStep, ShutdownHandle } from './shutdown.js';
