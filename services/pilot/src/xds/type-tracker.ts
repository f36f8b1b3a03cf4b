import { formatVersion, type SnapshotVersion, type XdsSyncStatus } from '@jetmesh/model';
import type { XdsEntry } from './xds-cache.js';
import type { PushReason } from './xds-metrics.js';

/** One response on a stream, kept until the client answers it (or a few newer ones were sent). */
export interface SentResponse {
  readonly nonce: string;
  readonly version: SnapshotVersion;
  readonly entries: readonly XdsEntry[];
  /** Names the client must drop: absent from a full state-of-the-world response, or delta removals. */
  readonly removed: readonly string[];
  readonly reason: PushReason;
  /** When the newest event it reflects was published (epoch ms), for the convergence histogram. */
  readonly publishedAt: Promise<number | undefined> | undefined;
}

/** What a client's reply settled. */
export type Verdict =
  | { readonly kind: 'ack'; readonly response: SentResponse }
  | { readonly kind: 'nack'; readonly response: SentResponse; readonly error: string }
  /** A nonce this stream never sent, or one that aged out of the history. */
  | { readonly kind: 'unknown' };

export interface TypeSync {
  readonly status: XdsSyncStatus;
  readonly acked?: string;
  readonly latest?: string;
  readonly error?: string;
  readonly rejected?: string;
}

// A client answers each response in order; it is at most a few behind while a burst of pushes is in flight.
const HISTORY = 32;

/**
 * ACK/NACK bookkeeping for one resource type on one stream, in one place: which content the
 * client accepted or rejected per resource name, and the versions to show beside each other.
 */
export class TypeTracker {
  private readonly history: SentResponse[] = [];
  private readonly sent = new Map<string, XdsEntry>();
  private readonly accepted = new Map<string, XdsEntry>();
  private readonly rejectedEntries = new Map<string, { readonly entry: XdsEntry; readonly error: string }>();
  private lastLabel: SnapshotVersion | undefined;
  private ackedLabel: SnapshotVersion | undefined;
  private lastRejection: { readonly version: SnapshotVersion; readonly error: string } | undefined;
  /** Whether the client's latest answer was a NACK (some rejections name no resource: a removal). */
  private lastAnswerRejected = false;

  /** The version of the last response sent, so the next is never labelled lower. */
  lastSentVersion(): SnapshotVersion | undefined {
    return this.lastLabel;
  }

  /** The entry last sent under `name`, undefined when never sent or since removed. */
  sentEntry(name: string): XdsEntry | undefined {
    return this.sent.get(name);
  }

  sentNames(): IterableIterator<string> {
    return this.sent.keys();
  }

  /** The client already holds this entry (a delta client resuming with its versions). */
  assumeAccepted(entry: XdsEntry): void {
    this.sent.set(entry.name, entry);
    this.accepted.set(entry.name, entry);
  }

  recordSent(response: SentResponse): void {
    for (const e of response.entries) this.sent.set(e.name, e);
    for (const name of response.removed) this.sent.delete(name);
    this.lastLabel = response.version;
    this.history.push(response);
    if (this.history.length > HISTORY) this.history.shift();
  }

  /** Settles the response `nonce` names: an ACK without error_detail, a NACK with it (whatever version_info says). */
  answer(nonce: string, error: string | undefined): Verdict {
    const i = this.history.findIndex((r) => r.nonce === nonce);
    if (i < 0) return { kind: 'unknown' };
    const response = this.history[i] as SentResponse;
    // Older responses can no longer be answered: the client processes them in order.
    this.history.splice(0, i + 1);
    if (error !== undefined) {
      for (const e of response.entries) this.rejectedEntries.set(e.name, { entry: e, error });
      this.lastRejection = { version: response.version, error };
      this.lastAnswerRejected = true;
      return { kind: 'nack', response, error };
    }
    for (const e of response.entries) {
      this.accepted.set(e.name, e);
      this.rejectedEntries.delete(e.name);
    }
    for (const name of response.removed) {
      this.accepted.delete(name);
      this.rejectedEntries.delete(name);
    }
    this.ackedLabel = response.version;
    this.lastAnswerRejected = false;
    return { kind: 'ack', response };
  }

  /** Forgets a name the client unsubscribed from. */
  forget(name: string): void {
    this.sent.delete(name);
    this.accepted.delete(name);
    this.rejectedEntries.delete(name);
  }

  /**
   * Where the client stands against `desired` (every subscribed name and what pilot has for it now),
   * with `latest` the version a response carrying `desired` would be labelled.
   */
  sync(desired: ReadonlyMap<string, XdsEntry | undefined>, latest: SnapshotVersion | undefined): TypeSync {
    const versions = {
      ...(this.ackedLabel !== undefined ? { acked: formatVersion(this.ackedLabel) } : {}),
      ...(latest !== undefined ? { latest: formatVersion(latest) } : {}),
    };
    if (this.lastLabel === undefined) return { status: 'NOT_SENT', ...versions };
    const rejectedVersion = this.lastRejection !== undefined ? { rejected: formatVersion(this.lastRejection.version) } : {};
    for (const [name, entry] of desired) {
      const rejected = this.rejectedEntries.get(name);
      if (entry !== undefined && rejected?.entry === entry) return { status: 'NACKED', ...versions, error: rejected.error, ...rejectedVersion };
    }
    if (this.lastAnswerRejected && this.lastRejection !== undefined) return { status: 'NACKED', ...versions, error: this.lastRejection.error, ...rejectedVersion };
    for (const [name, entry] of desired) if (this.accepted.get(name) !== entry) return { status: 'STALE', ...versions };
    return { status: 'SYNCED', ...versions };
  }
}
