import { Subjects, fitReply, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import type { PilotProxyStatus } from '@jetmesh/model';

export interface StatusResponder {
  stop(): void;
}


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
      msg.respond(JSON.stringify(fitReply(status(), 'streams', limit)));
    },
  });
  return { stop: () => sub.unsubscribe() };
}
