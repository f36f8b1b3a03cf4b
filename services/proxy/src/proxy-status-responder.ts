import { Subjects, fitReply, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { decodeSidecarStatusQuery, sidecarMatches, type SidecarProxyStatus, type SidecarStatusQuery } from '@jetmesh/model';

export interface ProxyStatusResponder {
  stop(): void;
}


/** An empty body asks every proxy; a body that is not a query asks none (a bad question gets silence, not 10,000 errors). */
const readQuery = (text: string): SidecarStatusQuery | undefined => {
  if (text.trim() === '') return {};
  try {
    const q = decodeSidecarStatusQuery(JSON.parse(text));
    return q._tag === 'Right' ? q.right : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Answers `jetmesh proxy-status` and the console on a plain request subject with no queue group:
 * each proxy the question names answers for itself, from what it holds now. Nothing is written
 * per snapshot applied, and a dead proxy simply stays silent.
 */
export function answerProxyStatus(bus: Bus, status: () => SidecarProxyStatus, log: Logger): ProxyStatusResponder {
  const sub = bus.nc.subscribe(Subjects.proxyStatus, {
    callback: (err, msg) => {
      if (err !== null) {
        log.error({ err }, 'proxy-status subscription failed');
        return;
      }
      const query = readQuery(msg.string());
      const now = status();
      if (query === undefined || !sidecarMatches(query, now)) return;
      const limit = bus.nc.info?.max_payload ?? 1024 * 1024;
      msg.respond(JSON.stringify(fitReply(now, 'keys', limit)));
    },
  });
  return { stop: () => sub.unsubscribe() };
}
