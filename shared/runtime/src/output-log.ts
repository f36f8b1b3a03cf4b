/**
 * The last `maxLines` lines a child process wrote, kept in memory so a failure
 * message can show what the process said without a log file.
 */
export class OutputLog {
  private readonly lines: string[] = [];
  private partial = '';
  private readonly listeners = new Set<() => void>();

  constructor(private readonly maxLines: number) {}

  append(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.maxLines) {
      this.lines.splice(0, this.lines.length - this.maxLines);
    }
    for (const listener of this.listeners) listener();
  }

  text(): string {
    const complete = this.lines.join('\n');
    if (this.partial === '') return complete === '' ? '' : `${complete}\n`;
    return complete === '' ? this.partial : `${complete}\n${this.partial}`;
  }

  /** Calls `listener` after every append; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
