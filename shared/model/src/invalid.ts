/**
 * An error a user can cause: what (path), why (reason), and a machine-readable code.
 * Paths look like `spec.http[0].route[1].weight`; a document prefix is added by callers.
 */
export type InvalidCode =
  | 'INVALID'
  | 'REQUIRED'
  | 'UNKNOWN_FIELD'
  | 'UNKNOWN_KIND'
  | 'MALFORMED'
  | 'TOO_LARGE'
  | 'CONFLICT'
  | 'NOT_FOUND'
  /** The config log forks (two ChangeSets on one predecessor): writes wait for its repair. */
  | 'FORKED'
  /** The caller's deadline passed before the write was sent: nothing was recorded. */
  | 'DEADLINE_EXCEEDED';

export interface Invalid {
  readonly path: string;
  readonly reason: string;
  readonly code: InvalidCode;
}

export const invalid = (path: string, reason: string, code: InvalidCode = 'INVALID'): Invalid => ({ path, reason, code });

export const formatInvalid = (e: Invalid): string => (e.path === '' ? e.reason : `${e.path}: ${e.reason}`);

/** Joins a path segment the way users write it: `a.b`, `a[0]`, `labels["app.kubernetes.io/name"]`. */
export const joinPath = (base: string, segment: string): string => {
  if (segment === '') return base;
  if (segment.startsWith('[')) return base + segment;
  return base === '' ? segment : `${base}.${segment}`;
};

export const withPathPrefix = (prefix: string, errors: readonly Invalid[]): Invalid[] =>
  errors.map((e) => ({ ...e, path: e.path === '' ? prefix : joinPath(prefix, e.path) }));
