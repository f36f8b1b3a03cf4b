import { ISTIO_DURATION_BUCKETS_MS, type IstioRequestLabels, type TelemetrySeries, type TopQuery, type TopServiceShare } from '@jetmesh/model';

/** `jetmesh top`'s window: "over the last minute". */
export const TOP_WINDOW_SECONDS = 60;

interface Slot {
  second: number;
  requests: number;
  serverErrors: number;
  readonly counts: number[];
  sum: number;
}

interface ServiceSlots {
  readonly namespace: string;
  readonly service: string;
  readonly reporter: 'source' | 'destination';
  readonly slots: (Slot | undefined)[];
  /** The latest second any window landed in: a service quiet for a whole window is dropped. */
  latest: number;
}

const newSlot = (second: number): Slot => ({ second, requests: 0, serverErrors: 0, counts: new Array<number>(ISTIO_DURATION_BUCKETS_MS.length + 1).fill(0), sum: 0 });

const isServerError = (code: string): boolean => code.length === 3 && code.charCodeAt(0) === 53; // '5'

/**
 * The last `windowSeconds` per destination service and reporter side, one slot per second of a
 * window's end (a ring), so late windows land where they belong and memory is fixed per
 * service. Pure: the clock is the caller's.
 */
export class TopWindow {
  private readonly services = new Map<string, ServiceSlots>();

  constructor(readonly windowSeconds = TOP_WINDOW_SECONDS) {}

  get size(): number {
    return this.services.size;
  }

  /** Adds one window of one Istio series, which ended at `windowEndMs`; ignored when outside the window around `nowMs`. */
  add(window: TelemetrySeries, labels: IstioRequestLabels, windowEndMs: number, nowMs: number): void {
    const reporter = labels.reporter;
    if (reporter !== 'source' && reporter !== 'destination') return;
    const second = Math.floor(windowEndMs / 1000);
    const now = Math.floor(nowMs / 1000);
    // Older than the window: `top` no longer shows it. Ahead by a window or more: a proxy's clock is off.
    if (second <= now - this.windowSeconds || second >= now + this.windowSeconds) return;
    const key = `${labels.destination_service_namespace}\u0000${labels.destination_service}\u0000${reporter}`;
    let s = this.services.get(key);
    if (s === undefined) {
      s = { namespace: labels.destination_service_namespace, service: labels.destination_service, reporter, slots: new Array<Slot | undefined>(this.windowSeconds).fill(undefined), latest: second };
      this.services.set(key, s);
    }
    s.latest = Math.max(s.latest, second);
    const index = ((second % this.windowSeconds) + this.windowSeconds) % this.windowSeconds;
    let slot = s.slots[index];
    if (slot === undefined || slot.second < second) {
      slot = newSlot(second);
      s.slots[index] = slot;
    } else if (slot.second > second) {
      return; // a second a whole window older than one already held
    }
    slot.requests += window.requests;
    if (isServerError(labels.response_code)) slot.serverErrors += window.requests;
    const counts = window.durationMs.counts;
    for (let i = 0; i < slot.counts.length; i++) slot.counts[i] = (slot.counts[i] ?? 0) + (counts[i] ?? 0);
    slot.sum += window.durationMs.sum;
  }

  /** What the window ending at `nowMs` holds, per service and reporter (mergeable with other replicas' shares). */
  share(nowMs: number, query: TopQuery = {}): TopServiceShare[] {
    this.prune(nowMs);
    const now = Math.floor(nowMs / 1000);
    const out: TopServiceShare[] = [];
    for (const s of this.services.values()) {
      if (query.namespace !== undefined && s.namespace !== query.namespace) continue;
      let requests = 0;
      let serverErrors = 0;
      let sum = 0;
      const counts = new Array<number>(ISTIO_DURATION_BUCKETS_MS.length + 1).fill(0);
      for (const slot of s.slots) {
        if (slot === undefined || slot.second <= now - this.windowSeconds || slot.second > now) continue;
        requests += slot.requests;
        serverErrors += slot.serverErrors;
        sum += slot.sum;
        for (let i = 0; i < counts.length; i++) counts[i] = (counts[i] ?? 0) + (slot.counts[i] ?? 0);
      }
      if (requests > 0) out.push({ namespace: s.namespace, service: s.service, reporter: s.reporter, requests, serverErrors, durationMs: { counts, sum } });
    }
    return out;
  }

  /** Drops services with nothing in the window ending at `nowMs`. */
  prune(nowMs: number): void {
    const now = Math.floor(nowMs / 1000);
    for (const [key, s] of this.services) if (s.latest <= now - this.windowSeconds) this.services.delete(key);
  }
}
