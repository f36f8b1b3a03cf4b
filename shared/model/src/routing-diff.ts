import type { RoutingSnapshot } from './routing-snapshot.js';
import { type ValueChange, diffValues } from './value-diff.js';

/** How one host's routing differs between two points of the log. */
export interface HostDiff {
  readonly host: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** Paths inside the snapshot (`routes[1].destinations[0].weight`). */
  readonly fields: readonly ValueChange[];
}

/**
 * Every host whose derived snapshot differs, in host order. Both sides must come from the same
 * `deriveSnapshots` pilot runs, so an empty diff means proxies saw no change.
 */
export const diffRouting = (from: ReadonlyMap<string, RoutingSnapshot>, to: ReadonlyMap<string, RoutingSnapshot>): HostDiff[] => {
  const hosts = [...new Set([...from.keys(), ...to.keys()])].sort();
  const out: HostDiff[] = [];
  for (const host of hosts) {
    const a = from.get(host);
    const b = to.get(host);
    const fields = diffValues(a ?? {}, b ?? {});
    if (a !== undefined && b !== undefined && fields.length === 0) continue;
    out.push({ host, change: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed', fields });
  }
  return out;
};
