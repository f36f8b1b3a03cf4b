import { pino } from 'pino';

export type Logger = pino.Logger;

/** Levels a Jetmesh logger accepts, most severe first; `silent` turns logging off. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export const LOG_LEVEL_ENV = 'JETMESH_LOG_LEVEL';

export function isLogLevel(value: string): value is LogLevel {
  return (logLevels as readonly string[]).includes(value);
}

/**
 * The one logger factory: JSON lines to stdout (or `destination`, for tests),
 * every line labelled with its component.
 * Level: the argument, else JETMESH_LOG_LEVEL, else info.
 */
export function createLogger(
  component: string,
  level?: string,
  destination?: pino.DestinationStream,
): Logger {
  const chosen = level ?? process.env[LOG_LEVEL_ENV] ?? 'info';
  if (!isLogLevel(chosen)) {
    // Services validate their level via @jetmesh/runtime first; a level read here from the environment names its variable.
    const what = level === undefined ? `${LOG_LEVEL_ENV}=${JSON.stringify(chosen)}` : `log level ${JSON.stringify(chosen)}`;
    throw new RangeError(`${what}: must be one of ${logLevels.join(', ')}`);
  }
  const options: pino.LoggerOptions = {
    level: chosen,
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names instead of numbers: these lines are read by people as often as by tools.
    formatters: { level: (label) => ({ level: label }) },
  };
  // Synchronous stdout: lines keep their order and none is lost when a service exits right after logging.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}

/** A child logger carrying extra labels (e.g. { stream: 'MESH_CONFIG' }) on every line. */
export function childLogger(log: Logger, labels: Record<string, string | number>): Logger {
  return log.child(labels);
}
