import { CliError, ExitCode } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { withCitadelAdmin } from '../citadel-api.js';

export interface TokenCreateOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** "1h", "30m", "90s", "1d". */
  readonly ttl: string;
}

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds of a duration such as 1h, or undefined when it is not one. */
export function parseTtl(text: string): number | undefined {
  const match = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (match === null) return undefined;
  const seconds = Number(match[1]) * (unitSeconds[match[2] ?? 's'] ?? 1);
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** `jetmesh token create`: a bootstrap token for one workload identity, printed alone on stdout. */
export const runTokenCreate = async (opts: TokenCreateOptions, io: CliIo): Promise<void> => {
  const ttlSeconds = parseTtl(opts.ttl);
  if (ttlSeconds === undefined) throw new CliError(ExitCode.usage, [`--ttl ${JSON.stringify(opts.ttl)}: expected a duration such as 90s, 30m, 1h or 1d`]);
  const minted = await withCitadelAdmin(io, (admin) => admin.createToken({ namespace: opts.namespace, serviceAccount: opts.serviceAccount, ttlSeconds }));
  io.stdout.write(`${minted.token}\n`);
  io.stderr.write(`token ${minted.tokenId} for ${minted.identity}, expires ${minted.expiresAt}\n`);
};
