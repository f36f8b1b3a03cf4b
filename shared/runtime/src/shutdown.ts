import type { Logger } from '@jetmesh/log';

export type ShutdownStep = () => Promise<void> | void;

/** How long one step may take before shutdown moves on without it. */
export const SHUTDOWN_STEP_TIMEOUT_MS = 5_000;

export interface ShutdownHandle {
  /** Starts the same shutdown a signal would, e.g. when the service loses something it cannot work without. */
  begin(reason: string, exitCode?: number): void;
}

function stepName(step: ShutdownStep, index: number): string {
  return step.name !== '' ? step.name : `step ${index + 1}`;
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
 * On SIGINT/SIGTERM runs `steps` in order (each bounded), then exits 0, or 1 if
 * a step failed; a second signal exits at once. An unhandled rejection or
 * uncaught exception is a bug or lost infrastructure: logged, exit 1.
 */
export function onShutdown(log: Logger, ...steps: ShutdownStep[]): ShutdownHandle {
  let started = false;

  const begin = (reason: string, exitCode = 0): void => {
    if (started) return;
    started = true;
    log.info({ reason }, 'shutting down');
    void (async () => {
      let failed = false;
      for (const [index, step] of steps.entries()) {
        try {
          await runBounded(step, SHUTDOWN_STEP_TIMEOUT_MS);
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
