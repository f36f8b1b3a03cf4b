import { status, type ServiceError, type StatusObject } from '@grpc/grpc-js';

// Validation failures travel as INVALID_ARGUMENT whose details hold one error
// per line, so a client can print every error and a script can count them.

/** The status a handler returns for a list of validation errors. */
export function invalidArgument(lines: readonly string[]): Partial<StatusObject> {
  return { code: status.INVALID_ARGUMENT, details: errorDetails(lines) };
}

// Details travel percent-encoded (encodeURI) in the grpc-message trailer; a trailer past the
// peer's header-list limit (16 KiB in grpc-js and C-core) resets the stream and the caller only
// sees its deadline pass. So a reply echoes at most this much of what it was sent.
export const maxErrorLineLength = 1000;
export const maxErrorDetailsEncoded = 8000;

// encodeURI throws on a lone surrogate, which cut or hostile input can hold.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function boundedLine(line: string): string {
  const cut = line.length <= maxErrorLineLength ? line : `${line.slice(0, maxErrorLineLength)}… (${line.length - maxErrorLineLength} more characters)`;
  return cut.replace(loneSurrogate, '\uFFFD');
}

/** One error per line, each line and the whole bounded; what is left out is counted, never silent. */
export function errorDetails(lines: readonly string[]): string {
  const kept: string[] = [];
  let encoded = 0;
  for (const [index, line] of lines.entries()) {
    const bounded = boundedLine(line);
    const cost = encodeURI(bounded).length + 3;
    if (encoded + cost > maxErrorDetailsEncoded) {
      kept.push(`… and ${lines.length - index} more errors`);
      break;
    }
    kept.push(bounded);
    encoded += cost;
  }
  return kept.join('\n');
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
