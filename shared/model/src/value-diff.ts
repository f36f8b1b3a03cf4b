/** One leaf that differs between two JSON values; `before`/`after` absent when the leaf is missing on that side. */
export interface ValueChange {
  /** As users write paths: `spec.http[1].route[0].weight`. */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const child = (path: string, key: string): string =>
  /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${JSON.stringify(key)}]`;

/**
 * Structural difference of two JSON values: objects key by key (sorted), lists index by index,
 * anything else compared whole. Deterministic, so two replicas print the same diff.
 */
export const diffValues = (before: unknown, after: unknown, path = ''): ValueChange[] => {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => {
      const b = before[k];
      const a = after[k];
      if (b === undefined && a === undefined) return [];
      if (b === undefined) return [{ path: child(path, k), after: a }];
      if (a === undefined) return [{ path: child(path, k), before: b }];
      return diffValues(b, a, child(path, k));
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: ValueChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= before.length) out.push({ path: p, after: after[i] });
      else if (i >= after.length) out.push({ path: p, before: before[i] });
      else out.push(...diffValues(before[i], after[i], p));
    }
    return out;
  }
  return before === after ? [] : [{ path, before, after }];
};
