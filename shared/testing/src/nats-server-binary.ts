import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const NATS_SERVER_BIN_ENV = 'JETMESH_NATS_SERVER_BIN';

const fallbackDirs = ['/usr/sbin', '/usr/local/bin', '/usr/bin'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** JETMESH_NATS_SERVER_BIN, then PATH, then the usual system directories. */
export function findNatsServerBinary(): string | undefined {
  const configured = process.env[NATS_SERVER_BIN_ENV];
  if (configured !== undefined && configured !== '') {
    return isExecutable(configured) ? configured : undefined;
  }
  const pathDirs = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const dir of [...pathDirs, ...fallbackDirs]) {
    const candidate = join(dir, 'nats-server');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}
