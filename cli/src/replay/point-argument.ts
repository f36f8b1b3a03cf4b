import { isLeft } from 'fp-ts/lib/Either.js';
import { formatInvalid, parseTimePoint, type TimePoint } from '@jetmesh/model';
import { CliError, ExitCode } from '../cli-error.js';

/** A `<SEQ|RFC3339|-2h>` argument; relative times count back from this process's clock. */
export const pointArgument = (text: string, what: string, now: Date = new Date()): TimePoint => {
  const parsed = parseTimePoint(text, now, what);
  if (isLeft(parsed)) throw new CliError(ExitCode.usage, parsed.left.map(formatInvalid));
  return parsed.right;
};
