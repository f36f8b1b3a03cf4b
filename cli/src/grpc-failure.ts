import * as grpc from '@grpc/grpc-js';
import { errorLinesOf } from '@jetmesh/rpc/error-lines';
import { CliError, ExitCode } from './cli-error.js';

// Apart from cli-error.ts so that every command (and --help) does not load gRPC to know its exit codes.

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
