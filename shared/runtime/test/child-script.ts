import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The package's built entry, for scripts that run in their own process. */
export const runtimeEntry = new URL('../src/index.js', import.meta.url).href;

export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `source` as an ES module in a fresh node; `onStdout` sees output as it comes (e.g. to send a signal). */
export async function runScript(
  source: string,
  env: NodeJS.ProcessEnv = {},
  onStdout?: (text: string, pid: number) => void,
): Promise<ChildRun> {
  const dir = await mkdtemp(join(tmpdir(), 'jetmesh-runtime-'));
  const file = join(dir, 'script.mjs');
  await writeFile(file, source);
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, child.pid ?? 0);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stdout, stderr };
}
