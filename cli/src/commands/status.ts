import { Buckets, bucketStream, decodeServiceStatus, gatherReplies, Streams, Subjects, type Bus, type ServiceStatus } from '@jetmesh/bus';
import { ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withMeshBus } from '../mesh-bus.js';
import { renderTable } from '../render/text-table.js';

export interface StatusOptions {
  /** How long to gather answers: every replica answers once. */
  readonly waitMs: number;
  readonly output: 'table' | 'json';
}

/** The streams the operator's NATS user may ask about (deploy/nats/: never mesh_ca). */
export const STATUS_STREAMS: readonly string[] = [Streams.config, Streams.registry, Streams.audit, bucketStream(Buckets.snapshots), bucketStream(Buckets.trust)];

/** One copy of a stream other than the leader's, as the leader reports it. */
export interface StreamPeer {
  readonly name: string;
  readonly current: boolean;
  readonly offline: boolean;
  /** Operations it is behind the leader, when the server says. */
  readonly lag?: number;
  /** How long ago the leader last heard from it, when the server says. */
  readonly lastSeenMs?: number;
}

export type StreamView =
  | { readonly name: string; readonly found: false; readonly error: string }
  | {
      readonly name: string;
      readonly found: true;
      readonly wantedReplicas: number;
      readonly messages: number;
      readonly lastSeq: number;
      /** Undefined on a single server, or while a cluster elects one. */
      readonly leader: string | undefined;
      readonly clustered: boolean;
      readonly peers: readonly StreamPeer[];
    };

export interface NatsView {
  readonly server: string;
  readonly version: string;
  readonly cluster: string | undefined;
  /** Client URLs of the cluster the server gossips (itself included); undefined when it advertises none (no_advertise). */
  readonly knownServers: number | undefined;
  readonly jetstream:
    | { readonly ok: true; readonly streams: number; readonly consumers: number; readonly storageBytes: number; readonly memoryBytes: number; readonly apiRequests: number; readonly apiErrors: number }
    | { readonly ok: false; readonly error: string };
}

export interface ReplicaView extends ServiceStatus {
  /** Messages stored in each followed stream past this replica's position; undefined when the stream is unknown. */
  readonly lag: Readonly<Record<string, number | undefined>>;
}

export interface StatusView {
  readonly replicas: readonly ReplicaView[];
  readonly nats: NatsView;
  readonly streams: readonly StreamView[];
  /** Each thing that is not as it should be, one line each; empty when healthy. */
  readonly problems: readonly string[];
}

const serviceOrder = ['galley', 'pilot', 'citadel', 'telemetry', 'console'];
const orderOf = (service: string): number => {
  const i = serviceOrder.indexOf(service);
  return i === -1 ? serviceOrder.length : i;
};

/**
 * Pure: the replies, the streams and the server put together, with each replica's lag (the
 * stream's last sequence past its position) and every problem found.
 */
