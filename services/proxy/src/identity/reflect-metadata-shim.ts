/*
 * @peculiar/x509 resolves its providers through tsyringe, which refuses to load
 * without the Reflect metadata API. This is the part of that API tsyringe calls,
 * installed only when no full polyfill (reflect-metadata) is present. Imported
 * before @peculiar/x509, so it runs first.
 */

type Target = object;
const store = new WeakMap<Target, Map<unknown, unknown>>();

const own = (target: Target, create: boolean): Map<unknown, unknown> | undefined => {
  let map = store.get(target);
  if (map === undefined && create) {
    map = new Map();
    store.set(target, map);
  }
  return map;
};

interface ReflectMetadata {
  getMetadata?: (key: unknown, target: Target) => unknown;
  getOwnMetadata?: (key: unknown, target: Target) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: Target) => void;
  hasMetadata?: (key: unknown, target: Target) => boolean;
  metadata?: (key: unknown, value: unknown) => (target: Target) => void;
}

const reflect = Reflect as unknown as ReflectMetadata;
if (typeof reflect.getMetadata !== 'function') {
  const lookup = (key: unknown, target: Target): { found: boolean; value: unknown } => {
    for (let t: Target | null = target; t !== null; t = Object.getPrototypeOf(t) as Target | null) {
      const map = own(t, false);
      if (map?.has(key)) return { found: true, value: map.get(key) };
    }
    return { found: false, value: undefined };
  };
  reflect.getOwnMetadata = (key, target) => own(target, false)?.get(key);
  reflect.getMetadata = (key, target) => lookup(key, target).value;
  reflect.hasMetadata = (key, target) => lookup(key, target).found;
  reflect.defineMetadata = (key, value, target) => void own(target, true)?.set(key, value);
  reflect.metadata = (key, value) => (target) => void own(target, true)?.set(key, value);
}

export {};
