import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PROXY_NODE_FLAGS } from '@jetmesh/runtime';
import { dirname, join } from 'node:path';
import { CliError, ExitCode } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { resolveContext } from '../context.js';
import { repoRoot } from '../up/repo-root.js';
import { PROXY_BOOTSTRAP_CREDS } from '../up/nats-users.js';

/** `jetmesh proxy` flags, each the same as a JETMESH_PROXY_* variable. */
export interface ProxyFlags {
  readonly service?: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly name?: string;
  readonly labels?: string;
  readonly port?: string;
  readonly appPort?: string;
  readonly inboundPort?: string;
  readonly outboundPort?: string;
  readonly adminPort?: string;
  readonly address?: string;
  readonly token?: string;
  readonly gateway?: boolean;
  readonly stateDir?: string;
  readonly credentialsDir?: string;
  readonly certTtl?: string;
  readonly traceSampling?: string;
}

const FLAG_ENV: ReadonlyArray<[keyof ProxyFlags, string]> = [
  ['service', 'JETMESH_PROXY_SERVICE'],
  ['namespace', 'JETMESH_PROXY_NAMESPACE'],
  ['serviceAccount', 'JETMESH_PROXY_SERVICE_ACCOUNT'],
  ['name', 'JETMESH_PROXY_NAME'],
  ['labels', 'JETMESH_PROXY_LABELS'],
  ['appPort', 'JETMESH_PROXY_APP_PORT'],
  ['inboundPort', 'JETMESH_PROXY_INBOUND_PORT'],
  ['outboundPort', 'JETMESH_PROXY_OUTBOUND_PORT'],
  ['adminPort', 'JETMESH_PROXY_ADMIN_PORT'],
  ['address', 'JETMESH_PROXY_ADDRESS'],
  ['token', 'JETMESH_PROXY_TOKEN'],
  ['stateDir', 'JETMESH_PROXY_STATE_DIR'],
  ['credentialsDir', 'JETMESH_PROXY_CREDENTIALS_DIR'],
  ['certTtl', 'JETMESH_PROXY_CERT_TTL'],
  ['traceSampling', 'JETMESH_PROXY_TRACE_SAMPLING'],
];

const proxyEntry = join(repoRoot, 'services', 'proxy', 'dist', 'src', 'main.js');

/**
 * The proxy's environment: flags over JETMESH_PROXY_* variables, then where the mesh is
 * (the context `jetmesh up` wrote: NATS, citadel, and the bootstrap user's NATS creds).
 */
export function proxyEnvironment(flags: ProxyFlags, io: Pick<CliIo, 'env' | 'cwd'>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [flag, variable] of FLAG_ENV) {
    const v = flags[flag];
    if (typeof v === 'string') env[variable] = v;
  }
  if (flags.serviceAccount === undefined && io.env.JETMESH_PROXY_SERVICE_ACCOUNT === undefined && flags.service !== undefined) env.JETMESH_PROXY_SERVICE_ACCOUNT = flags.service;
  if (flags.gateway === true) {
    env.JETMESH_PROXY_GATEWAY = 'true';
    if (flags.port !== undefined) env.JETMESH_PROXY_GATEWAY_PORTS = flags.port;
  } else if (flags.port !== undefined) env.JETMESH_PROXY_PORT = flags.port;
  const ctx = resolveContext(io.env, io.cwd);
  if (io.env.JETMESH_NATS_URL === undefined) env.JETMESH_NATS_URL = ctx.natsUrl;
  if (io.env.JETMESH_CA_ADDRESS === undefined) env.JETMESH_CA_ADDRESS = ctx.citadelAddress;
  if (io.env.JETMESH_NATS_CREDS === undefined && io.env.JETMESH_NATS_USER === undefined && ctx.natsCredentials !== undefined) {
    // A local `up` leaves the bootstrap user's creds beside the CLI's; citadel gives the proxy its own user.
    const file = join(dirname(ctx.natsCredentials.credsFile), PROXY_BOOTSTRAP_CREDS);
    if (existsSync(file)) env.JETMESH_NATS_CREDS = file;
  }
  return env;
}

/** Runs the proxy in the foreground until Ctrl-C; resolves its exit code. */
export async function runProxy(flags: ProxyFlags, io: CliIo): Promise<number> {
  if (!existsSync(proxyEntry)) throw new CliError(ExitCode.usage, [`the proxy is not built (${proxyEntry} is missing): run npm run build`]);
  const env = { ...io.env, ...proxyEnvironment(flags, io) };
  const child = spawn(process.execPath, [...PROXY_NODE_FLAGS, proxyEntry], { env, cwd: io.cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal !== null ? 1 : 0))));
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
