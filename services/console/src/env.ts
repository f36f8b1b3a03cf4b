import { fileURLToPath } from 'node:url';
import { AdminEnv, MeshPorts, envVar, hostPort, logLevel, NatsEnv, nonEmptyString, port, type ConfigOf } from '@jetmesh/runtime';

/** On the admin port: where the console itself listens, for `jetmesh dashboard` (`up` may have moved it off the default). */
export const CONSOLE_URL_PATH = '/console-url';

/** The built single-page app (vite writes it beside the compiled server). */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../web', import.meta.url));

/** The console's whole configuration, read once from the environment by main. */
export const ConsoleEnv = {
  ...NatsEnv,
  ...AdminEnv,
  logLevel: envVar('JETMESH_LOG_LEVEL', logLevel, 'info'),
  port: envVar('JETMESH_CONSOLE_PORT', port, MeshPorts.console),
  /** Loopback by default: the console answers anyone holding a token, so exposing it is a choice. */
  host: envVar('JETMESH_CONSOLE_HOST', nonEmptyString, '127.0.0.1'),
  /** Galley's config API, where a rollback is sent with the user's own token. */
  galleyAddress: envVar('JETMESH_GALLEY_ADDRESS', hostPort, `127.0.0.1:${MeshPorts.galleyConfigApi}`),
  assetsDir: envVar('JETMESH_CONSOLE_ASSETS', nonEmptyString, DEFAULT_ASSETS_DIR),
};

export type ConsoleConfig = ConfigOf<typeof ConsoleEnv>;
