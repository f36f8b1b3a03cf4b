import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalProxyFiles } from '@jetmesh/runtime';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';

export interface ProxyConfigOptions {
  readonly workload: string;
  readonly namespace: string;
  /** The proxy's admin URL; default: what the proxy recorded under .jetmesh/proxies/. */
  readonly adminUrl?: string;
}


function recordedAdminUrl(io: Pick<CliIo, 'cwd'>, namespace: string, workload: string): string {
  const dir = join(io.cwd, LocalProxyFiles.dir);
  const file = join(io.cwd, LocalProxyFiles.stateDir(namespace, workload), LocalProxyFiles.adminAddress);
  if (!existsSync(file)) {
    const known = existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, LocalProxyFiles.adminAddress))) : [];
    throw new CliError(ExitCode.usage, [
      `no local proxy ${namespace}/${workload} (looked for ${file})`,
      known.length > 0 ? `local proxies: ${known.map((k) => k.replace('.', '/')).join(', ')}` : 'pass --admin-url http://HOST:PORT for a proxy elsewhere',
    ]);
  }
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as { adminUrl?: unknown };
  if (typeof recorded.adminUrl !== 'string') throw new CliError(ExitCode.usage, [`${file} names no adminUrl`]);
  return recorded.adminUrl;
}

/** Prints a proxy's /config_dump: its snapshots with their versions, certificate expiry, clusters. */
export async function runProxyConfig(opts: ProxyConfigOptions, io: CliIo): Promise<void> {
  const base = opts.adminUrl ?? recordedAdminUrl(io, opts.namespace, opts.workload);
  let res: Response;
  try {
    res = await fetch(new URL('/config_dump', base), { signal: AbortSignal.timeout(5_000) });
  } catch (err) {
    throw new CliError(ExitCode.unreachable, [`proxy admin at ${base} is unreachable: ${(err as Error).message}`]);
  }
  if (!res.ok) throw new CliError(ExitCode.unreachable, [`proxy admin at ${base} answered ${res.status}`]);
  printLines(io.stdout, [(await res.text()).trimEnd()]);
}
