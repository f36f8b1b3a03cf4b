/**
 * Istio's wildcard match (host.Name.Matches): `*S` covers every name ending in S, a wildcard name
 * too. `*.foo.com` covers `a.foo.com`; a partial wildcard `*x.foo.com` covers `x.foo.com` and
 * `ax.foo.com`. The bare `*` is not a pattern here (callers treat "everything" on their own).
 */
export const wildcardCovers = (pattern: string, host: string): boolean => pattern.length > 1 && pattern.startsWith('*') && host.endsWith(pattern.slice(1));

/** `*x.foo.com`: a wildcard whose suffix does not start at a label (Istio accepts it in routes and rules). */
const isPartialWildcard = (h: string): boolean => h.length > 1 && h.startsWith('*') && h[1] !== '.';

/** Istio's host overlap: equal, or one a wildcard covering the other (`*.foo.com` covers `a.foo.com`, `*x.foo.com` covers `ax.foo.com`). */
export const hostsOverlap = (a: string, b: string): boolean => a === b || a === '*' || b === '*' || wildcardCovers(a, b) || wildcardCovers(b, a);

/**
 * A partial wildcard's suffix can start anywhere in a name, not only at a dot: the suffixes of
 * `hosts`' partial wildcards, and their lengths, so a name is checked with one lookup per length.
 */
interface PartialSuffixes {
  readonly suffixes: ReadonlySet<string>;
  readonly lengths: readonly number[];
}
const partialSuffixesOf = (wildcards: readonly string[]): PartialSuffixes => {
  const suffixes = new Set(wildcards.filter(isPartialWildcard).map((h) => h.slice(1)));
  return { suffixes, lengths: [...new Set([...suffixes].map((s) => s.length))] };
};
/** The suffixes of `name` that are some partial wildcard's suffix. */
const partialSuffixesIn = (name: string, p: PartialSuffixes): string[] => {
  const out: string[] = [];
  for (const length of p.lengths) {
    if (length > name.length) continue;
    const suffix = name.slice(name.length - length);
    if (p.suffixes.has(suffix)) out.push(suffix);
  }
  return out;
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
  // The same for partial wildcards `*S`, by S: only the suffixes some partial wildcard of the list has.
  const partial = partialSuffixesOf(hosts.filter(comparable));
  const partialWildcardBySuffix = new Map<string, number>();
  const hostByPartialSuffix = new Map<string, number>();
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
    const partialSuffixes = partial.lengths.length === 0 ? [] : partialSuffixesIn(host, partial);
    if (result === undefined) {
      const covering = earliest(
        firstStar,
        host === '*' ? firstComparable : undefined,
        ...suffixes.map((s) => wildcardBySuffix.get(s)),
        host.startsWith('*.') ? hostBySuffix.get(host.slice(1)) : undefined,
        ...partialSuffixes.map((s) => partialWildcardBySuffix.get(s)),
        isPartialWildcard(host) ? hostByPartialSuffix.get(host.slice(1)) : undefined,
      );
      if (covering !== undefined) result = { kind: 'overlap', host: hosts[covering] ?? '' };
    }
    firstComparable ??= i;
    if (host === '*') firstStar ??= i;
    if (host.startsWith('*.') && !wildcardBySuffix.has(host.slice(1))) wildcardBySuffix.set(host.slice(1), i);
    if (isPartialWildcard(host) && !partialWildcardBySuffix.has(host.slice(1))) partialWildcardBySuffix.set(host.slice(1), i);
    for (const s of suffixes) if (!hostBySuffix.has(s)) hostBySuffix.set(s, i);
    for (const s of partialSuffixes) if (!hostByPartialSuffix.has(s)) hostByPartialSuffix.set(s, i);
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
  const partial = partialSuffixesOf(wildcards);
  // A partial wildcard name `*T` covers the wildcard hosts ending in T: those whose reversal starts with T's, found by binary search.
  let reversedWildcards: string[] | undefined;
  const wildcardEndsWith = (suffix: string): boolean => {
    reversedWildcards ??= wildcards.map(reversed).sort();
    const key = reversed(suffix);
    let lo = 0;
    let hi = reversedWildcards.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((reversedWildcards[mid] ?? '') < key) lo = mid + 1;
      else hi = mid;
    }
    return (reversedWildcards[lo] ?? '').startsWith(key);
  };
  return (name) =>
    exact.has(name) ||
    (wildcards.length > 0 &&
      (anyStar ||
        name === '*' ||
        dotSuffixes(name).some((s) => coveredSuffixes.has(s)) ||
        (partial.lengths.length > 0 && partialSuffixesIn(name, partial).length > 0) ||
        (name.startsWith('*.') && wildcardSuffixes.has(name.slice(1))) ||
        (isPartialWildcard(name) && wildcardEndsWith(name.slice(1)))));
};

// By UTF-16 unit, as endsWith compares.
const reversed = (s: string): string => s.split('').reverse().join('');
