import type { ResourceTypeUrl } from './type-urls.js';
import type { XdsChange } from './xds-cache.js';

/**
 * Which streams watch which resource names, so a change pushes only to the streams that watch
 * it: a lookup per changed name instead of a scan over every stream.
 */
export class WatchIndex<S> {
  private readonly byName = new Map<ResourceTypeUrl, Map<string, Set<S>>>();
  private readonly wildcard = new Map<ResourceTypeUrl, Set<S>>();

  watch(stream: S, type: ResourceTypeUrl, keys: Iterable<string>): void {
    let names = this.byName.get(type);
    if (names === undefined) this.byName.set(type, (names = new Map()));
    for (const key of keys) {
      let set = names.get(key);
      if (set === undefined) names.set(key, (set = new Set()));
      set.add(stream);
    }
  }

  unwatch(stream: S, type: ResourceTypeUrl, keys: Iterable<string>): void {
    const names = this.byName.get(type);
    if (names === undefined) return;
    for (const key of keys) {
      const set = names.get(key);
      set?.delete(stream);
      if (set?.size === 0) names.delete(key);
    }
  }

  watchAll(stream: S, type: ResourceTypeUrl, on: boolean): void {
    let set = this.wildcard.get(type);
    if (set === undefined) this.wildcard.set(type, (set = new Set()));
    if (on) set.add(stream);
    else set.delete(stream);
  }

  /** Every stream that watches something the change touched, with the types it must hear about. */
  affected(change: XdsChange): Map<S, Set<ResourceTypeUrl>> {
    const out = new Map<S, Set<ResourceTypeUrl>>();
    const add = (s: S, type: ResourceTypeUrl) => {
      let types = out.get(s);
      if (types === undefined) out.set(s, (types = new Set()));
      types.add(type);
    };
    for (const names of [change.changed, change.removed]) {
      for (const [type, set] of names) {
        for (const s of this.wildcard.get(type) ?? []) add(s, type);
        const index = this.byName.get(type);
        if (index === undefined) continue;
        for (const name of set) for (const s of index.get(name) ?? []) add(s, type);
      }
    }
    return out;
  }
}
