import { Command, Option } from 'commander';
import {
  DEFAULT_NAMESPACE,
  analyzeMesh,
  contentHash,
  deriveSnapshots,
  formatDiagnostic,
  formatRef,
  formatTimePoint,
  fqdn,
  getResource,
  kindFromName,
  listResources,
  storedDocument,
  type TimePoint,
  type VersionedSnapshot,
} from '@jetmesh/model';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withMeshBus } from '../mesh-bus.js';
import { renderResources, type OutputFormat, type StoredDocument } from '../render/resource-output.js';
import { renderRouteTable } from '../render/route-table.js';
import { describeReplayed, type ReplayedPoint } from '@jetmesh/replay';
import { replayToPoints } from '../replay/log-replay.js';
import { pointArgument } from '../replay/point-argument.js';

export interface AtOptions {
  /** `<SEQ|RFC3339|-2h>`. */
  readonly point: string;
  /** `get …`, `routes HOST`, `analyze`: the command to answer as of that point. */
  readonly command: readonly string[];
  readonly progress: boolean;
}

const replayed = async (point: TimePoint, io: CliIo, progress: boolean): Promise<ReplayedPoint> => {
  const [at] = await withMeshBus(io, (bus) => replayToPoints(bus, [point], { progress, stderr: io.stderr }));
  if (at === undefined) throw new Error('replay returned no state');
  printLines(io.stderr, describeReplayed(at));
  return at;
};

/** `get` as of the point: the same documents (storedDocument) and rendering as `jetmesh get`. */
const atGet = async (point: TimePoint, kindText: string, name: string | undefined, o: { namespace: string; allNamespaces?: boolean; output?: 'yaml' | 'json' }, io: CliIo, progress: boolean) => {
  const kind = kindFromName(kindText);
  if (kind === undefined) throw new CliError(ExitCode.rejected, [`unknown resource kind "${kindText}"`]);
  const { state } = await replayed(point, io, progress);
  const output: OutputFormat = o.output ?? 'table';
  let stored;
  if (name !== undefined) {
    const ref = { kind, namespace: o.namespace, name };
    const one = getResource(state, ref);
    if (one === undefined) throw new CliError(ExitCode.rejected, [`${formatRef(ref)} not found as of ${formatTimePoint(point)}`]);
    stored = [one];
  } else {
    stored = listResources(state, kind, o.allNamespaces === true ? undefined : o.namespace);
  }
  if (stored.length === 0 && output === 'table') {
    io.stderr.write(o.allNamespaces === true ? 'No resources found\n' : `No resources found in ${o.namespace} namespace.\n`);
    return;
  }
  const docs = stored.map((s) => storedDocument(s) as unknown as StoredDocument);
  io.stdout.write(await renderResources(docs, output, { allNamespaces: o.allNamespaces === true, single: name !== undefined }));
};

/** `routes` as of the point: pilot's derivation of the replayed state, rendered as `jetmesh routes`. */
const atRoutes = async (point: TimePoint, hostText: string, o: { namespace: string; output?: 'json' }, io: CliIo, progress: boolean) => {
  const host = fqdn(hostText, o.namespace);
  const { state } = await replayed(point, io, progress);
  const snapshot = deriveSnapshots(state).get(host);
  if (snapshot === undefined) {
    throw new CliError(ExitCode.rejected, [`no routing for ${host} as of ${formatTimePoint(point)}: no ServiceEntry or VirtualService defined it then`]);
  }
  // The version is the log position replayed to; pilot's stored one is the position it last wrote that host at.
  const versioned: VersionedSnapshot = { version: { config: state.configSeq, registry: state.registrySeq }, contentHash: contentHash(snapshot), snapshot };
  if (o.output === 'json') io.stdout.write(`${JSON.stringify(versioned, null, 2)}\n`);
  else printLines(io.stdout, renderRouteTable(versioned));
};

/** `analyze` as of the point: the model's analyzers over the replayed state, printed as `jetmesh analyze` prints them. */
const atAnalyze = async (point: TimePoint, o: { output?: 'json' }, io: CliIo, progress: boolean) => {
  const { state } = await replayed(point, io, progress);
  const diagnostics = analyzeMesh({ state });
  if (o.output === 'json') io.stdout.write(`${JSON.stringify(diagnostics, null, 2)}\n`);
  else if (diagnostics.length === 0) io.stdout.write(`✔ No validation issues found (configuration at change #${state.configSeq}).\n`);
  else printLines(io.stdout, diagnostics.map((d) => formatDiagnostic(d)));
};

/** `jetmesh at <point> get|routes|analyze …`: the answer as it was then, replayed from the log. */
export const runAt = async (opts: AtOptions, io: CliIo): Promise<void> => {
  const point = pointArgument(opts.point, 'point');
  const namespace = () => new Option('-n, --namespace <ns>', 'namespace of resources that name none').default(DEFAULT_NAMESPACE);
  const at = new Command('jetmesh at <point>')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  at.command('get')
    .description('stored resources as of the point (as `jetmesh get`)')
    .argument('<kind>', 'resource kind (VirtualService, virtualservices, vs, …)')
    .argument('[name]', 'one resource')
    .addOption(namespace())
    .option('-A, --all-namespaces', 'every namespace')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']))
    .action((kind: string, name: string | undefined, o: { namespace: string; allNamespaces?: boolean; output?: 'yaml' | 'json' }) => atGet(point, kind, name, o, io, opts.progress));
  at.command('routes')
    .description('the routing derived for a host as of the point (as `jetmesh routes`)')
    .argument('<host>', 'host; short names expand like Istio')
    .addOption(namespace())
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .action((host: string, o: { namespace: string; output?: 'json' }) => atRoutes(point, host, o, io, opts.progress));
  at.command('analyze')
    .description('the analyzers of `jetmesh analyze` over the configuration as of the point')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .action((o: { output?: 'json' }) => atAnalyze(point, o, io, opts.progress));
  await at.parseAsync([...opts.command], { from: 'user' });
};
