/**
 * Keys of the mesh_snapshots bucket. KV keys allow [-/_=.a-zA-Z0-9] only, so a
 * wildcard label '*' (as in '*.example.com') is written '_wildcard_'; DNS
 * labels never contain '_', so the mapping is reversible.
 */

const hostPrefix = 'host.';
const workloadPrefix = 'workload.';
const wildcardLabel = '_wildcard_';
const dnsLabel = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** The dot-separated labels of `name`; throws when one is not a DNS label (or '*', if allowed). */
function dnsLabels(what: string, name: string, allowWildcard: boolean): string[] {
  const labels = name.split('.');
  for (const label of labels) {
    if (!(dnsLabel.test(label) || (allowWildcard && label === '*'))) {
      throw new TypeError(`"${name}" is not a ${what}: bad label "${label}"`);
    }
  }
  return labels;
}

/** The key holding the outbound snapshot of a destination host. */
export function snapshotKeyForHost(fqdn: string): string {
  const labels = dnsLabels('host name', fqdn, true);
  return hostPrefix + labels.map((label) => (label === '*' ? wildcardLabel : label)).join('.');
}

/** Inverse of snapshotKeyForHost; undefined when `key` is not a host key. */
export function hostForSnapshotKey(key: string): string | undefined {
  if (!key.startsWith(hostPrefix)) return undefined;
  const labels = key.slice(hostPrefix.length).split('.');
  const host = labels.map((label) => (label === wildcardLabel ? '*' : label)).join('.');
  try {
    dnsLabels('host name', host, true);
  } catch {
    return undefined;
  }
  return host;
}

/**
 * The key holding a workload's inbound snapshot. A namespace is a single DNS
 * label (no dots), so the first token after the prefix is the namespace.
 */
export function snapshotKeyForWorkload(namespace: string, name: string): string {
  if (!dnsLabel.test(namespace)) throw new TypeError(`"${namespace}" is not a namespace`);
  dnsLabels('workload name', name, false);
  return `${workloadPrefix}${namespace}.${name}`;
}

/** Inverse of snapshotKeyForWorkload; undefined when `key` is not a workload key. */
export function workloadForSnapshotKey(key: string): { namespace: string; name: string } | undefined {
  if (!key.startsWith(workloadPrefix)) return undefined;
  const rest = key.slice(workloadPrefix.length);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) return undefined;
  return { namespace: rest.slice(0, dot), name: rest.slice(dot + 1) };
}
