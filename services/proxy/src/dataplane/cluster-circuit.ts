/**
 * A cluster's connection-pool limits (DestinationRule `connectionPool`), as Envoy's circuit
 * breaker applies them: at most `maxActive` requests in flight (tcp.maxConnections, each
 * connection carrying one request at a time as HTTP/1.1 does, and http.http2MaxRequests),
 * at most `maxPending` waiting for a slot (http.http1MaxPendingRequests); anything beyond is
 * refused at once (503, flag UO).
 */
export class ClusterCircuit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly maxActive: number,
    private readonly maxPending: number,
  ) {}

  static fromPolicy(pool: { tcp?: { maxConnections?: number }; http?: { http2MaxRequests?: number; http1MaxPendingRequests?: number } } | undefined): ClusterCircuit {
    const positive = (n: number | undefined): number => (n !== undefined && n > 0 ? n : Number.POSITIVE_INFINITY);
    return new ClusterCircuit(Math.min(positive(pool?.tcp?.maxConnections), positive(pool?.http?.http2MaxRequests)), positive(pool?.http?.http1MaxPendingRequests));
  }

  inFlight(): number {
    return this.active;
  }

  pending(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free, or with undefined at once when the
   * pending queue is full (overflow). `signal` gives up waiting.
   */
  acquire(signal: AbortSignal): Promise<(() => void) | undefined> {
    if (this.active < this.maxActive) return Promise.resolve(this.take());
    if (this.waiting.length >= this.maxPending) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', giveUp);
        resolve(this.take());
      };
      const giveUp = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(undefined);
      };
      signal.addEventListener('abort', giveUp, { once: true });
      this.waiting.push(grant);
    });
  }

  private take(): () => void {
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      const next = this.waiting.shift();
      if (next !== undefined) next();
    };
  }
}
