import type { StringMatch } from '@jetmesh/model';
import { RE2JS, RE2JSException } from 're2js';

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
    return re !== undefined && re.testExact(value);
  }
  return false;
}

/** `{}`, `regex: "*"` or no match at all only asks "is it present?" (Istio's present_match). */
export const isPresenceMatch = (m: StringMatch | undefined): boolean =>
  m === undefined || (m.exact === undefined && m.prefix === undefined && m.regex === undefined) || m.regex === '*';

// Compiled once per match object: snapshots are immutable values, so an object's regex never changes.
const REGEX_CACHE = new WeakMap<object, RE2JS | null>();

/** The compiled RE2 pattern of a `regex` match, or undefined when it does not compile (it then matches nothing). */
export function compiledRegex(m: StringMatch): RE2JS | undefined {
  const cached = REGEX_CACHE.get(m);
  if (cached !== undefined) return cached ?? undefined;
  const re = m.regex === undefined ? null : fullMatchRegex(m.regex);
  REGEX_CACHE.set(m, re);
  return re ?? undefined;
}

/**
 * `source` compiled as Envoy compiles safe_regex, with RE2 (re2js, a port of Go's regexp): RE2
 * syntax and code-point semantics, and matching in time linear in the input, so no header value
 * can make a pattern like `(a+)+$` backtrack. `testExact` is RE2's full match. Null when it does not compile.
 */
export function fullMatchRegex(source: string): RE2JS | null {
  try {
    return RE2JS.compile(source);
  } catch (e) {
    if (e instanceof RE2JSException) return null;
    throw e;
  }
}
