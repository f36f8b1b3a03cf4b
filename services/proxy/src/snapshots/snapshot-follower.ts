import type { Either } from 'fp-ts/lib/Either.js';
import { hostForSnapshotKey, openSnapshotStore, snapshotKeyForHost, snapshotKeyForWorkload, type Bus, type SnapshotEntry, type SnapshotStore, type SnapshotWatch } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { compareVersions, formatVersion, type SidecarKeyStatus, type SnapshotVersion, type VersionedSnapshot } from '@jetmesh/model';
import { openSnapshotDiskCache, type SnapshotDiskCache } from './snapshot-disk-cache.js';

/** A workload's name, as its `workload.<ns>.<name>` key spells it. */
export interface WorkloadName {
  readonly namespace: string;
  readonly name: string;
}

/** Validates a stored routing snapshot for the host it was read for (shape, consistency); Left: every reason. */
export type HostSnapshotDecoder = (u: unknown, expectedHost: string) => Either<readonly string[], VersionedSnapshot>;
/** What every followed value carries: the log positions it reflects and its content hash. */
export interface Versioned {
  readonly version: SnapshotVersion;
  readonly contentHash: string;
}

/**
 * Validates a stored workload snapshot for this workload; Left: every reason.
 * W is the model's VersionedWorkloadSnapshot (generic here because @jetmesh/model
 * does not export that type from its index yet).
 */
export type WorkloadSnapshotDecoder<W extends Versioned> = (u: unknown, expected: WorkloadName) => Either<readonly string[], W>;

export interface SnapshotFollowerOptions<W extends Versioned> {
  /** Absent (or not yet reachable): serve from disk and attach() later. */
  readonly bus?: Bus;
  /** Last good values live in `<stateDir>/snapshots/`. */
  readonly stateDir: string;
  readonly workload: WorkloadName;
  readonly log: Logger;
  readonly decodeHost: HostSnapshotDecoder;
  readonly decodeWorkload: WorkloadSnapshotDecoder<W>;
  /** Told of every value offered (from KV or disk): applied, refused by the decoder, or older than the held one. */
  readonly onValue?: (kind: 'host' | 'workload', result: 'applied' | 'invalid' | 'stale') => void;
  /** Retry of opening the bucket (NATS down, pilot never provisioned it); default 500 ms doubling to 30 s. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

export interface SnapshotFollowerStats {
  /** Values applied (from KV or from disk at start). */
  readonly applied: number;
  /** Values the decoder refused. */
  readonly refused: number;
  /** Values older than the one held. */
  readonly stale: number;
}

export interface SnapshotFollower<W extends Versioned> {
  /** The last good snapshot of `fqdn`; undefined: not known (yet), or gone. Starts following it on first ask. */
  host(fqdn: string): VersionedSnapshot | undefined;
  /** Follows `fqdn` from now on (a no-op when already followed; invalid host names are logged and ignored). */
  follow(fqdn: string): void;
  /** Hosts followed, in the order first asked. */
  hosts(): string[];
  /** The last good inbound snapshot of this workload. */
  workload(): W | undefined;
  /** Called with the KV key (`host.<fqdn>`, `workload.<ns>.<name>`) whose held value changed or went away. */
  onChange(listener: (key: string) => void): () => void;
  /** Follows every key on `bus` from now on (e.g. NATS came up after start); replaces an earlier bus. */
  attach(bus: Bus): void;
  /** Resolves once every followed key's watch is open on the attached bus (for tests and readiness). */
  attached(): Promise<void>;
  stats(): SnapshotFollowerStats;
  /** Per followed key: the KV revision held and the last one refused (what the proxy-status answer tells). */
  syncStatus(): SidecarKeyStatus[];
  /** Stops following and waits for pending disk writes. */
  stop(): Promise<void>;
}

