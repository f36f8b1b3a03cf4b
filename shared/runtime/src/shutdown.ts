import type { Logger } from '@jetmesh/log';

export type ShutdownStep = () => Promise<void> | void;

/** A step that needs longer than SHUTDOWN_STEP_TIMEOUT_MS, e.g. a proxy draining its connections. */
export interface LongShutdownStep {
  readonly run: ShutdownStep;
  readonly timeoutMs: number;
}

/** How long one step may take before shutdown moves on without it. */
export const SHUTDOWN_STEP_TIMEOUT_MS = 5_000;

/**
 * How long all steps together may take: the process has exited by then. Under Kubernetes' default
 * terminationGracePeriodSeconds (30 s, as in deploy/k8s), so the kubelet never has to SIGKILL.
 */
export const SHUTDOWN_BUDGET_MS = 25_000;

export interface ShutdownHandle {
  /** Starts the same shutdown a signal would, e.g. when the service loses something it cannot work without. */
  begin(reason: string, exitCode?: number): void;
}

function stepName(step: ShutdownStep | LongShutdownStep, index: number): string {
  const run = typeof step === 'function' ? step : step.run;
  return run.name !== '' ? run.name : `step ${index + 1}`;
}

async function runBounded(step: ShutdownStep, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(step), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * On SIGINT/SIGTERM runs `steps` in order, each bounded by its own timeout and all of them by
 * SHUTDOWN_BUDGET_MS, then exits 0, or 1 if a step failed or the budget ran out; a second signal
 * exits at once. An unhandled rejection or uncaught exception is a bug or lost infrastructure:
 * logged, exit 1.
 */
export function onShutdown(log: Logger, ...steps: (ShutdownStep | LongShutdownStep)[]): ShutdownHandle {
  let started = false;

  const begin = (reason: string, exitCode = 0): void => {
    if (started) return;
    started = true;
    log.info({ reason }, 'shutting down');
    void (async () => {
      let failed = false;
      const deadline = Date.now() + SHUTDOWN_BUDGET_MS;
      for (const [index, step] of steps.entries()) {
        const left = deadline - Date.now();
        if (left <= 0) {
          failed = true;
          log.error({ skipped: steps.slice(index).map((s, i) => stepName(s, index + i)) }, `shutdown budget of ${SHUTDOWN_BUDGET_MS} ms spent`);
          break;
        }
        const [run, timeoutMs] = typeof step === 'function' ? [step, SHUTDOWN_STEP_TIMEOUT_MS] : [step.run, step.timeoutMs];
        try {
          await runBounded(run, Math.min(timeoutMs, left));
        } catch (err) {
          failed = true;
          log.error({ err, step: stepName(step, index) }, 'shutdown step failed');
        }
      }
      const code = failed ? Math.max(exitCode, 1) : exitCode;
      log.info({ exitCode: code }, 'stopped');
      process.exit(code);
    })();
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (started) {
      log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    begin(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });

  return { begin };
}
