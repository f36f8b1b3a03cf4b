import { spawn } from 'node:child_process';
import { reapOnExit } from './child-reaper.js';
import { OutputLog } from '@jetmesh/runtime';
import { processEnv } from './process-env.js';

export interface LaunchOptions {
  /** Shown in error messages. */
  readonly name: string;
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
}

/** A long-running child process (a service under test). */
export interface ChildHandle {
  /** Undefined when the process could not be spawned (see output()). */
  readonly pid: number | undefined;
  /** Combined stdout+stderr so far (the last 10,000 lines). */
  output(): string;
  /** Resolves with the match once the output matches `re`; rejects on timeout or exit. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGTERM), SIGKILL after `timeoutMs`; resolves the exit code (null if killed). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Exit code, or null when ended by a signal or never spawned. */
  readonly exited: Promise<number | null>;
}

const OUTPUT_LINES = 10_000;

export function launchProcess(cmd: string, args: string[], opts: LaunchOptions): ChildHandle {
  const log = new OutputLog(OUTPUT_LINES);
  const child = spawn(cmd, args, { cwd: opts.cwd, env: processEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  reapOnExit(child);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => log.append(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => log.append(chunk));

  let hasExited = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      log.append(`\n[${opts.name}: cannot spawn ${cmd}: ${err.message}]\n`);
      hasExited = true;
      resolve(null);
    });
    // 'close' rather than 'exit': all output has been read by then.
    child.once('close', (code) => {
      hasExited = true;
      resolve(code);
    });
  });

  const tail = (): string => log.text().split('\n').slice(-50).join('\n');

  const waitForOutput = (re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe();
        outcome();
      };
      const check = (): void => {
        const match = log.text().match(re);
        if (match !== null) finish(() => resolve(match));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${opts.name}: no output matching ${re} within ${timeoutMs} ms; last output:\n${tail()}`))),
        timeoutMs,
      );
      const unsubscribe = log.onAppend(check);
      void exited.then((code) => {
        check();
        finish(() => reject(new Error(`${opts.name} exited (code ${code}) before printing ${re}; last output:\n${tail()}`)));
      });
      check();
    });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5_000): Promise<number | null> => {
    if (hasExited) return exited;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  return { pid: child.pid, output: () => log.text(), waitForOutput, stop, exited };
}