interface Slot<A extends Versioned> {
  readonly key: string;
  readonly kind: 'host' | 'workload';
  readonly decode: (u: unknown) => Either<readonly string[], A>;
  held: A | undefined;
  watch: SnapshotWatch | undefined;
  /** Revision last refused (decoder or staleness), so a value re-read after a reconnect is logged once. */
  refusedRevision: number | undefined;
  /** KV revision of `held`. */
  heldRevision?: number;
  /** The last value the decoder refused, until a later one is applied. */
  invalid?: { readonly revision: number; readonly reason: string };
}

const DEFAULT_RETRY = { initialMs: 500, maxMs: 30_000 };

/**
 * Follows this proxy's snapshot keys in mesh_snapshots with the cheap follower
 * (a core subscription on the republished updates plus a get; no server-side
 * consumer): its own workload key from the start, each host key from the first
 * time it is asked for. A value is applied only when the decoder accepts it and
 * its version is not older than the one held; the last good value of every key
 * is kept on disk and loaded at start.
 */
export async function createSnapshotFollower<W extends Versioned>(opts: SnapshotFollowerOptions<W>): Promise<SnapshotFollower<W>> {
  const log = opts.log.child({ part: 'snapshots' });
  const retry = opts.retry ?? DEFAULT_RETRY;
  const disk: SnapshotDiskCache = openSnapshotDiskCache(opts.stateDir, log);
  const listeners = new Set<(key: string) => void>();
  const counted = opts.onValue ?? (() => undefined);
  const hostSlots = new Map<string, Slot<VersionedSnapshot>>();
  let applied = 0;
  let refused = 0;
  let stale = 0;
  let stopped = false;
  let store: SnapshotStore | undefined;
  let generation = 0;
  let attachTimer: NodeJS.Timeout | undefined;
  let attachedNow: Promise<void> = Promise.resolve();

  const notify = (key: string): void => {
    for (const listener of listeners) {
      try {
        listener(key);
      } catch (err) {
        log.error({ key, err }, 'snapshot change listener failed');
      }
    }
  };

  const workloadSlot: Slot<W> = {
    key: snapshotKeyForWorkload(opts.workload.namespace, opts.workload.name),
    kind: 'workload',
    decode: (u) => opts.decodeWorkload(u, opts.workload),
    held: undefined,
    watch: undefined,
    refusedRevision: undefined,
  };

  /** Applies one value read from KV or disk; true when it became the held value. */
  const offer = <A extends Versioned>(slot: Slot<A>, revision: number, value: unknown, from: 'kv' | 'disk'): boolean => {
    const decoded = slot.decode(value);
    if (decoded._tag === 'Left') {
      refused += 1;
      counted(slot.kind, 'invalid');
      slot.invalid = { revision, reason: decoded.left.join('; ') };
      if (slot.refusedRevision !== revision) {
        slot.refusedRevision = revision;
        log.warn({ key: slot.key, revision, from, reasons: decoded.left }, `snapshot ${slot.key} refused: ${decoded.left.join('; ')}`);
      }
      return false;
    }
    const next = decoded.right;
    const held = slot.held;
    if (held !== undefined && compareVersions(next.version, held.version) < 0) {
      stale += 1;
      counted(slot.kind, 'stale');
      if (slot.refusedRevision !== revision) {
        slot.refusedRevision = revision;
        log.warn({ key: slot.key, revision, from, version: formatVersion(next.version), held: formatVersion(held.version) }, `snapshot ${slot.key} ignored: version ${formatVersion(next.version)} is older than the held ${formatVersion(held.version)}`);
      }
      return false;
    }
    slot.invalid = undefined;
    if (held !== undefined && compareVersions(next.version, held.version) === 0 && next.contentHash === held.contentHash) {
      slot.heldRevision = revision;
      return false;
    }
    slot.held = next;
    slot.heldRevision = revision;
    applied += 1;
    counted(slot.kind, 'applied');
    if (from === 'kv') disk.save(slot.key, revision, value);
    log.debug({ key: slot.key, revision, version: formatVersion(next.version), from }, 'snapshot applied');
    return true;
  };

  const onEntry = <A extends Versioned>(slot: Slot<A>, entry: SnapshotEntry | undefined): void => {
    if (stopped) return;
    if (entry === undefined) {
      // Deleted (or never written) in KV, which is authoritative once reachable.
      if (slot.held === undefined) return;
      slot.held = undefined;
      slot.heldRevision = undefined;
      disk.remove(slot.key);
      log.info({ key: slot.key }, 'snapshot deleted in KV; forgotten');
      notify(slot.key);
      return;
    }
    if (offer(slot, entry.revision, entry.value, 'kv')) notify(slot.key);
  };

  const watch = <A extends Versioned>(slot: Slot<A>): void => {
    if (store === undefined || slot.watch !== undefined || stopped) return;
    slot.watch = store.watchKey(slot.key, (entry) => onEntry(slot, entry));
  };

  const slots = (): Array<Slot<Versioned>> => [workloadSlot as Slot<Versioned>, ...(hostSlots.values() as Iterable<Slot<Versioned>>)];

  const hostSlot = (fqdn: string): Slot<VersionedSnapshot> | undefined => {
    const existing = hostSlots.get(fqdn);
    if (existing !== undefined) return existing;
    let key: string;
    try {
      key = snapshotKeyForHost(fqdn);
    } catch (err) {
      log.warn({ host: fqdn, reason: (err as Error).message }, 'not a host name; not followed');
      return undefined;
    }
    const slot: Slot<VersionedSnapshot> = { key, kind: 'host', decode: (u) => opts.decodeHost(u, fqdn), held: undefined, watch: undefined, refusedRevision: undefined };
    hostSlots.set(fqdn, slot);
    watch(slot);
    return slot;
  };

  // Start from what the last run knew.
  for (const cached of await disk.load()) {
    const host = hostForSnapshotKey(cached.key);
    if (host !== undefined) {
      const slot = hostSlot(host);
      if (slot !== undefined) offer(slot, cached.revision, cached.value, 'disk');
    } else if (cached.key === workloadSlot.key) {
      offer(workloadSlot, cached.revision, cached.value, 'disk');
    }
  }
  if (applied > 0) log.info({ keys: applied, dir: disk.dir }, 'snapshots loaded from disk');

  const detach = (): void => {
    generation += 1;
    clearTimeout(attachTimer);
    store = undefined;
    for (const slot of slots()) {
      slot.watch?.stop();
      slot.watch = undefined;
    }
  };

  const attach = (bus: Bus): void => {
    detach();
    const mine = generation;
    attachedNow = new Promise<void>((resolve) => {
      const tryOpen = (failures: number): void => {
        openSnapshotStore(bus).then(
          (opened) => {
            if (stopped || mine !== generation) return resolve();
            store = opened;
            for (const slot of slots()) watch(slot);
            log.info({ keys: slots().length }, 'following snapshots on NATS');
            resolve();
          },
          (err: unknown) => {
            if (stopped || mine !== generation) return resolve();
            const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** failures) * (0.5 + Math.random() / 2);
            log.warn({ err, retryInMs: Math.round(delay) }, 'cannot open mesh_snapshots yet; serving the held snapshots');
            attachTimer = setTimeout(() => tryOpen(failures + 1), delay);
          },
        );
      };
      tryOpen(0);
    });
  };

  if (opts.bus !== undefined) attach(opts.bus);

  return {
    host: (fqdn) => hostSlot(fqdn)?.held,
    follow: (fqdn) => void hostSlot(fqdn),
    hosts: () => [...hostSlots.keys()],
    workload: () => workloadSlot.held,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    attach: (bus) => {
      if (!stopped) attach(bus);
    },
    attached: () => attachedNow,
    stats: () => ({ applied, refused, stale }),
    syncStatus: () =>
      slots().map((slot) => ({
        key: slot.key,
        ...(slot.held !== undefined && slot.heldRevision !== undefined ? { revision: slot.heldRevision, version: formatVersion(slot.held.version) } : {}),
        ...(slot.invalid !== undefined ? { refusedRevision: slot.invalid.revision, refusedReason: slot.invalid.reason } : {}),
      })),
    stop: async () => {
      stopped = true;
      detach();
      listeners.clear();
      await disk.flush();
    },
  };
}
