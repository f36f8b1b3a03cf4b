import { status, type StatusObject } from '@grpc/grpc-js';
import { isBusUnavailable } from '@jetmesh/bus';
import { type CaRejection, formatRejection, statusOfRejections, type RejectionStatus } from './ca-rejection.js';

const codes: Record<RejectionStatus, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
};

/** Rejections as one status: `details` holds one line per problem, all of them. */
export function statusOfRejection(rejections: readonly CaRejection[]): Partial<StatusObject> & { code: status; details: string } {
  return { code: codes[statusOfRejections(rejections)], details: rejections.map(formatRejection).join('\n') };
}

/** An exception as a status: lost NATS is UNAVAILABLE (nothing is issued unrecorded), anything else a bug. */
export function statusOfException(err: unknown, what: string): Partial<StatusObject> {
  if (isBusUnavailable(err)) {
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err);
    return { code: status.UNAVAILABLE, details: `audit log unavailable, ${what}: ${message}` };
  }
  return { code: status.INTERNAL, details: 'internal error in citadel (logged)' };
}
