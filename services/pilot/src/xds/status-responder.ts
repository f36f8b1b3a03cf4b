import { Subjects, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { PilotProxyStatus } from '@jetmesh/model';

export interface StatusResponder {
  stop(): void;
}

// Room for the envelope around the stream rows and NATS headers.
const ENVELOPE_BYTES = 4096;

/** Largest prefix of the stream rows whose JSON fits in `limit` bytes. */
const fitting = (status: PilotProxyStatus, limit: number): PilotProxyStatus => {
  let bytes = ENVELOPE_BYTES;
  let count = 0;
  for (const row of status.streams) {
    bytes += Buffer.byteLength(JSON.stringify(row)) + 1;
    if (bytes > limit) break;
    count += 1;
  }
  return count === status.streams.length ? status : { ...status, streams: status.streams.slice(0, count), omitted: status.streams.length - count };
};

/**
 * Answers `jetmesh proxy-status` on a plain request subject with no queue group, so every replica
 * answers with its own streams: live state, nothing written per ACK, and a dead replica simply
 * stays silent instead of leaving stale rows behind.
 */
export function answerProxyStatus(bus: Bus, status: () => PilotProxyStatus, log: Logger): StatusResponder {
  const sub = bus.nc.subscribe(Subjects.pilotStatus, {
    callback: (err, msg) => {
      if (err !== null) {
        log.error({ err }, 'proxy-status subscription failed');
        return;
      }
      const limit = bus.nc.info?.max_payload ?? 1024 * 1024;
      msg.respond(JSON.stringify(fitting(status(), limit)));
    },
  });
  return { stop: () => sub.unsubscribe() };
}
