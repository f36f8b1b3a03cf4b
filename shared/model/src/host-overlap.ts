/** Istio's host overlap: equal, or one a wildcard covering the other (`*.foo.com` covers `a.foo.com`). */
export const hostsOverlap = (a: string, b: string): boolean => {
  if (a === b || a === '*' || b === '*') return true;
  const covers = (w: string, h: string): boolean => w.startsWith('*.') && h.endsWith(w.slice(1));
  return covers(a, b) || covers(b, a);
};

/** Every suffix of a host that starts at a dot: `a.b.c` → `.b.c`, `.c`. */
const dotSuffixes = (host: string): string[] => {
  const suffixes: string[] = [];
  for (let i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) suffixes.push(host.slice(i));
  return suffixes;
};

/** What an earlier host is to a later one in the same list. */
export type EarlierHost = { readonly kind: 'duplicate'; readonly host: string } | { readonly kind: 'overlap'; readonly host: string };

/**
 * For each host of a list, the earliest earlier host equal to it or overlapping it (`hostsOverlap`),
 * among those `comparable` admits (IP addresses never overlap names). Linear in the list's total
 * length: a VirtualService may name 10k hosts, and comparing each with every earlier one took seconds.
 */
export const earlierHosts = (hosts: readonly string[], comparable: (host: string) => boolean = () => true): Array<EarlierHost | undefined> => {
  const firstIndex = new Map<string, number>();
  // `*.S` seen so far, by `.S`; and every dot-suffix of every host so far, for a later wildcard.
  const wildcardBySuffix = new Map<string, number>();
  const hostBySuffix = new Map<string, number>();
  let firstStar: number | undefined;
  let firstComparable: number | undefined;
  const earliest = (...indices: Array<number | undefined>): number | undefined =>
    indices.reduce<number | undefined>((min, i) => (i !== undefined && (min === undefined || i < min) ? i : min), undefined);
  return hosts.map((host, i) => {
    const duplicate = firstIndex.get(host);
    let result: EarlierHost | undefined;
    if (duplicate !== undefined) result = { kind: 'duplicate', host };
    else firstIndex.set(host, i);
    if (!comparable(host)) return result;
    const suffixes = dotSuffixes(host);
    if (result === undefined) {
      const covering = earliest(
        firstStar,
        host === '*' ? firstComparable : undefined,
        ...suffixes.map((s) => wildcardBySuffix.get(s)),
        host.startsWith('*.') ? hostBySuffix.get(host.slice(1)) : undefined,
      );
      if (covering !== undefined) result = { kind: 'overlap', host: hosts[covering] ?? '' };
    }
    firstComparable ??= i;
    if (host === '*') firstStar ??= i;
    if (host.startsWith('*.') && !wildcardBySuffix.has(host.slice(1))) wildcardBySuffix.set(host.slice(1), i);
    for (const s of suffixes) if (!hostBySuffix.has(s)) hostBySuffix.set(s, i);
    return result;
  });
};

/**
 * Whether a name is one of `hosts` or overlaps one of its wildcard hosts: the same answer as
 * `hosts.some((h) => h === name || (h.startsWith('*') && hostsOverlap(h, name)))`, with the
 * hosts indexed once so that checking many names (a TLS route's sniHosts) stays linear.
 */
export const coveredByHosts = (hosts: readonly string[]): ((name: string) => boolean) => {
  const exact = new Set(hosts);
  const wildcards = hosts.filter((h) => h.startsWith('*'));
  const anyStar = wildcards.includes('*');
  // `*.S` covers names ending in `.S`; a wildcard name `*.T` covers wildcard hosts ending in `.T`.
  const coveredSuffixes = new Set(wildcards.filter((h) => h.startsWith('*.')).map((h) => h.slice(1)));
  const wildcardSuffixes = new Set(wildcards.flatMap(dotSuffixes));
  return (name) =>
    exact.has(name) ||
    (wildcards.length > 0 &&
      (anyStar ||
        name === '*' ||
        dotSuffixes(name).some((s) => coveredSuffixes.has(s)) ||
        (name.startsWith('*.') && wildcardSuffixes.has(name.slice(1)))));
};
