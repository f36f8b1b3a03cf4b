import { nonEmptyString, port } from './env-codecs.js';
import { envVar } from './env-config.js';

/** Where a service's admin server (/healthz, /readyz, /metrics) listens: spread into its env spec (`...AdminEnv`). */
export const AdminEnv = {
  /** 0 picks a free port (a local supervisor reads it from the log); a pod names one for its probes. */
  adminPort: envVar('JETMESH_ADMIN_PORT', port, 0),
  /** Loopback by default; 0.0.0.0 in a pod, where the kubelet probes the pod's address. */
  adminHost: envVar('JETMESH_ADMIN_HOST', nonEmptyString, '127.0.0.1'),
};
