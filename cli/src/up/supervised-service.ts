import { spawn, type ChildProcess } from 'node:child_process';
import { OutputTail } from './output-tail.js';
import { decideRestart, formatDelay, type RestartPolicy } from './restart-policy.js';
import type { ServiceSpec } from './service-table.js';
import { hasExited, stopChild } from './stop-child.js';

export interface SupervisedServiceOptions {
  readonly spec: ServiceSpec;
  /** The replica's name in messages (galley-2); default the service's. */
  readonly name?: string;
  readonly entryPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly prefix: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly policy: RestartPolicy;
  /** A new process replaced one that exited (its pid changed). */
  readonly onRestarted: () => void;
  /** It crash-looped; the supervisor should stop everything. */
  readonly onGaveUp: (report: string) => void;
}

/** One service as a child process, restarted with backoff when it exits on its own. */
export class SupervisedService {
  readonly tail: OutputTail;
  private child: ChildProcess | undefined;
  private exits: readonly number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly opts: SupervisedServiceOptions) {
    this.tail = new OutputTail(opts.prefix);
  }

  get name(): string {
    return this.opts.name ?? this.opts.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { entryPath, env, stdout, stderr } = this.opts;
    // Own process group: a terminal's Ctrl-C reaches only `up`, which then stops services in order.
    const child = spawn(process.execPath, [entryPath], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.tail.follow(child.stdout!, stdout);
    this.tail.follow(child.stderr!, stderr);
    child.once('error', (err) => this.opts.stderr.write(`${this.name}: cannot start: ${err.message}\n`));
    // 'close' comes after the output streams ended, so the tail is complete when we report.
    child.once('close', (code, signal) => this.exited(code, signal));
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const how = signal !== null ? `signal ${signal}` : `code ${code ?? '?'}`;
    const decision = decideRestart(this.exits, Date.now(), this.opts.policy);
    if (decision.kind === 'give-up') {
      this.opts.onGaveUp(
        `${this.name} exited with ${how}, ${decision.exits} times in ${formatDelay(decision.windowMs)}; giving up. Its last output:\n${this.tail.report()}`,
      );
      return;
    }
    this.exits = decision.recentExits;
    this.opts.stderr.write(`${this.name} exited with ${how}; restarting in ${formatDelay(decision.delayMs)}\n`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.start();
      this.opts.onRestarted();
    }, decision.delayMs);
  }

  /** Ends supervision: no more restarts; SIGTERM, SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.child !== undefined && this.child.pid !== undefined) await stopChild(this.child, graceMs);
  }

  /** Immediate SIGKILL, for a second Ctrl-C or when `up` itself is exiting. */
  kill(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.child !== undefined && !hasExited(this.child)) this.child.kill('SIGKILL');
  }
}
