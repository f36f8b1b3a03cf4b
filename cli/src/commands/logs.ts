import { isLeft } from 'fp-ts/lib/Either.js';
import { Subjects } from '@jetmesh/bus';
import { decodeAccessLogBatch, formatInvalid } from '@jetmesh/model';
import { OPERATOR_DURATION_EXAMPLES, parseOperatorDuration } from '@jetmesh/runtime';
import { CliError, ExitCode } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { DEFAULT_LOGS_LISTEN } from '../command-defaults.js';
import { withMeshBus } from '../mesh-bus.js';
import { formatAccessLogLine, matchesAccessLogFilter, type AccessLogFilter } from '../render/access-log-line.js';

export interface LogsOptions extends AccessLogFilter {
  /** Until interrupted (Ctrl-C); otherwise for `listen`. */
  readonly follow: boolean;
  /** How long a `logs` without --follow listens (`5s`, `500ms`, `1m`). */
  readonly listen?: string;
  readonly output: 'text' | 'json';
}

const usage = (line: string): CliError => new CliError(ExitCode.usage, [line]);

function listenMsOf(opts: LogsOptions): number | undefined {
  if (opts.follow) {
    if (opts.listen !== undefined) throw usage('logs: --for and --follow exclude each other (--follow listens until Ctrl-C)');
    return undefined;
  }
  const text = opts.listen ?? DEFAULT_LOGS_LISTEN;
  const ms = parseOperatorDuration(text);
  if (ms === undefined || ms < 1) throw usage(`logs: --for ${JSON.stringify(text)}: expected a duration such as ${OPERATOR_DURATION_EXAMPLES}`);
  return ms;
}

const decodeBody = (body: () => unknown): ReturnType<typeof decodeAccessLogBatch> | undefined => {
  try {
    return decodeAccessLogBatch(body());
  } catch {
    return undefined;
  }
};

const isTty = (s: NodeJS.WritableStream): boolean => (s as { isTTY?: boolean }).isTTY === true;

/**
 * `jetmesh logs`: the proxies' access log lines from the bus (core NATS `mesh.accesslog.>`),
 * one line per request and reporter, filtered here by workload and namespace. Nothing stores
 * them, so there is no past to print: without --follow it listens for a while (--for, 5s) and
 * exits, like `kubectl logs` printing what there is; with --follow until interrupted.
 */
export const runLogs = async (opts: LogsOptions, io: CliIo): Promise<void> => {
  const listenMs = listenMsOf(opts);
  const seconds = listenMs === undefined ? '' : `${listenMs / 1000}s`;
  await withMeshBus(io, async (bus) => {
    let shown = 0;
    const warnedSubjects = new Set<string>();
    const onMessage = (subject: string, body: () => unknown): void => {
      const decoded = decodeBody(body);
      if (decoded === undefined || isLeft(decoded)) {
        // One warning per proxy, not one per batch.
        if (!warnedSubjects.has(subject)) {
          warnedSubjects.add(subject);
          const why = decoded === undefined ? 'not JSON' : decoded.left.slice(0, 3).map(formatInvalid).join('; ');
          io.stderr.write(`warning: ignored an access log message on ${subject}: ${why}\n`);
        }
        return;
      }
      const batch = decoded.right;
      const reporter = batch.workload;
      const reporterShown = (opts.workload === undefined || opts.workload === reporter.name) && (opts.namespace === undefined || opts.namespace === reporter.namespace);
      if (batch.dropped > 0 && (reporterShown || (opts.workload === undefined && opts.namespace === undefined))) {
        io.stderr.write(`warning: ${reporter.namespace}/${reporter.name} dropped ${batch.dropped} access log ${batch.dropped === 1 ? 'line' : 'lines'} (its buffer was full or NATS was away)\n`);
      }
      for (const r of batch.records) {
        if (!matchesAccessLogFilter(r, opts)) continue;
        shown += 1;
        io.stdout.write(opts.output === 'json' ? `${JSON.stringify(r)}\n` : `${formatAccessLogLine(r)}\n`);
      }
    };

    let finish!: (outcome: CliError | undefined) => void;
    const done = new Promise<CliError | undefined>((resolve) => (finish = resolve));
    const sub = bus.nc.subscribe(Subjects.accessLogAll, {
      callback: (err, msg) => {
        if (err === null) onMessage(msg.subject, () => msg.json());
      },
    });
    void sub.closed.then((e) => {
      if (!(e instanceof Error)) return;
      const who = bus.user === undefined ? 'this connection (no NATS user)' : `NATS user "${bus.user}"`;
      const denied = /permission/i.test(e.message);
      finish(new CliError(denied ? ExitCode.rejected : ExitCode.unreachable, [denied ? `${who} may not subscribe to "${Subjects.accessLogAll}" (see deploy/nats/README.md)` : `the access log subscription ended: ${e.message}`]));
    });
    void bus.nc.closed().then(() => finish(new CliError(ExitCode.unreachable, ['lost the connection to NATS'])));
    await bus.nc.flush();

    const onSignal = (): void => finish(undefined);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const timer = listenMs === undefined ? undefined : setTimeout(() => finish(undefined), listenMs);
    if (listenMs !== undefined && isTty(io.stderr)) io.stderr.write(`listening ${seconds} for access log lines (they are live, nothing keeps them; --follow to keep listening)\n`);
    try {
      const failed = await done;
      if (failed !== undefined) throw failed;
    } finally {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      sub.unsubscribe();
    }
    if (listenMs !== undefined && shown === 0) {
      io.stderr.write(`no access log lines in ${seconds}${opts.workload !== undefined || opts.namespace !== undefined ? ' matching the filter' : ''} (they are live: nothing keeps them; send traffic, or use --follow)\n`);
    }
  });
};
