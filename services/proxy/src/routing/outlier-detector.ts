import { durationMs } from '@jetmesh/model';
import type { UpstreamOutcome } from './upstream-outcome.js';

/** DestinationRule outlierDetection, as Istio's reference names it. */
export interface OutlierDetectionSettings {
  readonly consecutive5xxErrors?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly interval?: string;
  readonly baseEjectionTime?: string;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
  readonly splitExternalLocalOriginErrors?: boolean;
  readonly consecutiveLocalOriginFailures?: number;
}

/** Envoy's defaults for what Istio leaves unset (consecutive gateway failures are off unless set). */
export const OUTLIER_DEFAULTS = {
  consecutive5xxErrors: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 10,
  minHealthPercent: 0,
} as const;

export interface OutlierDetector {
  /** Counts one attempt's outcome against an endpoint; may eject it now (consecutive errors eject inline). */
  recordOutcome(endpointKey: string, outcome: UpstreamOutcome, now: number): void;
  isEjected(endpointKey: string, now: number): boolean;
  ejectedCount(now?: number): number;
  /**
   * Fewer healthy endpoints than minHealthPercent: the balancer should ignore ejections (Envoy's
   * panic mode). Istio's default of 0 never panics.
   */
  inPanic(now: number): boolean;
  /** The cluster's endpoints changed: state of the ones that stay is kept, the rest forgotten. */
  setEndpoints(endpointKeys: readonly string[]): void;
}

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  consecutiveLocal: number;
  /** Envoy's eject-time backoff: ejection time is base × this, it decays by one per healthy interval. */
  multiplier: number;
  ejectedAt?: number;
  lastUnejectedAt?: number;
}

/**
 * Envoy's consecutive-error outlier detection (success-rate detection is off, as Istio sets it).
 * Time is the caller's (ms, any monotonic origin). Hosts return to service on the interval sweep
 * whose time is at least base × multiplier (capped at 300 s) after their ejection; sweeps run at
 * `startedAt + k × interval` and are replayed lazily whenever the detector is asked.
 * Local-origin errors (connect failure, reset, timeout) count as 5xx and gateway errors unless
 * splitExternalLocalOriginErrors, where they count only toward consecutiveLocalOriginFailures.
 */
export function createOutlierDetector(settings: OutlierDetectionSettings, endpointKeys: readonly string[], startedAt: number): OutlierDetector {
  const threshold5xx = settings.consecutive5xxErrors ?? OUTLIER_DEFAULTS.consecutive5xxErrors;
  const thresholdGateway = settings.consecutiveGatewayErrors ?? 0;
  const split = settings.splitExternalLocalOriginErrors === true;
  const thresholdLocal = split ? (settings.consecutiveLocalOriginFailures ?? 0) : 0;
  const intervalMs = Math.max(1, msOr(settings.interval, OUTLIER_DEFAULTS.intervalMs));
  const baseMs = msOr(settings.baseEjectionTime, OUTLIER_DEFAULTS.baseEjectionTimeMs);
  const maxEjectMs = Math.max(OUTLIER_DEFAULTS.maxEjectionTimeMs, baseMs);
  const maxPercent = settings.maxEjectionPercent !== undefined && settings.maxEjectionPercent > 0 ? Math.min(100, settings.maxEjectionPercent) : OUTLIER_DEFAULTS.maxEjectionPercent;
  const minHealth = settings.minHealthPercent ?? OUTLIER_DEFAULTS.minHealthPercent;

  const hosts = new Map<string, HostState>();
  const fresh = (): HostState => ({ consecutive5xx: 0, consecutiveGateway: 0, consecutiveLocal: 0, multiplier: 0 });
  for (const k of endpointKeys) hosts.set(k, fresh());
  let lastSweep = startedAt;

  const ejected = (): number => {
    let n = 0;
    for (const h of hosts.values()) if (h.ejectedAt !== undefined) n++;
    return n;
  };

  const sweepUntil = (now: number): void => {
    while (lastSweep + intervalMs <= now) {
      lastSweep += intervalMs;
      for (const h of hosts.values()) {
        if (h.ejectedAt === undefined) {
          if (h.multiplier > 0 && h.lastUnejectedAt !== undefined && lastSweep - h.lastUnejectedAt >= intervalMs) h.multiplier--;
        } else if (Math.min(baseMs * h.multiplier, maxEjectMs) <= lastSweep - h.ejectedAt) {
          h.ejectedAt = undefined;
          h.lastUnejectedAt = lastSweep;
        }
      }
    }
  };

  const eject = (h: HostState, now: number): void => {
    const active = ejected();
    // Envoy ejects the first host whatever the percentage; after that only within maxEjectionPercent.
    if (active > 0 && (100 * (active + 1)) / hosts.size > maxPercent) return;
    if (baseMs * h.multiplier < maxEjectMs + baseMs) h.multiplier++;
    h.ejectedAt = now;
  };

  return {
    recordOutcome(key, outcome, now) {
      sweepUntil(now);
      const h = hosts.get(key);
      if (h === undefined || h.ejectedAt !== undefined) return;
      const local = outcome.kind !== 'response';
      if (local && split) {
        h.consecutiveLocal++;
        if (thresholdLocal > 0 && h.consecutiveLocal >= thresholdLocal) {
          h.consecutiveLocal = 0;
          eject(h, now);
        }
        return;
      }
      if (split) h.consecutiveLocal = 0;
      // Unsplit, Envoy maps a local-origin failure to 503 (504 for a timeout).
      const status = outcome.kind === 'response' ? outcome.status : outcome.kind === 'timeout' ? 504 : 503;
      if (status < 500 || status > 599) {
        h.consecutive5xx = 0;
        h.consecutiveGateway = 0;
        return;
      }
      if (status === 502 || status === 503 || status === 504) {
        h.consecutiveGateway++;
        if (thresholdGateway > 0 && h.consecutiveGateway >= thresholdGateway) {
          h.consecutiveGateway = 0;
          h.consecutive5xx = 0;
          eject(h, now);
          return;
        }
      } else {
        h.consecutiveGateway = 0;
      }
      h.consecutive5xx++;
      if (threshold5xx > 0 && h.consecutive5xx >= threshold5xx) {
        h.consecutive5xx = 0;
        h.consecutiveGateway = 0;
        eject(h, now);
      }
    },
    isEjected(key, now) {
      sweepUntil(now);
      return hosts.get(key)?.ejectedAt !== undefined;
    },
    ejectedCount(now) {
      if (now !== undefined) sweepUntil(now);
      return ejected();
    },
    inPanic(now) {
      sweepUntil(now);
      if (hosts.size === 0 || minHealth <= 0) return false;
      return (100 * (hosts.size - ejected())) / hosts.size < minHealth;
    },
    setEndpoints(keys) {
      const keep = new Set(keys);
      for (const k of [...hosts.keys()]) if (!keep.has(k)) hosts.delete(k);
      for (const k of keys) if (!hosts.has(k)) hosts.set(k, fresh());
    },
  };
}

const msOr = (d: string | undefined, fallback: number): number => (d === undefined ? fallback : (durationMs(d) ?? fallback));
