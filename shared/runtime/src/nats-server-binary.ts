import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const NATS_SERVER_BIN_ENV = 'JETMESH_NATS_SERVER_BIN';

// Debian installs nats-server in /usr/sbin, which is often off a non-root PATH.
const fallbackDirs = ['/usr/sbin', '/usr/local/bin', '/usr/bin'];

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** JETMESH_NATS_SERVER_BIN, then PATH, then the usual system directories. */
export const findNatsServerBinary = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const configured = env[NATS_SERVER_BIN_ENV];
  if (configured !== undefined && configured !== '') return isExecutable(configured) ? configured : undefined;
  const pathDirs = (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  return [...pathDirs, ...fallbackDirs].map((dir) => join(dir, 'nats-server')).find(isExecutable);
};
