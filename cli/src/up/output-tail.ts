import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * Copies a child's output lines to our terminal, prefixed with its name, and
 * keeps the last few so a failure report can show what the child said last.
 */
export class OutputTail {
  private readonly lines: string[] = [];

  constructor(
    private readonly prefix: string,
    private readonly capacity = 20,
  ) {}

  /** `echo` undefined: keep the lines for reports only. */
  follow(stream: Readable, echo: NodeJS.WritableStream | undefined): void {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      this.lines.push(line);
      if (this.lines.length > this.capacity) this.lines.shift();
      echo?.write(`${this.prefix}${line}\n`);
    });
  }

  /** The kept lines, indented for a report; a note when there are none. */
  report(): string {
    return this.lines.length === 0 ? '    (no output)' : this.lines.map((l) => `    ${l}`).join('\n');
  }
}
