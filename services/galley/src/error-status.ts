import { status, type StatusObject } from '@grpc/grpc-js';
import { isBusUnavailable } from '@jetmesh/bus';
import { formatInvalid, type Invalid } from '@jetmesh/model';
import { errorDetails, invalidArgument } from '@jetmesh/rpc';

/**
 * The status for expected failures. Any plain validation error makes the request
 * INVALID_ARGUMENT; only when every problem is a missing resource is it NOT_FOUND,
 * only when every problem is a lost race or stale version is it ABORTED, and a write refused
 * while the log forks is FAILED_PRECONDITION, one not sent because the caller's deadline passed
 * is DEADLINE_EXCEEDED.
 * `details` holds one error per line, all of them up to errorDetails' bound.
 */
export function statusOfProblems(problems: readonly Invalid[]): Partial<StatusObject> {
  const lines = problems.map((p) => oneLine(formatInvalid(p)));
  if (problems.length > 0 && problems.every((p) => p.code === 'NOT_FOUND')) return { code: status.NOT_FOUND, details: errorDetails(lines) };
  if (problems.length > 0 && problems.every((p) => p.code === 'CONFLICT')) return { code: status.ABORTED, details: errorDetails(lines) };
  if (problems.some((p) => p.code === 'FORKED')) return { code: status.FAILED_PRECONDITION, details: errorDetails(lines) };
  if (problems.some((p) => p.code === 'DEADLINE_EXCEEDED')) return { code: status.DEADLINE_EXCEEDED, details: errorDetails(lines) };
  return invalidArgument(lines);
}

/** A problem quoting user input can contain a line break; escaped, it cannot split into two "errors". */
// eslint-disable-next-line no-control-regex
const oneLine = (line: string): string => line.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));

/** The status for an exception: lost NATS is UNAVAILABLE, anything else is a bug. One line, never a stack. */
export function statusOfException(err: unknown): Partial<StatusObject> {
  if (isBusUnavailable(err)) {
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err);
    return { code: status.UNAVAILABLE, details: `configuration store unavailable: ${message}` };
  }
  return { code: status.INTERNAL, details: 'internal error in galley (logged)' };
}
