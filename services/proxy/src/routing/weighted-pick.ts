/**
 * A weighted choice among a route's destinations, as Envoy's weighted_clusters picks: each
 * destination in proportion to its weight (weights need not add up to 100); a zero weight is never
 * picked. A route with a single destination sends it everything whatever its weight (Istio emits no
 * weighted clusters then).
 */
export function pickWeighted<D extends { readonly weight?: number }>(destinations: readonly D[], random01: number): D | undefined {
  if (destinations.length === 1) return destinations[0];
  let total = 0;
  for (const d of destinations) total += weightOf(d);
  if (total <= 0) return undefined;
  const target = clamp01(random01) * total;
  let acc = 0;
  let last: D | undefined;
  for (const d of destinations) {
    const w = weightOf(d);
    if (w <= 0) continue;
    acc += w;
    last = d;
    if (target < acc) return d;
  }
  // Floating point can leave target == total: the last positive destination takes it.
  return last;
}

const weightOf = (d: { readonly weight?: number }): number => (d.weight !== undefined && Number.isFinite(d.weight) && d.weight > 0 ? d.weight : 0);

const clamp01 = (r: number): number => (Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0);