export function statusView(statuses: readonly ServiceStatus[], nats: NatsView, streams: readonly StreamView[]): StatusView {
  const lastSeq = new Map(streams.flatMap((s) => (s.found ? [[s.name, s.lastSeq] as const] : [])));
  const replicas = [...statuses]
    .sort((a, b) => orderOf(a.service) - orderOf(b.service) || a.service.localeCompare(b.service) || a.replica.localeCompare(b.replica))
    .map((s) => ({
      ...s,
      lag: Object.fromEntries(Object.entries(s.positions).map(([stream, position]) => {
        const last = lastSeq.get(stream);
        // Stream info is read before the replicas are asked: a position past it is a write since, not a negative lag.
        return [stream, last === undefined ? undefined : Math.max(0, last - position)];
      })),
    }));
  const problems: string[] = [];
  if (replicas.length === 0) problems.push(`no service answered on ${Subjects.serviceStatus}: is the control plane running?`);
  for (const r of replicas) if (!r.ready) problems.push(`${r.service} ${r.replica} is not ready: ${r.reason ?? 'no reason given'}`);
  if (!nats.jetstream.ok) problems.push(`JetStream is not available: ${nats.jetstream.error}`);
  const wanted = Math.max(0, ...streams.map((s) => (s.found ? s.wantedReplicas : 0)));
  if (nats.cluster !== undefined && nats.knownServers !== undefined && nats.knownServers < wanted) {
    problems.push(`NATS cluster ${nats.cluster} lists ${nats.knownServers} servers, fewer than the ${wanted} replicas its streams keep`);
  }
  for (const s of streams) {
    if (!s.found) {
      problems.push(`stream ${s.name}: ${s.error}`);
      continue;
    }
    if (s.clustered && s.leader === undefined) problems.push(`stream ${s.name} has no leader`);
    const copies = (s.leader === undefined ? 0 : 1) + s.peers.filter((p) => !p.offline).length;
    if (s.clustered && copies < s.wantedReplicas) problems.push(`stream ${s.name} has ${copies} of ${s.wantedReplicas} replicas online`);
    for (const p of s.peers) {
      if (p.offline) problems.push(`stream ${s.name}: replica on ${p.name} is offline`);
      else if (!p.current) problems.push(`stream ${s.name}: replica on ${p.name} is not current${p.lag === undefined ? '' : ` (${p.lag} behind)`}`);
    }
  }
  return { replicas, nats, streams, problems };
}

const bytes = (n: number): string => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

const positionCell = (r: ReplicaView): string => {
  const streams = Object.keys(r.positions).sort();
  if (streams.length === 0) return '-';
  return streams.map((s) => `${s} ${r.positions[s]} (lag ${r.lag[s] ?? '?'})`).join(', ');
};

const inSyncCell = (s: Extract<StreamView, { found: true }>): string => {
  const current = (s.leader === undefined ? 0 : 1) + s.peers.filter((p) => p.current && !p.offline).length;
  return s.clustered ? `${current}/${s.wantedReplicas}` : 'single server';
};

const peerCell = (p: StreamPeer): string => {
  const seen = p.current || p.lastSeenMs === undefined ? '' : `, seen ${Math.round(p.lastSeenMs / 1000)}s ago`;
  return `${p.name} ${p.offline ? 'offline' : p.current ? 'current' : `behind${p.lag === undefined ? '' : ` ${p.lag}`}`}${seen}`;
};

/** Pure: the view as the lines `jetmesh status` prints. */
export function renderStatus(view: StatusView): string[] {
  const byService = new Map<string, ReplicaView[]>();
  for (const r of view.replicas) byService.set(r.service, [...(byService.get(r.service) ?? []), r]);
  const summary = [...byService].map(([service, rs]) => `${service} ${rs.filter((r) => r.ready).length}/${rs.length} ready`).join(', ');
  const { nats } = view;
  const js = nats.jetstream;
  return [
    `control plane: ${summary === '' ? 'no replica answered' : summary}`,
    ...renderTable(
      ['SERVICE', 'REPLICA', 'VERSION', 'READY', 'PID', 'HOST', 'NATS', 'LOG POSITION'],
      view.replicas.map((r) => [r.service, r.replica, r.version, r.ready ? 'yes' : `no: ${r.reason ?? '?'}`, String(r.pid), r.host, r.natsServer ?? '-', positionCell(r)]),
    ),
    '',
    `NATS: connected to ${nats.server} (nats-server ${nats.version})${nats.cluster === undefined ? ', single server' : `, cluster ${nats.cluster}${nats.knownServers === undefined ? '' : ` of ${nats.knownServers} servers`}`}`,
    js.ok
      ? `JetStream: ${js.streams} streams, ${js.consumers} consumers, ${bytes(js.storageBytes)} stored, ${bytes(js.memoryBytes)} in memory; API ${js.apiRequests} requests, ${js.apiErrors} errors`
      : `JetStream: unavailable (${js.error})`,
    '',
    ...renderTable(
      ['STREAM', 'REPLICAS', 'LEADER', 'IN SYNC', 'MESSAGES', 'LAST SEQ', 'PEERS'],
      view.streams.map((s) =>
        s.found
          ? [s.name, String(s.wantedReplicas), s.leader ?? '-', inSyncCell(s), String(s.messages), String(s.lastSeq), s.peers.length === 0 ? '-' : s.peers.map(peerCell).join(', ')]
          : [s.name, '-', '-', '-', '-', '-', s.error],
      ),
    ),
  ];
}

