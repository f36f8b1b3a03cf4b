/**
 * The one duration grammar for operators, in environment variables and CLI flags alike: a
 * number and a unit, `500ms`, `90s`, `1.5m`, `8h`, `1d` (so a root TTL reads `87600h` or
 * `3650d`). Bare numbers are refused as ambiguous. Istio's own Go-style durations in YAML
 * (`1m30s`, `us`) are @jetmesh/model's, not this.
 */
const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const OPERATOR_DURATION_EXAMPLES = '500ms, 90s, 30m, 1h or 1d';

/** Whole milliseconds of `text`, or undefined when it is not such a duration (or past 2^53 ms). */
export function parseOperatorDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (match === null) return undefined;
  const ms = Math.round(Number(match[1]) * (unitMs[match[2] ?? ''] ?? NaN));
  return Number.isSafeInteger(ms) ? ms : undefined;
}
