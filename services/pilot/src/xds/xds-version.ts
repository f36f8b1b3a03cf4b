import type { SnapshotVersion } from '@jetmesh/model';

/*
 * xDS versions are log positions, `config.registry` (e.g. `12.7`): the same on every replica for
 * the same events, so a client moving to another replica can tell whether it is behind.
 */

export const NO_VERSION: SnapshotVersion = { config: 0, registry: 0 };

/** A version string a client sent back, undefined for anything else (an empty string, another server's scheme). */
export const parseVersion = (text: string): SnapshotVersion | undefined => {
  const m = /^(\d+)\.(\d+)$/.exec(text);
  return m === null ? undefined : { config: Number(m[1]), registry: Number(m[2]) };
};

/** The later of two positions on each stream: what a response reflecting both is labelled. */
export const laterOf = (a: SnapshotVersion, b: SnapshotVersion): SnapshotVersion =>
  a.config >= b.config && a.registry >= b.registry ? a : b.config >= a.config && b.registry >= a.registry ? b : { config: Math.max(a.config, b.config), registry: Math.max(a.registry, b.registry) };
