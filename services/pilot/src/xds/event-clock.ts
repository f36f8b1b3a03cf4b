import { Streams, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { formatVersion, type SnapshotVersion } from '@jetmesh/model';

/** When the events behind a snapshot version were published, for the convergence histogram. */
export interface EventClock {
  /**
   * When the newest event between `previous` and `version` was published (epoch ms): the message
   * that made the log reach `version` on whichever stream moved. Undefined when unknown.
   */
  publishedAt(version: SnapshotVersion, previous: SnapshotVersion | undefined): Promise<number | undefined>;
}

// Pushes of one change share a lookup; a few recent versions are all that is ever asked for.
const REMEMBERED = 64;

export function createEventClock(bus: Bus, log: Logger): EventClock {
  const known = new Map<string, Promise<number | undefined>>();
  const timeOf = async (stream: string, seq: number): Promise<number | undefined> => {
    try {
      const msg = await bus.jsm.streams.getMessage(stream, { seq });
      return msg?.time.getTime();
    } catch (err) {
      log.debug({ err, stream, seq }, 'publish time of an event not found');
      return undefined;
    }
  };
  return {
    publishedAt: (version, previous) => {
      const key = formatVersion(version);
      let at = known.get(key);
      if (at === undefined) {
        const lookups = [
          ...(version.config > 0 && (previous === undefined || version.config > previous.config) ? [timeOf(Streams.config, version.config)] : []),
          ...(version.registry > 0 && (previous === undefined || version.registry > previous.registry) ? [timeOf(Streams.registry, version.registry)] : []),
        ];
        at = Promise.all(lookups).then((times) => {
          const found = times.filter((t): t is number => t !== undefined);
          return found.length === 0 ? undefined : Math.max(...found);
        });
        known.set(key, at);
        if (known.size > REMEMBERED) known.delete(known.keys().next().value as string);
      }
      return at;
    },
  };
}
