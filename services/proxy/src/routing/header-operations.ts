/** Istio's HeaderOperations (`set` replaces, `add` appends, `remove` drops) and Headers (request / response). */
export interface HeaderOperations {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export interface HeadersPolicy {
  readonly request?: HeaderOperations;
  readonly response?: HeaderOperations;
}

/** Header values by lowercased name; a repeated header holds several values. */
export type HeaderMap = Record<string, string | string[]>;

/**
 * Applies levels of header operations in the order given; inside a level, removals first, then
 * `set`, then `add` (Envoy's HeaderParser). Returns a new map; the input is not touched.
 */
export function applyHeaderOperations(headers: Readonly<HeaderMap>, ...levels: ReadonlyArray<HeaderOperations | undefined>): HeaderMap {
  // A Map, so a header literally named __proto__ stays a header.
  const out = new Map<string, string | string[]>();
  for (const [k, v] of Object.entries(headers)) out.set(k.toLowerCase(), Array.isArray(v) ? [...v] : v);
  for (const ops of levels) {
    if (ops === undefined) continue;
    for (const name of ops.remove ?? []) out.delete(name.toLowerCase());
    for (const [name, value] of Object.entries(ops.set ?? {})) out.set(name.toLowerCase(), value);
    for (const [name, value] of Object.entries(ops.add ?? {})) {
      const key = name.toLowerCase();
      const prev = out.get(key);
      out.set(key, prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value]);
    }
  }
  return Object.fromEntries(out);
}

/**
 * The levels in Envoy's order: weighted-cluster (destination) level first, then the route level.
 * Istio leaves most_specific_header_mutations_wins off, so on a conflicting `set` the route wins.
 */
export const requestHeaderOperations = (route: HeadersPolicy | undefined, destination: HeadersPolicy | undefined): ReadonlyArray<HeaderOperations | undefined> => [
  destination?.request,
  route?.request,
];

export const responseHeaderOperations = (route: HeadersPolicy | undefined, destination: HeadersPolicy | undefined): ReadonlyArray<HeaderOperations | undefined> => [
  destination?.response,
  route?.response,
];

/**
 * The authority a `set`/`add` of `host` or `:authority` rewrites to (Istio turns it into Envoy's
 * host rewrite; `set` wins over `add`), if any.
 */
export function authorityRewrite(...levels: ReadonlyArray<HeaderOperations | undefined>): string | undefined {
  let out: string | undefined;
  for (const ops of levels) {
    const pick = (m: Readonly<Record<string, string>> | undefined): string | undefined => {
      for (const [k, v] of Object.entries(m ?? {})) if (k.toLowerCase() === 'host' || k.toLowerCase() === ':authority') return v;
      return undefined;
    };
    out = pick(ops?.set) ?? pick(ops?.add) ?? out;
  }
  return out;
}
