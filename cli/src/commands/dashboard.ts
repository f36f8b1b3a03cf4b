import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { CONSOLE_URL_PATH } from '@jetmesh/console';
import { MeshPorts } from '@jetmesh/runtime';
import { CliError, ExitCode } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { configToken } from '../config-token.js';
import { findContextFile, readContextFile } from '../context.js';

export interface DashboardOptions {
  /** Put the CLI's config token in the URL's fragment (never sent to a server), so the console opens signed in. */
  readonly withToken: boolean;
  /** Run xdg-open on it (when there is one). */
  readonly open: boolean;
}

export const CONSOLE_URL_ENV = 'JETMESH_CONSOLE_URL';
const ASK_TIMEOUT_MS = 2_000;

const onPath = (env: NodeJS.ProcessEnv, command: string): string | undefined =>
  (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, command))
    .find((file) => {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });

/** JETMESH_CONSOLE_URL, else what the console `jetmesh up` started says on its admin port, else the default port. */
async function consoleUrl(io: CliIo): Promise<{ url: string; note?: string }> {
  const fromEnv = io.env[CONSOLE_URL_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv.replace(/\/+$/, '') };
  const fallback = { url: `http://127.0.0.1:${MeshPorts.console}` };
  const file = findContextFile(io.env, io.cwd);
  if (file === undefined) return { ...fallback, note: `no .jetmesh/context.json here (is \`jetmesh up\` running?): assuming the default port` };
  const contents = readContextFile(file);
  if (E.isLeft(contents)) throw new CliError(ExitCode.usage, [contents.left.message]);
  const admin = contents.right.services?.console?.adminUrl;
  if (admin === undefined) return { ...fallback, note: `${file} names no console: assuming the default port` };
  try {
    const res = await fetch(`${admin}${CONSOLE_URL_PATH}`, { signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });
    const body = (await res.json()) as { url?: unknown };
    if (res.ok && typeof body.url === 'string' && body.url !== '') return { url: body.url };
    throw new Error(`answered ${res.status}`);
  } catch (e) {
    throw new CliError(ExitCode.unreachable, [`cannot reach the console's admin port ${admin}: ${(e as Error).message} (is \`jetmesh up\` still running?)`]);
  }
}

/** `jetmesh dashboard`: prints the console's URL and opens it with xdg-open where there is one. */
export const runDashboard = async (opts: DashboardOptions, io: CliIo): Promise<void> => {
  const { url, note } = await consoleUrl(io);
  if (note !== undefined) io.stderr.write(`${note}\n`);
  let shown = `${url}/`;
  if (opts.withToken) {
    const token = configToken(io.env, io.cwd);
    if (token === undefined) throw new CliError(ExitCode.usage, ['--with-token: the CLI has no config token (set JETMESH_TOKEN, or run `jetmesh up`, which writes .jetmesh/config-token)']);
    shown = `${url}/#token=${encodeURIComponent(token)}`;
  }
  io.stdout.write(`${shown}\n`);
  if (!opts.open) return;
  const opener = onPath(io.env, 'xdg-open');
  if (opener === undefined) {
    io.stderr.write('no xdg-open here: open the URL in a browser\n');
    return;
  }
  const child = spawn(opener, [shown], { detached: true, stdio: 'ignore', env: io.env });
  child.on('error', (err) => io.stderr.write(`xdg-open failed: ${err.message}\n`));
  child.unref();
};
