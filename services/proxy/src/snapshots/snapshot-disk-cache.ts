import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@jetmesh/log';

/** The last good value of one followed key, as kept on disk. */
export interface CachedSnapshot {
  readonly key: string;
  /** The KV revision it was read at. */
  readonly revision: number;
  /** The stored JSON, as KV held it (decoded again when loaded). */
  readonly value: unknown;
  readonly savedAt: string;
}

/**
 * `<stateDir>/snapshots/<key>.json`, one file per followed key, so a proxy that
 * starts while NATS or pilot is down serves what it last knew. Writes are
 * atomic (temp file, then rename) and, per key, applied in call order.
 */
export interface SnapshotDiskCache {
  readonly dir: string;
  /** Every readable file; a corrupt one is skipped with a warning. */
  load(): Promise<CachedSnapshot[]>;
  save(key: string, revision: number, value: unknown): void;
  remove(key: string): void;
  /** Resolves once every save and remove asked for so far is on disk (or failed, logged). */
  flush(): Promise<void>;
}

const SUFFIX = '.json';
const TEMP_SUFFIX = '.tmp';

// Snapshot keys are [-/_=.a-zA-Z0-9]; only '/' (and '%') need escaping in a file name.
const fileNameOf = (key: string): string => encodeURIComponent(key) + SUFFIX;
const keyOf = (fileName: string): string | undefined => {
  if (!fileName.endsWith(SUFFIX)) return undefined;
  try {
    return decodeURIComponent(fileName.slice(0, -SUFFIX.length));
  } catch {
    return undefined;
  }
};

function parseCached(text: string, key: string): CachedSnapshot | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (typeof parsed !== 'object' || parsed === null) return 'not an object';
  const { key: storedKey, revision, value, savedAt } = parsed as Record<string, unknown>;
  if (storedKey !== key) return `holds key ${String(storedKey)}, not ${key}`;
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 1) return 'revision is not a positive integer';
  if (value === undefined) return 'has no value';
  return { key, revision, value, savedAt: typeof savedAt === 'string' ? savedAt : '' };
}

export function openSnapshotDiskCache(stateDir: string, log: Logger): SnapshotDiskCache {
  const dir = join(stateDir, 'snapshots');
  const queues = new Map<string, Promise<void>>();
  let made: Promise<void> | undefined;
  let tempCounter = 0;

  const ensureDir = (): Promise<void> => (made ??= mkdir(dir, { recursive: true }).then(() => undefined));

  const enqueue = (key: string, what: string, work: () => Promise<void>): void => {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((err: unknown) => {
        made = undefined;
        log.warn({ key, dir, err }, `cannot ${what} the snapshot on disk; a restart without NATS would not see it`);
      });
    queues.set(key, next);
    void next.then(() => {
      if (queues.get(key) === next) queues.delete(key);
    });
  };

  return {
    dir,
    load: async () => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ dir, err }, 'cannot read the snapshot cache; starting without it');
        return [];
      }
      const found: CachedSnapshot[] = [];
      for (const name of names.sort()) {
        if (name.endsWith(TEMP_SUFFIX)) {
          // Left by a crash between write and rename: never complete, never read.
          await rm(join(dir, name), { force: true }).catch(() => undefined);
          continue;
        }
        const key = keyOf(name);
        if (key === undefined) continue;
        let text: string;
        try {
          text = await readFile(join(dir, name), 'utf8');
        } catch (err) {
          log.warn({ file: join(dir, name), err }, 'cached snapshot unreadable; ignored');
          continue;
        }
        const cached = parseCached(text, key);
        if (typeof cached === 'string') log.warn({ file: join(dir, name), problem: cached }, `cached snapshot is corrupt (${cached}); ignored`);
        else found.push(cached);
      }
      return found;
    },
    save: (key, revision, value) => {
      const body = JSON.stringify({ key, revision, savedAt: new Date().toISOString(), value } satisfies CachedSnapshot) + '\n';
      enqueue(key, 'save', async () => {
        await ensureDir();
        const file = join(dir, fileNameOf(key));
        const temp = `${file}.${process.pid}.${++tempCounter}${TEMP_SUFFIX}`;
        try {
          await writeFile(temp, body, { mode: 0o600 });
          await rename(temp, file);
        } catch (err) {
          await rm(temp, { force: true }).catch(() => undefined);
          throw err;
        }
      });
    },
    remove: (key) => {
      enqueue(key, 'remove', () => rm(join(dir, fileNameOf(key)), { force: true }));
    },
    flush: async () => {
      await Promise.all([...queues.values()]);
    },
  };
}