async function readStream(bus: Bus, name: string): Promise<StreamView> {
  try {
    const info = await bus.jsm.streams.info(name);
    const cluster = info.cluster;
    return {
      name,
      found: true,
      wantedReplicas: info.config.num_replicas,
      messages: info.state.messages,
      lastSeq: info.state.last_seq,
      leader: cluster?.leader || undefined,
      // A single server reports no cluster, or one without a raft group.
      clustered: cluster?.name !== undefined || info.config.num_replicas > 1,
      peers: (cluster?.replicas ?? []).map((p) => ({
        name: p.name,
        current: p.current,
        offline: p.offline === true,
        ...(typeof p.lag === 'number' ? { lag: p.lag } : {}),
        // `active` is nanoseconds since the leader heard from the peer; 0 when it does not know.
        ...(typeof p.active === 'number' && p.active > 0 ? { lastSeenMs: Math.round(p.active / 1e6) } : {}),
      })),
    };
  } catch (err) {
    return { name, found: false, error: (err as Error).message };
  }
}

async function readNats(bus: Bus): Promise<NatsView> {
  const info = bus.nc.info;
  let jetstream: NatsView['jetstream'];
  try {
    const account = await bus.jsm.getAccountInfo();
    jetstream = { ok: true, streams: account.streams, consumers: account.consumers, storageBytes: account.storage, memoryBytes: account.memory, apiRequests: account.api.total, apiErrors: account.api.errors };
  } catch (err) {
    jetstream = { ok: false, error: (err as Error).message };
  }
  return {
    server: info?.server_name ?? '?',
    version: info?.version ?? '?',
    cluster: info?.cluster,
    knownServers: info?.connect_urls === undefined || info.connect_urls.length === 0 ? undefined : info.connect_urls.length,
    jetstream,
  };
}

/** Asks everything at once: the streams first, so a replica's position is never compared with an older last sequence. */
export async function gatherStatus(bus: Bus, waitMs: number): Promise<{ view: StatusView; invalid: readonly string[] }> {
  const [streams, nats] = await Promise.all([Promise.all(STATUS_STREAMS.map((name) => readStream(bus, name))), readNats(bus)]);
  const { replies, invalid } = await gatherReplies(bus, Subjects.serviceStatus, '', waitMs, decodeServiceStatus);
  return { view: statusView(replies, nats, streams), invalid };
}

/**
 * `jetmesh status`: every replica of every service (version, readiness, log position and lag,
 * from its answer on the bus), the NATS server and JetStream account, and each stream's
 * replicas. Exit 1 when anything is unhealthy, each problem on stderr.
 */
export const runStatus = async (opts: StatusOptions, io: CliIo): Promise<number> =>
  withMeshBus(io, async (bus) => {
    const { view, invalid } = await gatherStatus(bus, opts.waitMs);
    for (const reason of invalid) io.stderr.write(`warning: ignored a status reply: ${reason}\n`);
    if (opts.output === 'json') io.stdout.write(`${JSON.stringify(view)}\n`);
    else printLines(io.stdout, renderStatus(view));
    for (const problem of view.problems) io.stderr.write(`problem: ${problem}\n`);
    return view.problems.length === 0 ? ExitCode.ok : ExitCode.rejected;
  });
