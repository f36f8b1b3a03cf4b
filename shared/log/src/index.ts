export { createLogger, childLogger, isLogLevel, logLevels, LOG_LEVEL_ENV } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
