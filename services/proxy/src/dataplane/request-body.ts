import type { Readable, Writable } from 'node:stream';

/**
 * A request body read once from downstream and replayable to several upstream attempts
 * (retries) and a mirror, while it is still arriving: a streaming gRPC call is forwarded as it
 * comes, and a retry replays what came so far, then follows. Past `limit` bytes the copy is
 * dropped and the body can no longer be replayed (no more retries or mirrors), as Envoy does
 * past its buffer limit.
 */
export class ReplayableBody {
  private readonly chunks: Buffer[] = [];
  private readonly followers = new Set<Writable>();
  private bufferedBytes = 0;
  private overflowed = false;
  private ended = false;
  private failed: Error | undefined;
  private firstReader = true;
  private readonly completeListeners: Array<() => void> = [];
  bytes = 0;

  constructor(
    private readonly source: Readable,
    private readonly limit: number,
  ) {
    source.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      if (!this.overflowed) {
        this.bufferedBytes += chunk.length;
        if (this.bufferedBytes > this.limit) {
          this.overflowed = true;
          this.chunks.length = 0;
        } else this.chunks.push(chunk);
      }
      for (const f of this.followers) if (!f.write(chunk)) this.pauseFor(f);
    });
    source.once('end', () => {
      this.ended = true;
      for (const f of this.followers) f.end();
      this.followers.clear();
      if (!this.overflowed) for (const l of this.completeListeners.splice(0)) l();
    });
    source.once('error', (err) => {
      this.failed = err;
      for (const f of this.followers) f.destroy(err);
      this.followers.clear();
    });
    // Nothing flows until the first attempt reads: no chunk can be dropped before it.
    source.pause();
  }

  /** Whether another attempt can still get the whole body. */
  replayable(): boolean {
    return !this.overflowed && this.failed === undefined;
  }

  /** Whether the body has arrived in full (mirrors only send complete bodies). */
  complete(): boolean {
    return this.ended && !this.overflowed;
  }

  /** Calls `listener` once the whole body has arrived (never, if it overflows or fails). */
  onComplete(listener: () => void): void {
    if (this.complete()) listener();
    else this.completeListeners.push(listener);
  }

  /** The whole body, when complete. */
  buffered(): Buffer | undefined {
    return this.complete() ? Buffer.concat(this.chunks) : undefined;
  }

  /** Sends the body (what came so far, then the rest) into `sink`; false when it cannot be replayed. */
  pipeTo(sink: Writable): boolean {
    if (!this.firstReader && !this.replayable()) return false;
    const first = this.firstReader;
    this.firstReader = false;
    for (const c of this.chunks) sink.write(c);
    if (this.ended) sink.end();
    else if (this.failed !== undefined) sink.destroy(this.failed);
    else {
      this.followers.add(sink);
      sink.once('close', () => this.followers.delete(sink));
    }
    if (first) this.source.resume();
    return true;
  }

  /** Stops feeding `sink` (an attempt given up). */
  detach(sink: Writable): void {
    this.followers.delete(sink);
  }

  private pauseFor(sink: Writable): void {
    this.source.pause();
    sink.once('drain', () => this.source.resume());
  }
}
