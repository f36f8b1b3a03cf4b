/** What the dedupe says about a report id. */
export type Admission = 'new' | 'duplicate' | 'too_old';

export interface DedupeOptions {
  /** How long after its window ended a report's id is remembered (the proxies resend within their backlog, a minute). */
  readonly windowMs: number;
  /** At most this many ids are remembered; past it the oldest is forgotten. */
  readonly maxIds: number;
}

/**
 * Tells a report seen for the first time from a redelivery, in bounded memory. Ids are kept in
 * arrival order with their window's end; an id is forgotten once its window ended more than
 * `windowMs` ago, or when `maxIds` is exceeded. A floor rises to the end of every window
 * forgotten, and a report whose window ended at or before the floor is refused as `too_old`:
 * it may be one already counted, and counting it twice is worse than missing it (it is
 * counted as rejected, so the loss shows). Pure: the clock is the caller's.
 */
export class ReportDedupe {
  private readonly seen = new Map<string, number>();
  private floorMs = -Infinity;

  constructor(private readonly opts: DedupeOptions) {}

  /** Ids remembered now. */
  get size(): number {
    return this.seen.size;
  }

  /** Reports whose window ended at or before this are refused. */
  get floor(): number {
    return this.floorMs;
  }

  /** Checks `id` and, when new, remembers it. */
  admit(id: string, windowEndMs: number, nowMs: number): Admission {
    this.expire(nowMs);
    if (this.seen.has(id)) return 'duplicate';
    if (windowEndMs <= this.floorMs) return 'too_old';
    this.seen.set(id, windowEndMs);
    if (this.seen.size > this.opts.maxIds) {
      const [oldest, end] = this.seen.entries().next().value as [string, number];
      this.seen.delete(oldest);
      this.floorMs = Math.max(this.floorMs, end);
    }
    return 'new';
  }

  /** Forgets the ids whose windows left the dedupe window (the front of the arrival order; a later window there waits). */
  expire(nowMs: number): void {
    this.floorMs = Math.max(this.floorMs, nowMs - this.opts.windowMs);
    for (const [id, end] of this.seen) {
      if (end > this.floorMs) break;
      this.seen.delete(id);
    }
  }
}
