import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_NAMESPACE } from '@jetmesh/model';
import { CliError, ExitCode } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { runApply } from './commands/apply.js';
import { runDelete } from './commands/delete.js';
import { runGet } from './commands/get.js';
import { runRoutes } from './commands/routes.js';
import { runUp } from './up/index.js';

/** The command tree; each action only maps flags to a command module. */
export const buildProgram = (io: CliIo, setExitCode: (code: number) => void): Command => {
  const program = new Command('jetmesh')
    .description('Jetmesh: an Istio-compatible service mesh control plane, event-sourced on NATS JetStream')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const namespace = () => new Option('-n, --namespace <ns>', 'namespace of resources that name none').default(DEFAULT_NAMESPACE);

  program
    .command('apply')
    .description('validate Istio YAML and record it as one change (all documents or none)')
    .requiredOption('-f, --filename <file>', 'manifest file, or - for stdin')
    .addOption(namespace())
    .option('--reason <text>', 'why: recorded with the change')
    .option('--dry-run', 'show what would change; record nothing')
    .action(async (o: { filename: string; namespace: string; reason?: string; dryRun?: boolean }) =>
      runApply({ file: o.filename, namespace: o.namespace, ...(o.reason ? { reason: o.reason } : {}), dryRun: o.dryRun ?? false }, io),
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
    .action(async (kind: string | undefined, names: string[], o: { filename?: string; namespace: string; reason?: string; dryRun?: boolean }) =>
      runDelete(
        {
          ...(o.filename !== undefined ? { file: o.filename } : {}),
          ...(kind !== undefined ? { kind } : {}),
          names,
          namespace: o.namespace,
          ...(o.reason ? { reason: o.reason } : {}),
          dryRun: o.dryRun ?? false,
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
      runGet({ kind, ...(name !== undefined ? { name } : {}), namespace: o.namespace, allNamespaces: o.allNamespaces ?? false, output: o.output ?? 'table' }, io),
    );

  program
    .command('routes')
    .description('show the routing snapshot pilot derived for a host')
    .argument('<host>', 'host; short names expand like Istio (reviews → reviews.<ns>.svc.cluster.local)')
    .addOption(namespace())
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json']))
    .action(async (host: string, o: { namespace: string; output?: 'json' }) => runRoutes({ host, namespace: o.namespace, output: o.output ?? 'table' }, io));

  program
    .command('up')
    .description('run the whole mesh locally: nats-server (unless JETMESH_NATS_URL is set) and every service')
    .action(async () => setExitCode(await runUp({ cwd: io.cwd, env: io.env, stdout: io.stdout, stderr: io.stderr })));

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
