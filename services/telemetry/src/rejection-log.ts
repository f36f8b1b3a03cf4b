import type { Logger } from '@jetmesh/log';
import type { RejectReason } from './metrics/report-fold.js';

export interface RejectionLog {
  note(reason: RejectReason, detail: string, subject: string): void;
  /** Logs what was noted since the last flush, in one line (nothing when nothing was). */
  flush(): void;
  stop(): void;
}

// Redeliveries happen whenever a proxy reconnects: worth a line, not a warning.
const deliveryArtefacts: ReadonlySet<RejectReason> = new Set(['duplicate', 'too_old']);

/**
 * Rejected reports are logged once per interval, not once each: a broken proxy sends one a
 * second, and a flood of identical lines would hide everything else. The line says how many
 * per reason and shows the first of each reason in the interval.
 */
export function startRejectionLog(log: Logger, intervalMs: number): RejectionLog {
  let counts: Partial<Record<RejectReason, number>> = {};
  let examples: Partial<Record<RejectReason, { detail: string; subject: string }>> = {};
  let any = false;
  let malformed = false;
  const flush = (): void => {
    if (!any) return;
    const line = { rejected: counts, examples, intervalMs };
    if (malformed) log.warn(line, 'telemetry reports rejected');
    else log.info(line, 'telemetry reports dropped as redeliveries');
    counts = {};
    examples = {};
    any = false;
    malformed = false;
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();
  return {
    note: (reason, detail, subject) => {
      any = true;
      counts[reason] = (counts[reason] ?? 0) + 1;
      examples[reason] ??= { detail, subject };
      if (!deliveryArtefacts.has(reason)) malformed = true;
    },
    flush,
    stop: () => {
      clearInterval(timer);
      flush();
    },
  };
}
