/** The CLI's contract with scripts: 0 ok, 1 rejected input, 2 usage, 3 unreachable service. */
export const ExitCode = { ok: 0, rejected: 1, usage: 2, unreachable: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: printed as its lines, never as a stack trace. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    readonly lines: readonly string[],
  ) {
    super(lines.join('\n'));
  }
}
