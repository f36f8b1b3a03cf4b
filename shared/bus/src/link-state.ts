/** Whether the connection is up, as last reported by its status events. */
export class LinkState {
  private up = true;
  private waiters: (() => void)[] = [];

  set(up: boolean): void {
    this.up = up;
    if (!up) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  isUp(): boolean {
    return this.up;
  }

  /** Resolves true once up, false after timeoutMs. */
  waitUp(timeoutMs: number): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== wake);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(wake);
    });
  }
}
