import { hostname } from 'node:os';
import { AdminEnv, MeshPorts, envVar, logLevel, NatsEnv, nonEmptyString, port, type ConfigOf } from '@jetmesh/runtime';

export const PILOT_XDS_PORT = MeshPorts.pilotXds;

/** Pilot's whole configuration, read once from the environment by main. */
export const PilotEnv = {
  ...NatsEnv,
  // 0: any free port, so replicas on one host never clash; the admin endpoints are for the local supervisor.
  ...AdminEnv,
  logLevel: envVar('JETMESH_LOG_LEVEL', logLevel, 'info'),
  /** ADS (state-of-the-world and delta xDS) for grpc-js-xds clients and Envoy. */
  xdsPort: envVar('JETMESH_PILOT_XDS_PORT', port, PILOT_XDS_PORT),
  xdsHost: envVar('JETMESH_PILOT_XDS_HOST', nonEmptyString, '127.0.0.1'),
  /** Names this replica in logs and on the NATS connection. */
  replica: envVar('JETMESH_PILOT_REPLICA', nonEmptyString, `${hostname()}-${process.pid}`),
};

export type PilotConfig = ConfigOf<typeof PilotEnv>;
