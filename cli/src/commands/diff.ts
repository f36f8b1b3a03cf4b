import {
  deriveSnapshots,
  diffConfig,
  diffRouting,
  formatRef,
  fqdn,
  resourceKey,
  type HostDiff,
  type ResourceDiff,
  type ResourceKind,
  type RoutingSnapshot,
  type TimePoint,
  type ValueChange,
} from '@jetmesh/model';
import { type CliIo, printLines } from '../cli-io.js';
import { withMeshBus } from '../mesh-bus.js';
import { describeReplayed, type ReplayedPoint } from '@jetmesh/replay';
import { replayToPoints } from '../replay/log-replay.js';
import { pointArgument } from '../replay/point-argument.js';

export interface HistoryDiffOptions {
  readonly from: string;
  /** Default: the end of the log. */
  readonly to?: string;
  /** Only this host's routing, and the resources it is derived from. */
  readonly host?: string;
  readonly namespace: string;
  readonly output: 'text' | 'json';
  readonly progress: boolean;
}

const VALUE_CHARS = 60;

const value = (v: unknown, present: boolean): string => {
  if (!present) return '(none)';
  const text = JSON.stringify(v) ?? 'null';
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
};

const fieldLines = (fields: readonly ValueChange[]): string[] =>
  fields.map((f) => `      ${f.path}: ${value(f.before, 'before' in f)} → ${value(f.after, 'after' in f)}`);

const mark = { added: '+', removed: '-', changed: '~' } as const;

const configLines = (d: ResourceDiff): string[] => {
  const versions = d.change === 'changed' ? ` (#${d.fromVersion} → #${d.toVersion})` : d.change === 'added' ? ` (#${d.toVersion})` : ` (was #${d.fromVersion})`;
  return [`  ${mark[d.change]} ${formatRef(d.ref)}${versions}`, ...(d.change === 'changed' ? fieldLines(d.fields) : [])];
};

const hostLines = (d: HostDiff): string[] => [`  ${mark[d.change]} ${d.host}`, ...(d.change === 'changed' ? fieldLines(d.fields) : [])];

/** Resources a host's snapshot names: its ServiceEntry, VirtualService, DestinationRule and WorkloadEntries. */
const feedingKeys = (s: RoutingSnapshot | undefined): string[] => {
  if (s === undefined) return [];
  const key = (kind: ResourceKind, nsName: string | undefined): string[] => {
    const [namespace, name] = (nsName ?? '').split('/');
    return namespace && name ? [resourceKey({ kind, namespace, name })] : [];
  };
  return [
    ...key('ServiceEntry', s.sources.serviceEntry),
    ...key('VirtualService', s.sources.virtualService),
    ...key('DestinationRule', s.sources.destinationRule),
    ...s.endpoints.flatMap((e) => (e.workload.startsWith('WorkloadEntry ') ? key('WorkloadEntry', e.workload.slice('WorkloadEntry '.length)) : [])),
  ];
};

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * `jetmesh diff --from A --to B [HOST]`: what changed in the configuration and in the derived
 * routing between two points of the log. (`jetmesh diff -f FILE` compares a manifest with now.)
 */
export const runHistoryDiff = async (opts: HistoryDiffOptions, io: CliIo): Promise<void> => {
  const points: Array<TimePoint | undefined> = [pointArgument(opts.from, 'from'), opts.to === undefined ? undefined : pointArgument(opts.to, 'to')];
  const [from, to] = (await withMeshBus(io, (bus) => replayToPoints(bus, points, { progress: opts.progress, stderr: io.stderr }))) as [ReplayedPoint, ReplayedPoint];
  const [fromRoutes, toRoutes] = [deriveSnapshots(from.state), deriveSnapshots(to.state)];
  const host = opts.host === undefined ? undefined : fqdn(opts.host, opts.namespace);
  let routing = diffRouting(fromRoutes, toRoutes);
  let config = diffConfig(from.state, to.state);
  if (host !== undefined) {
    routing = routing.filter((d) => d.host === host);
    const feeding = new Set([...feedingKeys(fromRoutes.get(host)), ...feedingKeys(toRoutes.get(host))]);
    config = config.filter((d) => feeding.has(resourceKey(d.ref)));
  }
  if (opts.output === 'json') {
    const side = (r: ReplayedPoint) => ({ point: r.point ?? null, lastChange: r.lastChange ?? null, unknownWorkloads: r.unknownWorkloads });
    io.stdout.write(`${JSON.stringify({ from: side(from), to: side(to), ...(host !== undefined ? { host } : {}), config, routing }, null, 2)}\n`);
    return;
  }
  printLines(io.stderr, [...describeReplayed(from).map((l) => l.replace('# as of', '# from: as of')), ...describeReplayed(to).map((l) => l.replace('# as of', '# to:   as of'))]);
  if (config.length === 0 && routing.length === 0) {
    io.stdout.write(`No differences${host !== undefined ? ` for ${host}` : ''}.\n`);
    return;
  }
  printLines(io.stdout, [
    `Configuration (${plural(config.length, 'resource', 'resources')}):`,
    ...config.flatMap(configLines),
    `Routing (${plural(routing.length, 'host', 'hosts')}):`,
    ...routing.flatMap(hostLines),
  ]);
};
