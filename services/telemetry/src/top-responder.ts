import { Subjects, fitReply, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { decodeTopQuery, formatInvalid, type TopQuery, type TopShare } from '@jetmesh/model';

export interface TopResponder {
  stop(): void;
}


/** A request body: empty (every namespace) or a TopQuery. */
export function readTopQuery(text: string): { query: TopQuery } | { error: string } {
  if (text.trim() === '') return { query: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: 'the request is not JSON' };
  }
  const q = decodeTopQuery(json);
  return q._tag === 'Right' ? { query: q.right } : { error: q.left.map(formatInvalid).join('; ') };
}

/**
 * Answers `jetmesh top` on a plain request subject with no queue group: every replica answers
 * with its own share (counts and bucket counts, which add up), and the CLI merges them. A dead
 * replica stays silent; no replica has to know the others.
 */
export function answerTop(bus: Bus, share: (query: TopQuery) => TopShare, log: Logger): TopResponder {
  const sub = bus.nc.subscribe(Subjects.telemetryTop, {
    callback: (err, msg) => {
      if (err !== null) {
        log.error({ err }, 'top subscription failed');
        return;
      }
      const read = readTopQuery(msg.string());
      if ('error' in read) {
        msg.respond(JSON.stringify({ error: read.error }));
        return;
      }
      const limit = bus.nc.info?.max_payload ?? 1024 * 1024;
      msg.respond(JSON.stringify(fitReply(share(read.query), 'services', limit)));
    },
  });
  return { stop: () => sub.unsubscribe() };
}
