import { readFile } from 'node:fs/promises';
import { CliError, ExitCode } from './cli-error.js';

/** `-f FILE` or `-f -` (stdin), as kubectl reads manifests. */
export const readManifest = async (file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> => {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(ExitCode.rejected, [`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`]);
  }
};
