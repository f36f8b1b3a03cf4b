import { status, type ServiceError, type StatusObject } from '@grpc/grpc-js';

// Validation failures travel as INVALID_ARGUMENT whose details hold one error
// per line, so a client can print every error and a script can count them.

/** The status a handler returns for a list of validation errors. */
export function invalidArgument(lines: readonly string[]): Partial<StatusObject> {
  return { code: status.INVALID_ARGUMENT, details: lines.join('\n') };
}

/** The error lines of a failed call (one line for errors that are not lists). */
export function errorLinesOf(err: Pick<ServiceError, 'details'>): string[] {
  return err.details
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Whether a rejection came from gRPC (a status) rather than a bug in the caller. */
export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'details' in err;
}
