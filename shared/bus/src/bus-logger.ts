/**
 * The logging the bus needs. A pino Logger (what @jetmesh/log creates) satisfies
 * it; keeping it structural leaves the bus free of a logger dependency.
 */
export interface BusLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
