import { Subjects, type Bus } from '@jetmesh/bus';
import { mergeTopShares, topRows, type TopQuery, type TopRow, type TopShare } from '@jetmesh/model';
import { gatherTopShares } from '@jetmesh/replay';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withMeshBus } from '../mesh-bus.js';
import { renderTable } from '../render/text-table.js';

export interface TopOptions {
  /** Only services of this namespace (`destination_service_namespace`); every namespace without it. */
  readonly namespace?: string;
  /** Ask again every `intervalMs` until interrupted. */
  readonly watch: boolean;
  readonly intervalMs: number;
  /** How long to gather answers: every telemetry replica answers once. */
  readonly waitMs: number;
  readonly output: 'table' | 'json';
}

const number = (n: number): string => (!Number.isFinite(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const ms = (n: number): string => (Number.isFinite(n) ? `${number(n)}ms` : '-');
const percent = (n: number): string => (Number.isFinite(n) ? `${(n * 100).toFixed(2)}%` : '-');

const table = (rows: readonly TopRow[]): string[] =>
  renderTable(
    ['NAMESPACE', 'SERVICE', 'RPS', 'SUCCESS', 'P50', 'P95', 'P99', 'REQUESTS'],
    rows.map((r) => [r.namespace, r.service, number(r.rps), percent(r.successRate), ms(r.p50Ms), ms(r.p95Ms), ms(r.p99Ms), String(r.requests)]),
  );

const replicasLine = (shares: readonly TopShare[]): string => `${shares.length} telemetry ${shares.length === 1 ? 'replica' : 'replicas'}: ${shares.map((s) => s.replica).sort().join(', ')}`;

/** One round: ask, merge, print. */
async function showOnce(bus: Bus, opts: TopOptions, io: CliIo): Promise<void> {
  const query: TopQuery = opts.namespace === undefined ? {} : { namespace: opts.namespace };
  const { shares, invalid } = await gatherTopShares(bus, query, opts.waitMs);
  for (const reason of invalid) io.stderr.write(`warning: ignored a top reply: ${reason}\n`);
  if (shares.length === 0) {
    throw new CliError(ExitCode.unreachable, [`no telemetry replica answered on ${Subjects.telemetryTop} within ${opts.waitMs} ms: is telemetry running? (npx jetmesh up, or set JETMESH_NATS_URL)`]);
  }
  const windowSeconds = Math.max(...shares.map((s) => s.windowSeconds));
  const rows = topRows(mergeTopShares(shares), windowSeconds);
  for (const s of shares) if (s.omitted !== undefined) io.stderr.write(`warning: ${s.replica} left out ${s.omitted} services (reply size limit)\n`);
  if (opts.output === 'json') {
    // NaN (no request to take a quantile of) has no JSON form: null.
    io.stdout.write(`${JSON.stringify({ windowSeconds, replicas: shares.map((s) => s.replica).sort(), rows }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
    return;
  }
  if (rows.length === 0) {
    const where = opts.namespace === undefined ? '' : ` in namespace ${opts.namespace}`;
    io.stdout.write(`no requests${where} in the last ${windowSeconds}s (${replicasLine(shares)})\n`);
    return;
  }
  printLines(io.stdout, table(rows));
  io.stderr.write(`last ${windowSeconds}s, ${replicasLine(shares)}\n`);
}

const isTty = (s: NodeJS.WritableStream): boolean => (s as { isTTY?: boolean }).isTTY === true;

/**
 * `jetmesh top`: per destination service over the last minute, RPS, success rate (non-5xx) and
 * p50/p95/p99 (PromQL's histogram_quantile over Istio's buckets), from every telemetry replica's
 * answer on the bus, merged. With --watch it asks again every interval until interrupted.
 */
export const runTop = async (opts: TopOptions, io: CliIo): Promise<void> =>
  withMeshBus(io, async (bus) => {
    if (!opts.watch) return showOnce(bus, opts, io);
    let stopped = false;
    let wake: () => void = () => {};
    const onSignal = (): void => {
      stopped = true;
      wake();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      while (!stopped) {
        // A terminal is redrawn in place, like `watch`; a pipe gets one table after another.
        io.stdout.write(isTty(io.stdout) ? '\x1b[H\x1b[2J' : '\n');
        await showOnce(bus, opts, io);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, opts.intervalMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
