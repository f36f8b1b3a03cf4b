/**
 * Whether two plain data values serialize to the same canonical JSON (sorted keys, undefined
 * members dropped), decided without serializing either. A false answer only means "not proven
 * equal": anything that is not plain data (a Date, a Map, a class instance) compares unequal.
 * Used to carry a snapshot's content hash over when it is derived again unchanged.
 */
export const sameJson = (a: unknown, b: unknown): boolean => {
  // The same value serializes the same way, whatever it is.
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || !isPlainObject(a) || !isPlainObject(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let defined = 0;
  for (const key in ra) {
    const va = ra[key];
    if (va === undefined) continue;
    defined += 1;
    if (!Object.prototype.hasOwnProperty.call(rb, key) || !sameJson(va, rb[key])) return false;
  }
  for (const key in rb) if (rb[key] !== undefined) defined -= 1;
  return defined === 0;
};

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

