/**
 * The φ-quantile of a histogram, as PromQL's `histogram_quantile` computes it: linear
 * interpolation inside the bucket the rank falls in, the lowest bucket starting at 0, a rank in
 * the `+Inf` bucket answered with the highest finite bound, NaN when nothing was observed.
 * `bounds` are the finite upper bounds (ascending); `counts` are per bucket, not cumulative, one
 * more than `bounds` (the last is `+Inf`), as a TelemetryReport's WindowHistogram holds them.
 */
export function histogramQuantile(q: number, bounds: readonly number[], counts: readonly number[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (counts.length !== bounds.length + 1) return NaN;
  const cumulative = new Array<number>(counts.length);
  let running = 0;
  for (let i = 0; i < counts.length; i++) {
    running += counts[i] ?? 0;
    cumulative[i] = running;
  }
  const observations = running;
  if (observations === 0) return NaN;
  const rank = q * observations;
  // Prometheus: sort.Search over the finite buckets for the first whose cumulative count reaches the rank.
  let b = 0;
  while (b < bounds.length && (cumulative[b] ?? 0) < rank) b++;
  if (b === bounds.length) return bounds[bounds.length - 1] ?? NaN;
  const end = bounds[b] ?? NaN;
  if (b === 0 && end <= 0) return end;
  const start = b === 0 ? 0 : (bounds[b - 1] ?? 0);
  const below = b === 0 ? 0 : (cumulative[b - 1] ?? 0);
  return start + (end - start) * ((rank - below) / ((cumulative[b] ?? 0) - below));
}
