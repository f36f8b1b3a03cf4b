import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { type Invalid, invalid } from './invalid.js';

/**
 * A moment of the config log as users name it: a MESH_CONFIG sequence (`12`; `0` is before the
 * first change), an RFC 3339 time, or a time relative to now (`-2h`, `-1d12h`, `-90s`).
 * Relative times are made absolute when parsed, so a point means the same thing however long
 * the replay behind it takes.
 */
export type TimePoint = { readonly kind: 'sequence'; readonly seq: number } | { readonly kind: 'time'; readonly at: string };

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;
const RELATIVE = /^-((\d+)(ms|d|h|m|s))+$/;
const RELATIVE_PART = /(\d+)(ms|d|h|m|s)/g;
const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Parses `text` as a point; `now` anchors relative times (the caller's clock: the core reads none). */
export const parseTimePoint = (text: string, now: Date, path = 'point'): Either<Invalid[], TimePoint> => {
  const s = text.trim();
  if (/^\d+$/.test(s)) {
    const seq = Number(s);
    return Number.isSafeInteger(seq) ? right({ kind: 'sequence', seq }) : left([invalid(path, `sequence ${s} is too large`)]);
  }
  if (RELATIVE.test(s)) {
    let ms = 0;
    for (const m of s.matchAll(RELATIVE_PART)) ms += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    return right({ kind: 'time', at: new Date(now.getTime() - ms).toISOString() });
  }
  if (RFC3339.test(s)) {
    const ms = Date.parse(s.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return right({ kind: 'time', at: new Date(ms).toISOString() });
  }
  return left([invalid(path, `"${text}" is not a point in the log: use a change sequence (12), an RFC 3339 time (2024-05-01T14:02:00Z) or a relative time (-2h, -30m, -1d)`)]);
};

export const formatTimePoint = (p: TimePoint): string => (p.kind === 'sequence' ? `#${p.seq}` : p.at);

/** Milliseconds since the epoch of an RFC 3339 time (event `at` fields); NaN when unreadable. */
export const instantOf = (at: string): number => Date.parse(at);

/** True when the config event (seq, at) happened after the point, i.e. a replay to the point must stop before it. */
export const isAfterPoint = (p: TimePoint, seq: number, at: string): boolean =>
  p.kind === 'sequence' ? seq > p.seq : instantOf(at) > instantOf(p.at);
