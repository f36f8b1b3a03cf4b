import type { StringMatch } from '@jetmesh/model';

export type { StringMatch };

/**
 * Istio's StringMatch as Envoy evaluates it: exact, prefix, or a regex that must match the
 * whole value (RE2 semantics: `safe_regex` is a full match, not a search).
 */
export function matchString(m: StringMatch, value: string, opts: { readonly ignoreCase?: boolean } = {}): boolean {
  if (m.exact !== undefined) return opts.ignoreCase === true ? m.exact.toLowerCase() === value.toLowerCase() : m.exact === value;
  if (m.prefix !== undefined) return opts.ignoreCase === true ? value.toLowerCase().startsWith(m.prefix.toLowerCase()) : value.startsWith(m.prefix);
  if (m.regex !== undefined) {
    const re = compiledRegex(m);
    return re !== undefined && re.test(value);
  }
  return false;
}

/** `{}`, `regex: "*"` or no match at all only asks "is it present?" (Istio's present_match). */
export const isPresenceMatch = (m: StringMatch | undefined): boolean =>
  m === undefined || (m.exact === undefined && m.prefix === undefined && m.regex === undefined) || m.regex === '*';

// Compiled once per match object: snapshots are immutable values, so an object's regex never changes.
const REGEX_CACHE = new WeakMap<object, RegExp | null>();

/** The anchored RegExp of a `regex` match, or undefined when it does not compile (it then matches nothing). */
export function compiledRegex(m: StringMatch): RegExp | undefined {
  const cached = REGEX_CACHE.get(m);
  if (cached !== undefined) return cached ?? undefined;
  const re = m.regex === undefined ? null : fullMatchRegex(m.regex);
  REGEX_CACHE.set(m, re);
  return re ?? undefined;
}

/** `^(?:re)$` — RE2's full match; `u` so classes and escapes behave on code points as RE2's UTF-8 mode does. */
export function fullMatchRegex(source: string): RegExp | null {
  for (const flags of ['u', '']) {
    try {
      return new RegExp(`^(?:${source})$`, flags);
    } catch {
      // Some RE2-valid patterns (e.g. `\-` outside a class) are rejected by JS's unicode mode: retry without it.
    }
  }
  return null;
}
