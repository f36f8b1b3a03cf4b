/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export const printLines = (out: NodeJS.WritableStream, lines: Iterable<string>): void => {
  for (const line of lines) out.write(`${line}\n`);
};
