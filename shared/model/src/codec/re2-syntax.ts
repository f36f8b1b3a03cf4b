import { RE2JS, RE2JSException, RE2JSSyntaxException } from 're2js';

/**
 * Istio's cap on a regex (validateStringRegexp): Go's `len`, so UTF-8 bytes, standing in for
 * RE2's program size, which Envoy limits and Go cannot measure.
 */
const MAX_REGEX_BYTES = 1024;

/** What Istio's webhook adds after Go's regexp.Compile error. */
const RE2_HINT = 'Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)';

// Every replay decodes every stored regex again and a compile costs tens of µs: remember verdicts.
const VERDICTS = new Map<string, string | undefined>();
const MAX_VERDICTS = 10_000;

/**
 * Why `s` is no regex Istio accepts, undefined when it is one: RE2 syntax as Go's regexp.Compile
 * parses it (re2js ports Go's parser, so lookarounds, backreferences, possessive repeats and
 * counts over 1000 are refused with Go's own error text), at most 1024 bytes, not empty.
 */
export function re2SyntaxReason(s: string): string | undefined {
  if (s === '') return 'must not be empty';
  if (Buffer.byteLength(s, 'utf8') > MAX_REGEX_BYTES) return `is too long: at most ${MAX_REGEX_BYTES} bytes`;
  if (VERDICTS.has(s)) return VERDICTS.get(s);
  const reason = compileProblem(s);
  if (VERDICTS.size >= MAX_VERDICTS) VERDICTS.clear();
  VERDICTS.set(s, reason);
  return reason;
}

function compileProblem(s: string): string | undefined {
  try {
    RE2JS.compile(s);
    return undefined;
  } catch (e) {
    // Go always quotes the expression; re2js leaves it out for "expression too large" and "nests too deeply" (Go quotes all of it).
    if (e instanceof RE2JSSyntaxException) return `error parsing regexp: ${e.error}: \`${e.input ?? s}\`; ${RE2_HINT}`;
    if (e instanceof RE2JSException) return `${e.message}; ${RE2_HINT}`;
    throw e;
  }
}
