import * as grpc from '@grpc/grpc-js';
import { errorLinesOf } from '@jetmesh/rpc';

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

const isServiceError = (e: unknown): e is grpc.ServiceError =>
  e instanceof Error && typeof (e as { code?: unknown }).code === 'number' && 'details' in e;

/** gRPC status → exit code and the server's own words; `what` names the service for unreachable errors. */
export const fromGrpcError = (e: unknown, what: string): CliError | undefined => {
  if (!isServiceError(e)) return undefined;
  switch (e.code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      return new CliError(ExitCode.unreachable, [`cannot reach ${what}: ${e.details || grpc.status[e.code]}`]);
    case grpc.status.INTERNAL:
    case grpc.status.UNKNOWN:
    case grpc.status.UNIMPLEMENTED:
      return new CliError(ExitCode.unreachable, [`${what} failed: ${e.details || grpc.status[e.code]}`]);
    default: {
      const lines = errorLinesOf(e);
      return new CliError(ExitCode.rejected, lines.length > 0 ? lines : [e.details || grpc.status[e.code]]);
    }
  }
};
