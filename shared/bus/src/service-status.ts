import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { Bus } from './connect.js';
import { Subjects } from './names.js';

/** One replica's answer on Subjects.serviceStatus. */
export const ServiceStatusCodec = t.intersection([
  t.type({
    service: t.string,
    replica: t.string,
    /** The running package's version (its package.json). */
    version: t.string,
    host: t.string,
    pid: t.number,
    startedAt: t.string,
    ready: t.boolean,
    /** Last sequence handled, by stream name, for a service that follows the log; empty for one that does not. */
    positions: t.record(t.string, t.number),
  }),
  t.partial({
    /** Why it is not ready. */
    reason: t.string,
    /** server_name of the NATS node it is connected to. */
    natsServer: t.string,
  }),
]);
export type ServiceStatus = t.TypeOf<typeof ServiceStatusCodec>;

export interface ServiceStatusSource {
  readonly service: string;
  /** Default: host-pid. */
  readonly replica?: string;
  /** What /readyz says; undefined while the service has not got that far. */
  readonly ready: () => { readonly ready: boolean; readonly reason?: string } | undefined;
  /** Last sequence handled by stream name (MESH_CONFIG, MESH_REGISTRY), for a service that follows the log. */
  readonly positions?: () => Readonly<Record<string, number>>;
}

export interface ServiceStatusResponder {
  stop(): void;
}

/** The version in the package.json nearest above `file` (a service's main.js); "unknown" when none is found. */
export function packageVersionOf(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof version === 'string') return version;
    } catch {
      // no package.json here: look further up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** A reply decoded, or why it was ignored. */
export function decodeServiceStatus(reply: unknown): E.Either<string, ServiceStatus> {
  const decoded = ServiceStatusCodec.decode(reply);
  return E.isRight(decoded) ? decoded : E.left('a status reply that is not a ServiceStatus');
}

/**
 * Answers `jetmesh status` on Subjects.serviceStatus with no queue group: every replica answers
 * for itself, live, and one that is gone simply stays silent. The one status responder every
 * service's main starts.
 */
export function answerServiceStatus(bus: Bus, source: ServiceStatusSource): ServiceStatusResponder {
  const fixed = {
    service: source.service,
    replica: source.replica ?? `${hostname()}-${process.pid}`,
    version: packageVersionOf(process.argv[1] ?? ''),
    host: hostname(),
    pid: process.pid,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
  };
  const sub = bus.nc.subscribe(Subjects.serviceStatus, {
    callback: (err, msg) => {
      if (err !== null) {
        bus.log.error({ err }, 'status subscription failed');
        return;
      }
      try {
        const readiness = source.ready() ?? { ready: false, reason: 'starting' };
        const natsServer = bus.nc.info?.server_name;
        const status: ServiceStatus = {
          ...fixed,
          ready: readiness.ready,
          ...(readiness.reason === undefined || readiness.ready ? {} : { reason: readiness.reason }),
          positions: { ...source.positions?.() },
          ...(natsServer === undefined ? {} : { natsServer }),
        };
        msg.respond(JSON.stringify(status));
      } catch (e) {
        // A failing source is a bug in the service; the asker sees this replica as silent.
        bus.log.error({ err: e }, 'status reply failed');
      }
    },
  });
  return { stop: () => sub.unsubscribe() };
}
