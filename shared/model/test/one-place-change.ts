import fc from 'fast-check';

/*
 * Mutants of a JSON value, one place changed: how the fast-decoder property tests show a fast path
 * accepts exactly what its plain codec accepts. A place is a container or a leaf, by its path.
 */

export type Path = readonly (string | number)[];

/** What one place may become: removed, another value, or (a container) given an extra key. */
export type OnePlaceChange = { readonly delete: true } | { readonly value: unknown } | { readonly extraKey: string };

/** Every place in `u`: each container, then what it holds. */
export const placesOf = (u: unknown, path: Path = []): Path[] =>
  u !== null && typeof u === 'object' ? [path, ...Object.entries(u).flatMap(([k, v]) => placesOf(v, [...path, Array.isArray(u) ? Number(k) : k]))] : [path];

/** Changes to try at a place: deletion, -0, any small JSON value, the `values` given (and drawn from `near`), or one of `extraKeys` added. */
export const onePlaceChanges = (values: readonly unknown[], extraKeys: readonly string[], near?: fc.Arbitrary<unknown>): fc.Arbitrary<OnePlaceChange> =>
  fc.oneof(
    fc.constant({ delete: true } as const),
    fc.constant({ value: -0 }),
    ...(near !== undefined ? [fc.record({ value: near })] : []),
    fc.record({ value: fc.jsonValue({ maxDepth: 2 }) }),
    fc.record({ value: fc.constantFrom(...values) }),
    fc.record({ extraKey: fc.constantFrom(...extraKeys) }),
  );

const at = (u: unknown, path: Path): unknown => path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], u);

/** Applies `change` in place at the `n`th place of `u` (modulo their count); returns `u`. */
export function changeOnePlace<T>(u: T, n: number, change: OnePlaceChange): T {
  const all = placesOf(u);
  const path = all[n % all.length] ?? [];
  if ('extraKey' in change) {
    const target = at(u, path);
    // defineProperty, so `__proto__` becomes an own key as JSON.parse would make it.
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, change.extraKey, { value: 1, enumerable: true, configurable: true, writable: true });
    return u;
  }
  const parent = at(u, path.slice(0, -1)) as Record<string | number, unknown> | undefined;
  const key = path[path.length - 1];
  if (parent === undefined || key === undefined) return u;
  // JSON has no holes: an item leaves its list.
  if ('delete' in change) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else parent[key] = change.value;
  return u;
}
