import { durationMs, integerBetween, natsUrl, natsUserName, nonEmptyString } from './env-codecs.js';
import { envVar, optionalEnvVar } from './env-config.js';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * As whom a component connects to NATS (deploy/nats/ gives each component its own user, a JWT
 * in a .creds file). All unset: no credentials, for a server without users (most tests).
 * User and password stay for an operator's own nats-server with password users: Jetmesh's own
 * deployments (`jetmesh up`, deploy/) all run NATS JWT users.
 */
export const NatsCredentialsEnv = {
  natsUser: optionalEnvVar('JETMESH_NATS_USER', natsUserName, { requires: ['JETMESH_NATS_PASSWORD'] }),
  natsPassword: optionalEnvVar('JETMESH_NATS_PASSWORD', nonEmptyString, { requires: ['JETMESH_NATS_USER'], secret: true }),
  /**
   * A server in operator mode (NATS JWT users): the .creds file of this component's user
   * (deploy/nats/make-accounts.mjs writes one per component); takes the place of user and password.
   */
  natsCreds: optionalEnvVar('JETMESH_NATS_CREDS', nonEmptyString),
};

/** JetStream replicates a stream to at most 5 servers. */
export const MAX_STREAM_REPLICAS = 5;

/** Where and as whom a service reaches NATS: spread into its env spec (`...NatsEnv`). */
export const NatsEnv = {
  natsUrl: envVar('JETMESH_NATS_URL', natsUrl, DEFAULT_NATS_URL),
  ...NatsCredentialsEnv,
  /**
   * Copies of every stream and bucket the mesh provisions (ProvisionOptions.replicas in
   * @jetmesh/bus): 3 on a three-node cluster survives losing a node; 1 for a single server.
   */
  streamReplicas: envVar('JETMESH_STREAM_REPLICAS', integerBetween(1, MAX_STREAM_REPLICAS), 1),
  /**
   * How long a service keeps trying at start while NATS or its JetStream is not available yet
   * (ReadyWait in @jetmesh/bus): a cluster restarted as a whole elects its leaders meanwhile.
   */
  natsReadyTimeoutMs: envVar('JETMESH_NATS_READY_TIMEOUT', durationMs, 60_000),
};

/** The users of deploy/nats/mesh-users.conf: one per component, and the operator's (the CLI). */
export const MeshNatsUsers = ['galley', 'pilot', 'citadel', 'telemetry', 'proxy', 'admin'] as const;
export type MeshNatsUser = (typeof MeshNatsUsers)[number];
