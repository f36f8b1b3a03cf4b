import { Command, CommanderError, Option } from 'commander';
// The kinds' names alone: the whole model (every codec) costs every command ~0.1 s at start.
import { DEFAULT_NAMESPACE } from '@jetmesh/model/kinds';
import { CliError, ExitCode } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { DEFAULT_LOGS_LISTEN, DEFAULT_PROXY_STATUS_WAIT_MS, DEFAULT_STATUS_WAIT_MS, DEFAULT_TOP_INTERVAL_MS, DEFAULT_TOP_WAIT_MS } from './command-defaults.js';
import type { HistoryOptions } from './commands/history.js';
import type { TokenCreateOptions } from './commands/token.js';
import type { ProxyFlags } from './commands/proxy.js';

/**
 * The command tree; each action only maps flags to a command module, imported when that command
 * runs: loading all of them (NATS, replay, the console, jsdiff, up) made every command pay for
 * every other; `get` needs none of them.
 */
export const buildProgram = (io: CliIo, setExitCode: (code: number) => void): Command => {
  const program = new Command('jetmesh')
    .description('Jetmesh: an Istio-compatible service mesh control plane, event-sourced on NATS JetStream')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    // A flag after a subcommand (`history export --actor bob`) belongs to that subcommand.
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const namespace = () => new Option('-n, --namespace <ns>', 'namespace of resources that name none').default(DEFAULT_NAMESPACE);

  program
    .command('apply')
    .description('validate Istio YAML and record it as one change (all documents or none)')
    .requiredOption('-f, --filename <file>', 'manifest file, or - for stdin')
    .addOption(namespace())
    .option('--reason <text>', 'why: recorded with the change')
    .option('--dry-run', 'show what would change and what the analyzers find; record nothing')
    .option('--strict', 'refuse the change when the analyzers warn about it')
    .option('--expect-version <version>', 'the resourceVersion the resource must be at (lost-update protection)')
    .option('--request-id <id>', 'the same id on every retry of this change: a retry of a recorded change records nothing new')
    .action(async (o: { filename: string; namespace: string; reason?: string; dryRun?: boolean; strict?: boolean; expectVersion?: string; requestId?: string }) =>
      (await import('./commands/apply.js')).runApply(
        {
          file: o.filename,
          namespace: o.namespace,
          ...(o.reason ? { reason: o.reason } : {}),
          dryRun: o.dryRun ?? false,
          strict: o.strict ?? false,
          ...(o.expectVersion !== undefined ? { expectVersion: o.expectVersion } : {}),
          ...(o.requestId !== undefined ? { requestId: o.requestId } : {}),
        },
        io,
      ),
    );

  program
    .command('analyze')
    .description('istioctl analyze: check the live configuration, with the manifests laid over it, for mistakes Istio would not refuse')
    .option('-f, --filename <file...>', 'manifests to analyze as if applied (- for stdin)')
    .addOption(namespace())
    .option('--strict', 'exit 1 when there is any warning')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .action(async (o: { filename?: string[]; namespace: string; strict?: boolean; output?: 'json' }) =>
      setExitCode(await (await import('./commands/analyze.js')).runAnalyze({ files: o.filename ?? [], namespace: o.namespace, strict: o.strict ?? false, output: o.output ?? 'text' }, io)),
    );

  program
    .command('delete')
    .description('delete the resources of a manifest, or KIND NAME…, as one change')
    .argument('[kind]', 'resource kind (VirtualService, vs, …)')
    .argument('[names...]', 'resource names')
    .option('-f, --filename <file>', 'manifest file, or - for stdin')
    .addOption(namespace())
    .option('--reason <text>', 'why: recorded with the change')
    .option('--dry-run', 'show what would change; record nothing')
    .option('--request-id <id>', 'the same id on every retry of this change: a retry of a recorded change records nothing new')
    .action(async (kind: string | undefined, names: string[], o: { filename?: string; namespace: string; reason?: string; dryRun?: boolean; requestId?: string }) =>
      (await import('./commands/delete.js')).runDelete(
        {
          ...(o.filename !== undefined ? { file: o.filename } : {}),
          ...(kind !== undefined ? { kind } : {}),
          names,
          namespace: o.namespace,
          ...(o.reason ? { reason: o.reason } : {}),
          dryRun: o.dryRun ?? false,
          ...(o.requestId !== undefined ? { requestId: o.requestId } : {}),
        },
        io,
      ),
    );

  program
    .command('get')
    .description('show stored resources')
    .argument('<kind>', 'resource kind (VirtualService, virtualservices, vs, …)')
    .argument('[name]', 'one resource')
    .addOption(namespace())
    .option('-A, --all-namespaces', 'every namespace')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']))
    .action(async (kind: string, name: string | undefined, o: { namespace: string; allNamespaces?: boolean; output?: 'yaml' | 'json' }) =>
      (await import('./commands/get.js')).runGet({ kind, ...(name !== undefined ? { name } : {}), namespace: o.namespace, allNamespaces: o.allNamespaces ?? false, output: o.output ?? 'table' }, io),
    );

  program
    .command('routes')
    .description('show the routing snapshot pilot derived for a host')
    .argument('<host>', 'host; short names expand like Istio (reviews → reviews.<ns>.svc.cluster.local)')
    .addOption(namespace())
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .action(async (host: string, o: { namespace: string; output?: 'json' }) => (await import('./commands/routes.js')).runRoutes({ host, namespace: o.namespace, output: o.output ?? 'table' }, io));

  program
    .command('proxy-status')
    .description('every xDS client of a pilot replica and every sidecar: SYNCED, STALE, NACKED (with the error) or NOT SENT, its version beside the latest, sidecar certificate expiry')
    .argument('[node]', 'only this node id')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .option('--wait <ms>', 'how long to gather the replicas\' answers', String(DEFAULT_PROXY_STATUS_WAIT_MS))
    .action(async (node: string | undefined, o: { output?: 'json'; wait: string }) =>
      (await import('./commands/proxy-status.js')).runProxyStatus({ ...(node !== undefined ? { node } : {}), output: o.output ?? 'table', waitMs: Math.max(1, Number(o.wait) || DEFAULT_PROXY_STATUS_WAIT_MS) }, io),
    );

  // History, time travel, rollback and audit: replays of the log with the model's reducer (see src/replay/).
  const progress = () => new Option('--progress', 'show replay progress on stderr even when it is not a terminal');
  type HistoryFlags = { namespace?: string; since?: string; until?: string; actor?: string; progress?: boolean };
  const historyOptions = (resource: string | undefined, o: HistoryFlags): HistoryOptions => ({
    ...(resource !== undefined ? { resource } : {}),
    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    ...(o.since !== undefined ? { since: o.since } : {}),
    ...(o.until !== undefined ? { until: o.until } : {}),
    ...(o.actor !== undefined ? { actor: o.actor } : {}),
    progress: o.progress ?? false,
  });
  const historyFlags = (c: Command): Command =>
    c
      .argument('[resource]', 'only changes touching KIND or KIND/NAME (vs, vs/reviews-route)')
      .option('-n, --namespace <ns>', 'only changes touching this namespace (default: every namespace)')
      .option('--since <point>', 'from this change or time on: SEQ, RFC 3339 or -2h')
      .option('--until <point>', 'up to this change or time: SEQ, RFC 3339 or -2h')
      .option('--actor <actor>', 'only changes made by this actor')
      .addOption(progress());
  const history = historyFlags(program.command('history').description('who changed what, when and why: every change, oldest first'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .action(async (resource: string | undefined, o: HistoryFlags & { output?: 'json' }) => (await import('./commands/history.js')).runHistory({ ...historyOptions(resource, o), output: o.output ?? 'table' }, io));
  historyFlags(history.command('export').description('every change as one JSON object per line, for SIEM ingestion'))
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl']).default('jsonl'))
    .action(async (resource: string | undefined, o: HistoryFlags & { format: 'jsonl' }) => (await import('./commands/history.js')).runHistoryExport({ ...historyOptions(resource, o), format: o.format }, io));

  program
    .command('at')
    .description('get, routes or analyze as of a past point, replayed from the log: jetmesh at <SEQ|RFC3339|-2h> get|routes|analyze …')
    .argument('<point>', 'a change sequence (12), an RFC 3339 time or a relative time (-2h)')
    .argument('<command...>', 'get KIND [NAME] [-n NS|-A] [-o yaml|json] | routes HOST [-o json] | analyze [-o json]')
    .addOption(progress())
    // Everything after <point> is the inner command's own words (its -n, -o, even --help), passed on unparsed.
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (point: string, command: string[], o: { progress?: boolean }) => (await import('./commands/at.js')).runAt({ point, command, progress: o.progress ?? false }, io));

  // One diff command: `-f FILE` diffs a manifest against the live state, `--from/--to` two points of the log.
  program
    .command('diff')
    .description('what a manifest would change (-f FILE, unified diff against live), or differences between two points of the log (--from/--to)')
    .argument('[host]', 'only this host\'s routing and the resources it is derived from')
    .option('-f, --filename <file>', 'manifest to compare with the live configuration, or - for stdin; exit 1 when it differs')
    .option('--from <point>', 'SEQ, RFC 3339 or -2h')
    .option('--to <point>', 'SEQ, RFC 3339 or -2h (default: the end of the log)')
    .option('-n, --namespace <ns>', 'namespace short host names expand in', DEFAULT_NAMESPACE)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .addOption(progress())
    .action(async (host: string | undefined, o: { filename?: string; from?: string; to?: string; namespace: string; output?: 'json'; progress?: boolean }) => {
      if (o.filename !== undefined) {
        if (o.from !== undefined || o.to !== undefined || host !== undefined) throw new CliError(ExitCode.usage, ['diff: give either -f FILE or --from/--to [HOST], not both']);
        return setExitCode(await (await import('./commands/diff-file.js')).runDiffFile({ file: o.filename, namespace: o.namespace }, io));
      }
      if (o.from === undefined) throw new CliError(ExitCode.usage, ['diff: give -f FILE (a manifest against live) or --from <point> (two points of the log)']);
      return (await import('./commands/diff.js')).runHistoryDiff(
        { from: o.from, ...(o.to !== undefined ? { to: o.to } : {}), ...(host !== undefined ? { host } : {}), namespace: o.namespace, output: o.output ?? 'text', progress: o.progress ?? false },
        io,
      );
    });

  program
    .command('rollback')
    .description('restore the configuration of an earlier point as ONE new change (history is never rewritten)')
    .requiredOption('--to <point>', 'SEQ, RFC 3339 or -2h')
    .option('--only <KIND/NAME...>', 'restore only these resources')
    .addOption(namespace())
    .requiredOption('--reason <text>', 'why: recorded with the change')
    .option('--dry-run', 'show what would change; record nothing')
    .action(async (o: { to: string; only?: string[]; namespace: string; reason: string; dryRun?: boolean }) =>
      (await import('./commands/rollback.js')).runRollback({ to: o.to, only: o.only ?? [], namespace: o.namespace, reason: o.reason, dryRun: o.dryRun ?? false }, io),
    );

  const audit = program.command('audit').description('tamper evidence of the change log');
  audit
    .command('verify')
    .description('check the hash chain of every change; exit 1 naming the first break and every unrepaired fork')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .addOption(progress())
    .action(async (o: { output?: 'json'; progress?: boolean }) => (await import('./commands/audit-verify.js')).runAuditVerify({ output: o.output ?? 'text', progress: o.progress ?? false }, io));
  audit
    .command('repair')
    .description('re-chain ChangeSets a fork left out of the hash chain, as ONE new change (galley refuses writes until then)')
    .requiredOption('--reason <text>', 'why: recorded with the change')
    .option('--dry-run', 'show the forks; record nothing')
    .action(async (o: { reason: string; dryRun?: boolean }) => (await import('./commands/audit-repair.js')).runAuditRepair({ reason: o.reason, dryRun: o.dryRun ?? false }, io));

  // Citadel: workload tokens, the root of trust, and its audit trail.
  program
    .command('token')
    .description('bootstrap tokens for workloads, config tokens for galley')
    .command('create')
    .description('mint a workload bootstrap token (--namespace/--service-account) or a config token (--actor), printed alone on stdout')
    .option('--namespace <ns>', 'bootstrap token: the workload namespace')
    .option('--service-account <sa>', 'bootstrap token: the workload service account')
    .option('--actor <name>', 'config token: who holds it (recorded as the actor of its changes)')
    .option('--namespaces <list>', 'config token: namespaces it may act in, comma-separated; * = all')
    .option('--verbs <list>', 'config token: comma-separated subset of apply,delete,read')
    .option('--ttl <duration>', 'lifetime: 90s, 30m, 1h, 1d (default 1h bootstrap, 8h config)')
    .action(async (o: TokenCreateOptions) => (await import('./commands/token.js')).runTokenCreate(o, io));

  const ca = program.command('ca').description('the mesh root of trust');
  ca.command('root')
    .description('print every currently trusted root certificate (PEM) on stdout')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['pem', 'json']).default('pem'))
    .action(async (o: { output: 'pem' | 'json' }) => (await import('./commands/ca.js')).runCaRoot(o, io));
  ca.command('rotate')
    .description('add a new root, issue from it after a propagation delay, remove the old one after a grace period')
    .option('--reason <text>', 'recorded with each rotation step')
    .action(async (o: { reason?: string }) => (await import('./commands/ca.js')).runCaRotate(o, io));

  audit
    .command('certs')
    .description('certificates issued and denied, root rotations and tokens minted, oldest first')
    .option('--identity <id>', 'only events of this caller: spiffe://<td>/ns/<ns>/sa/<sa> or <ns>/<sa>')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .action(async (o: { identity?: string; output?: 'json' }) =>
      (await import('./commands/audit-certs.js')).runAuditCerts({ ...(o.identity !== undefined ? { identity: o.identity } : {}), output: o.output ?? 'table' }, io),
    );

  program
    .command('proxy')
    .description('run a sidecar beside a local app (or an ingress gateway with --gateway): mTLS, routing, policy, telemetry')
    .option('--service <name>', 'the service this workload backs (JETMESH_PROXY_SERVICE)')
    .option('-n, --namespace <ns>', 'its namespace (JETMESH_PROXY_NAMESPACE, default default)')
    .option('--service-account <sa>', 'its identity (default: the service name)')
    .option('--name <name>', 'the WorkloadEntry name it registers (default <service>[-<version>]-<port>)')
    .option('--labels <k=v,...>', 'workload labels, e.g. app=reviews,version=v2')
    .option('--port <port[,port]>', 'the service port callers address (a gateway: the ports it serves)')
    .option('--app-port <port>', 'where the local app listens')
    .option('--inbound-port <port>', 'mesh traffic in, mTLS (default 15006)')
    .option('--outbound-port <port>', "the app's traffic out: HTTP_PROXY=http://127.0.0.1:PORT (default 15001)")
    .option('--admin-port <port>', '/healthz /ready /stats /config_dump (default 15000)')
    .option('--address <ip>', 'where peers reach this proxy (default 127.0.0.1)')
    .option('--token <token>', 'CA bootstrap token (jetmesh token create)')
    .option('--gateway', 'serve the Gateways selecting these labels instead of a sidecar')
    .option('--state-dir <dir>', 'saved snapshots and certificate (default .jetmesh/proxies/<ns>.<name>)')
    .option('--credentials-dir <dir>', "a gateway's credentialName secrets: <dir>/<name>/tls.crt and tls.key")
    .option('--cert-ttl <duration>', 'certificate lifetime to ask for, e.g. 1h')
    .option('--trace-sampling <percent>', "percent of new traces sampled, 0-100 (JETMESH_PROXY_TRACE_SAMPLING, default 1 as Istio's); a caller's decision is honoured")
    .action(async (o: ProxyFlags) => setExitCode(await (await import('./commands/proxy.js')).runProxy(o, io)));

  program
    .command('proxy-config')
    .description("print a proxy's configuration: its snapshots with versions, certificate expiry, clusters")
    .argument('<workload>', 'the proxy\'s workload name')
    .addOption(namespace())
    .option('--admin-url <url>', 'the proxy admin URL (default: found under .jetmesh/proxies/)')
    .action(async (workload: string, o: { namespace: string; adminUrl?: string }) => (await import('./commands/proxy-config.js')).runProxyConfig({ workload, namespace: o.namespace, ...(o.adminUrl !== undefined ? { adminUrl: o.adminUrl } : {}) }, io));

  program
    .command('logs')
    .description(`the proxies' access log lines from the bus, one per request and reporter; live only (nothing keeps them): listens --for a while (default ${DEFAULT_LOGS_LISTEN}), or until Ctrl-C with --follow`)
    .option('--workload <name>', 'only requests this workload sent or received')
    .option('-n, --namespace <ns>', 'only requests from or to this namespace (default: every namespace)')
    .option('-f, --follow', 'keep listening until interrupted')
    .option('--for <duration>', `without --follow: how long to listen (10s, 500ms, 2m; default ${DEFAULT_LOGS_LISTEN})`)
    .addOption(new Option('-o, --output <format>', 'output format: one JSON record per line').choices(['json']))
    .action(async (o: { workload?: string; namespace?: string; follow?: boolean; for?: string; output?: 'json' }) =>
      (await import('./commands/logs.js')).runLogs(
        {
          ...(o.workload !== undefined ? { workload: o.workload } : {}),
          ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
          follow: o.follow ?? false,
          ...(o.for !== undefined ? { listen: o.for } : {}),
          output: o.output ?? 'text',
        },
        io,
      ),
    );

  program
    .command('top')
    .description('per destination service over the last minute: RPS, success rate (non-5xx), p50/p95/p99, merged from every telemetry replica')
    .option('-n, --namespace <ns>', 'only services of this namespace (default: every namespace)')
    .option('-w, --watch', 'ask again every --interval until interrupted')
    .option('--interval <ms>', 'with --watch: milliseconds between rounds', String(DEFAULT_TOP_INTERVAL_MS))
    .option('--wait <ms>', "how long to gather the replicas' answers", String(DEFAULT_TOP_WAIT_MS))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .action(async (o: { namespace?: string; watch?: boolean; interval: string; wait: string; output?: 'json' }) =>
      (await import('./commands/top.js')).runTop(
        {
          ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
          watch: o.watch ?? false,
          intervalMs: Math.max(100, Number(o.interval) || DEFAULT_TOP_INTERVAL_MS),
          waitMs: Math.max(1, Number(o.wait) || DEFAULT_TOP_WAIT_MS),
          output: o.output ?? 'table',
        },
        io,
      ),
    );

  program
    .command('dashboard')
    .description('print the web console\'s URL and open it (xdg-open, where there is one)')
    .option('--with-token', "sign the console in with the CLI's config token (put in the URL's #fragment, which no server sees)")
    .option('--no-open', 'only print the URL')
    .action(async (o: { withToken?: boolean; open: boolean }) => (await import('./commands/dashboard.js')).runDashboard({ withToken: o.withToken === true, open: o.open }, io));

  program
    .command('status')
    .description('the control plane at a glance: every replica (version, readiness, log position and lag), NATS and JetStream, each stream\'s replicas')
    .option('--wait <ms>', 'how long to gather answers from the replicas', String(DEFAULT_STATUS_WAIT_MS))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .action(async (o: { wait: string; output?: 'json' }) =>
      setExitCode(await (await import('./commands/status.js')).runStatus({ waitMs: Math.max(1, Number(o.wait) || DEFAULT_STATUS_WAIT_MS), output: o.output ?? 'table' }, io)),
    );

  program
    .command('up')
    .description('run the whole mesh locally: nats-server (unless JETMESH_NATS_URL is set) and every service')
    .option('--replicas <n>', 'processes per service, each on its own ports', (v) => Number(v), 1)
    .option('--nats-cluster <nodes>', 'a local NATS cluster of this many nodes, every stream and bucket replicated on each', (v) => Number(v), 0)
    .action(async (o: { replicas: number; natsCluster: number }) =>
      setExitCode(await (await import('./up/index.js')).runUp({ cwd: io.cwd, env: io.env, stdout: io.stdout, stderr: io.stderr, replicas: o.replicas, natsCluster: o.natsCluster })),
    );

  return program;
};

/** Runs the CLI; resolves the exit code. Expected failures print one line per problem, never a stack. */
export const runCli = async (argv: readonly string[], io: CliIo): Promise<number> => {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? ExitCode.ok : ExitCode.usage;
    }
    if (e instanceof CliError) {
      for (const line of e.lines) io.stderr.write(`error: ${line}\n`);
      return e.exitCode;
    }
    const err = e as Error & { code?: unknown };
    io.stderr.write(`error: ${err.message ?? String(e)}\n`);
    if (io.env.JETMESH_DEBUG) io.stderr.write(`${err.stack ?? ''}\n`);
    return err.code === 'UNAVAILABLE' ? ExitCode.unreachable : ExitCode.rejected;
  }
};
