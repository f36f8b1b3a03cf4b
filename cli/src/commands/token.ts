import { CliError, ExitCode } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { configVerbs } from '@jetmesh/model';
import { parseOperatorDuration } from '@jetmesh/runtime';
import { withCitadelAdmin } from '../citadel-api.js';

export interface TokenCreateOptions {
  /** Bootstrap token: the workload identity. */
  readonly namespace?: string;
  readonly serviceAccount?: string;
  /** Config token: its holder, and what it may do where. */
  readonly actor?: string;
  readonly namespaces?: string;
  readonly verbs?: string;
  /** "1h", "30m", "90s", "1d". */
  readonly ttl?: string;
}

const usage = (line: string): CliError => new CliError(ExitCode.usage, [line]);

/** Whole seconds: what citadel's token API takes. */
function ttlSecondsOf(ttl: string): number {
  const ms = parseOperatorDuration(ttl);
  if (ms === undefined || ms < 1000 || ms % 1000 !== 0) throw usage(`--ttl ${JSON.stringify(ttl)}: expected a duration in whole seconds, such as 90s, 30m, 1h or 1d`);
  return ms / 1000;
}

/**
 * `jetmesh token create`: a bootstrap token for one workload identity (--namespace/--service-account)
 * or a config token for galley (--actor, --namespaces, --verbs); the token alone on stdout.
 */
export const runTokenCreate = async (opts: TokenCreateOptions, io: CliIo): Promise<void> => {
  const workload = opts.namespace !== undefined || opts.serviceAccount !== undefined;
  if (opts.actor !== undefined && workload) throw usage('--actor (a config token) cannot be combined with --namespace/--service-account (a bootstrap token)');
  if (opts.actor !== undefined) return createConfigToken({ ...opts, actor: opts.actor }, io);
  if (opts.namespaces !== undefined || opts.verbs !== undefined) throw usage('--namespaces and --verbs belong to a config token: give --actor');
  if (opts.namespace === undefined || opts.serviceAccount === undefined) {
    throw usage('give --namespace and --service-account (a workload bootstrap token) or --actor (a config token)');
  }
  const ttlSeconds = ttlSecondsOf(opts.ttl ?? '1h');
  const { namespace, serviceAccount } = opts;
  const minted = await withCitadelAdmin(io, (admin) => admin.createToken({ namespace, serviceAccount, ttlSeconds }));
  io.stdout.write(`${minted.token}\n`);
  io.stderr.write(`token ${minted.tokenId} for ${minted.identity}, expires ${minted.expiresAt}\n`);
};

const listOf = (flag: string, text: string | undefined): string[] => {
  const items = (text ?? '').split(',').map((x) => x.trim());
  if (text === undefined || items.some((x) => x === '')) throw usage(`${flag} is required with --actor: a comma-separated list without empty entries`);
  return items;
};

async function createConfigToken(opts: TokenCreateOptions & { actor: string }, io: CliIo): Promise<void> {
  const namespaces = listOf('--namespaces', opts.namespaces);
  const verbs = listOf('--verbs', opts.verbs);
  const unknown = verbs.filter((v) => !(configVerbs as readonly string[]).includes(v));
  if (unknown.length > 0) throw usage(`--verbs: unknown ${unknown.join(', ')}: expected a subset of ${configVerbs.join(', ')}`);
  const ttlSeconds = ttlSecondsOf(opts.ttl ?? '8h');
  const minted = await withCitadelAdmin(io, (admin) => admin.createConfigToken({ actor: opts.actor, namespaces, verbs, ttlSeconds }));
  io.stdout.write(`${minted.token}\n`);
  io.stderr.write(`config token ${minted.tokenId} for ${minted.actor} (${verbs.join(',')} in ${namespaces.join(',')}), expires ${minted.expiresAt}\n`);
}
