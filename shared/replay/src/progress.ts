/** Progress of a long replay, on stderr: a redrawn bar on a terminal, a line a second when forced elsewhere. */
export interface Progress {
  /** `done` events of `total` handled so far. */
  update(done: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  /** `--progress`: draw even when stderr is not a terminal. */
  readonly force: boolean;
  /** `--no-progress`. */
  readonly disabled?: boolean;
}

const BAR_WIDTH = 24;
const TTY_REDRAW_MS = 100;
const LINE_EVERY_MS = 1000;
/** Short replays finish before a bar would help; a forced one always draws. */
const TTY_QUIET_MS = 300;

/** Draws nothing: for a replay nobody watches. */
export const quietProgress: Progress = { update: () => undefined, finish: () => undefined };

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export const createProgress = (stderr: NodeJS.WritableStream, opts: ProgressOptions): Progress => {
  const tty = (stderr as { isTTY?: boolean }).isTTY === true;
  if (opts.disabled === true || !(tty || opts.force)) return quietProgress;
  const started = performance.now();
  let last = 0;
  let done = 0;
  let drawn = false;
  const render = (): string => {
    const total = Math.max(opts.total, done, 1);
    const share = Math.min(1, done / total);
    const filled = Math.round(share * BAR_WIDTH);
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    return `${opts.label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}% ${count(done)}/${count(total)} events, ${count(rate)}/s`;
  };
  const draw = (final: boolean): void => {
    const now = performance.now();
    if (!final && (now - last < (tty ? TTY_REDRAW_MS : LINE_EVERY_MS) || (tty && !opts.force && now - started < TTY_QUIET_MS))) return;
    last = now;
    drawn = true;
    stderr.write(tty ? `\r\u001b[2K${render()}` : `${render()}\n`);
  };
  return {
    update: (n) => {
      done = n;
      draw(false);
    },
    finish: () => {
      if (!drawn && !opts.force) return;
      draw(true);
      if (tty) stderr.write('\n');
    },
  };
};
