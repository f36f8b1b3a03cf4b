import { isLeft, left } from 'fp-ts/lib/Either.js';
import { gatherReplies, Subjects, type GatheredReplies } from '@jetmesh/bus';
import { decodePilotProxyStatus, formatInvalid, type PilotProxyStatus, type XdsTypeStatus } from '@jetmesh/model';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withMeshBus } from '../mesh-bus.js';
import { renderTable } from '../render/text-table.js';

export interface ProxyStatusOptions {
  /** Only streams of this node id. */
  readonly node?: string;
  readonly output: 'table' | 'json';
  /** How long to gather answers: every pilot replica answers once. */
  readonly waitMs: number;
}

export const DEFAULT_PROXY_STATUS_WAIT_MS = 300;

/** Asks every pilot replica for its xDS streams; each answers once, so gathering ends on a timer. */
const gather = (io: CliIo, waitMs: number): Promise<GatheredReplies<PilotProxyStatus>> =>
  withMeshBus(io, (bus) =>
    gatherReplies(bus, Subjects.pilotStatus, '', waitMs, (reply) => {
      const decoded = decodePilotProxyStatus(reply);
      return isLeft(decoded) ? left(decoded.left.map(formatInvalid).join('; ')) : decoded;
    }),
  );

const cell = (t: XdsTypeStatus): string => {
  const status = t.status === 'NOT_SENT' ? 'NOT SENT' : t.status;
  if (t.acked === undefined) return t.latest !== undefined && t.status !== 'NOT_SENT' ? `${status} (latest ${t.latest})` : status;
  return t.latest !== undefined && t.latest !== t.acked ? `${status} ${t.acked} (latest ${t.latest})` : `${status} ${t.acked}`;
};

/** `jetmesh proxy-status`: every connected xDS client, per replica, with its per-type sync state. */
export const runProxyStatus = async (opts: ProxyStatusOptions, io: CliIo): Promise<void> => {
  const { replies, invalid } = await gather(io, opts.waitMs);
  for (const reason of invalid) io.stderr.write(`warning: ignored a proxy-status reply: ${reason}\n`);
  if (replies.length === 0) {
    throw new CliError(ExitCode.unreachable, [
      `no pilot answered on ${Subjects.pilotStatus} within ${opts.waitMs} ms: is pilot running? (npx jetmesh up, or set JETMESH_NATS_URL)`,
    ]);
  }
  replies.sort((a, b) => (a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0));
  const rows = replies.flatMap((r) => r.streams.filter((s) => opts.node === undefined || s.node === opts.node).map((s) => ({ replica: r.replica, stream: s })));
  if (opts.output === 'json') {
    io.stdout.write(JSON.stringify(replies.map((r) => ({ ...r, streams: r.streams.filter((s) => opts.node === undefined || s.node === opts.node) })), null, 2) + '\n');
    return;
  }
  for (const r of replies) if (r.omitted !== undefined) io.stderr.write(`warning: ${r.replica} left out ${r.omitted} streams (reply size limit)\n`);
  if (rows.length === 0) {
    const what = opts.node === undefined ? 'no connected proxies' : `no stream of node ${opts.node}`;
    io.stdout.write(`${what} (${replies.length} pilot ${replies.length === 1 ? 'replica' : 'replicas'} answered: ${replies.map((r) => r.replica).join(', ')})\n`);
    return;
  }
  const types = ['LDS', 'RDS', 'CDS', 'EDS'] as const;
  const byType = (s: (typeof rows)[number]['stream'], type: (typeof types)[number]) => s.types.find((t) => t.type === type);
  printLines(
    io.stdout,
    renderTable(
      ['NAME', 'PILOT', 'PROTOCOL', ...types],
      rows.map(({ replica, stream }) => [stream.node, replica, stream.protocol, ...types.map((type) => { const t = byType(stream, type); return t === undefined ? 'NOT SENT' : cell(t); })]),
    ),
  );
  const rejections = rows.flatMap(({ stream }) =>
    types.flatMap((type) => {
      const t = byType(stream, type);
      return t?.status === 'NACKED' ? [`${stream.node} ${type} rejected ${t.rejected ?? 'a response'}: ${t.error ?? 'no error detail'}`] : [];
    }),
  );
  if (rejections.length > 0) printLines(io.stdout, ['', ...rejections]);
};
