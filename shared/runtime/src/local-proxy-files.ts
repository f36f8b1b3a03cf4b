import { join } from 'node:path';

/**
 * Where local proxies keep their state (relative to the working directory): one folder per
 * proxy, `<namespace>.<name>`, holding its last good snapshots, its certificate, and the file
 * that tells `jetmesh proxy-config` its admin URL.
 */
export const LocalProxyFiles = {
  dir: join('.jetmesh', 'proxies'),
  stateDir: (namespace: string, name: string): string => join('.jetmesh', 'proxies', `${namespace}.${name}`),
  adminAddress: 'admin.json',
} as const;
