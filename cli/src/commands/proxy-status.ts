import { Subjects } from '@jetmesh/bus';
import type { PilotProxyStatus, XdsTypeStatus } from '@jetmesh/model';
import { gatherPilotStatus, gatherSidecarStatus, type SidecarSyncRow } from '@jetmesh/replay';
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

/** Asks every pilot replica for its xDS streams and every sidecar for its snapshots, at once; each answers once, so gathering ends on a timer. */
const gather = (io: CliIo, waitMs: number): Promise<{ replies: PilotProxyStatus[]; sidecars: SidecarSyncRow[]; invalid: string[] }> =>
  withMeshBus(io, async (bus) => {
    const [pilots, sidecars] = await Promise.all([gatherPilotStatus(bus, waitMs), gatherSidecarStatus(bus, {}, waitMs)]);
    return { replies: pilots.replies, sidecars: sidecars.proxies, invalid: [...pilots.invalid, ...sidecars.invalid] };
  });

/** `in 23h 59m` / `expired 5m ago`, for a certificate's not-after. */
export const timeLeft = (notAfter: string, nowMs: number): string => {
  const ms = Date.parse(notAfter) - nowMs;
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const text = d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
  return ms >= 0 ? `in ${text}` : `expired ${text} ago`;
};

/** The sidecars' table: KV snapshot followers have no xDS stream, so they answer for themselves. */
const sidecarLines = (sidecars: readonly SidecarSyncRow[], nowMs: number): string[] => {
  const lines = renderTable(
    ['SIDECAR', 'SYNC', 'KEYS', 'CERTIFICATE EXPIRES'],
    sidecars.map((p) => [
      `${p.name}.${p.namespace}${p.gateway ? ' (gateway)' : ''}`,
      p.sync,
      `${p.keys.filter((k) => k.sync === 'SYNCED').length}/${p.keys.length} synced`,
      p.certificateNotAfter === undefined ? 'no certificate' : `${p.certificateNotAfter} (${timeLeft(p.certificateNotAfter, nowMs)})`,
    ]),
  );
  const problems = sidecars.flatMap((p) =>
    p.keys.flatMap((k) =>
      k.sync === 'NACKED'
        ? [`${p.name}.${p.namespace} ${k.key} refused revision ${k.refusedRevision ?? '?'}: ${k.refusedReason ?? 'no reason given'}`]
        : k.sync === 'STALE'
          ? [`${p.name}.${p.namespace} ${k.key} holds revision ${k.revision ?? 'none'}, KV has ${k.kvRevision ?? 'none'}`]
          : [],
    ),
  );
  return problems.length > 0 ? [...lines, '', ...problems] : lines;
};

const cell = (t: XdsTypeStatus): string => {
  const status = t.status === 'NOT_SENT' ? 'NOT SENT' : t.status;
  if (t.acked === undefined) return t.latest !== undefined && t.status !== 'NOT_SENT' ? `${status} (latest ${t.latest})` : status;
  return t.latest !== undefined && t.latest !== t.acked ? `${status} ${t.acked} (latest ${t.latest})` : `${status} ${t.acked}`;
};

/** `jetmesh proxy-status`: every connected xDS client, per replica, with its per-type sync state. */
export const runProxyStatus = async (opts: ProxyStatusOptions, io: CliIo): Promise<void> => {
  const { replies, sidecars: allSidecars, invalid } = await gather(io, opts.waitMs);
  for (const reason of invalid) io.stderr.write(`warning: ignored a proxy-status reply: ${reason}\n`);
  const sidecars = allSidecars.filter((p) => opts.node === undefined || opts.node === p.name || opts.node === `${p.name}.${p.namespace}`);
  const noPilot = `no pilot answered on ${Subjects.pilotStatus} within ${opts.waitMs} ms: is pilot running? (npx jetmesh up, or set JETMESH_NATS_URL)`;
  if (replies.length === 0 && (sidecars.length === 0 || opts.output === 'json')) throw new CliError(ExitCode.unreachable, [noPilot]);
  if (replies.length === 0) {
    io.stderr.write(`warning: ${noPilot}\n`);
    printLines(io.stdout, sidecarLines(sidecars, Date.now()));
    return;
  }
  replies.sort((a, b) => (a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0));
  const rows = replies.flatMap((r) => r.streams.filter((s) => opts.node === undefined || s.node === opts.node).map((s) => ({ replica: r.replica, stream: s })));
  if (opts.output === 'json') {
    io.stdout.write(JSON.stringify(replies.map((r) => ({ ...r, streams: r.streams.filter((s) => opts.node === undefined || s.node === opts.node) })), null, 2) + '\n');
    return;
  }
  for (const r of replies) if (r.omitted !== undefined) io.stderr.write(`warning: ${r.replica} left out ${r.omitted} streams (reply size limit)\n`);
  const sidecarPart = sidecars.length > 0 ? ['', ...sidecarLines(sidecars, Date.now())] : [];
  if (rows.length === 0) {
    const what = opts.node === undefined ? 'no connected xDS clients' : `no xDS stream of node ${opts.node}`;
    io.stdout.write(`${what} (${replies.length} pilot ${replies.length === 1 ? 'replica' : 'replicas'} answered: ${replies.map((r) => r.replica).join(', ')})\n`);
    printLines(io.stdout, sidecarPart);
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
  printLines(io.stdout, sidecarPart);
};
