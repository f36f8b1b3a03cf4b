import type { MeshNatsUser } from '@jetmesh/runtime';
// The ports alone: the package's index (admin server, metrics, launchers) costs every CLI command ~0.2 s to load.
import { MeshPorts } from '@jetmesh/runtime/mesh-ports';
/** Which MeshContext address a service's main port becomes. */
export type ContextAddressField = 'galleyAddress' | 'pilotXdsAddress' | 'citadelAddress';

/** One control-plane service `jetmesh up` runs. */
export interface ServiceSpec {
  readonly name: string;
  /** Built entry, relative to the repository root (or absolute). */
  readonly entry: string;
  /** The variable that tells the service its main port. */
  readonly portEnv: string;
  /** Used when free; 0 means any free port. */
  readonly defaultPort: number;
  /** What the main port serves, for the status table. */
  readonly serves: string;
  readonly contextField?: ContextAddressField;
  /** Its user in deploy/nats/, when `up` runs its own nats-server. */
  readonly natsUser?: MeshNatsUser;
  /** The variable naming the replica in its logs, metrics and audit events, when the service has one. */
  readonly replicaEnv?: string;
  /** Variables set to another service's address (`host:port` of the one with that contextField). */
  readonly addressEnv?: Readonly<Record<string, ContextAddressField>>;
}

/**
 * Started in this order, stopped in reverse. Citadel and telemetry join as one line each. The console
 * reads what the CLI reads (the log, the token keys, telemetry's top), so it connects as the CLI's user.
 */
export const meshServices: readonly ServiceSpec[] = [
  { name: 'galley', entry: 'services/galley/dist/src/main.js', portEnv: 'JETMESH_GALLEY_PORT', defaultPort: MeshPorts.galleyConfigApi, serves: 'gRPC config API', contextField: 'galleyAddress', natsUser: 'galley' },
  { name: 'pilot', entry: 'services/pilot/dist/src/main.js', portEnv: 'JETMESH_PILOT_XDS_PORT', defaultPort: MeshPorts.pilotXds, serves: 'xDS (ADS, SotW + delta); snapshots → KV mesh_snapshots', contextField: 'pilotXdsAddress', natsUser: 'pilot', replicaEnv: 'JETMESH_PILOT_REPLICA' },
  { name: 'citadel', entry: 'services/citadel/dist/src/main.js', portEnv: 'JETMESH_CITADEL_PORT', defaultPort: MeshPorts.citadelCa, serves: 'CA (gRPC over TLS): istio.v1.auth.IstioCertificateService + admin', contextField: 'citadelAddress', natsUser: 'citadel', replicaEnv: 'JETMESH_CITADEL_REPLICA' },
  { name: 'telemetry', entry: 'services/telemetry/dist/src/main.js', portEnv: 'JETMESH_TELEMETRY_PORT', defaultPort: MeshPorts.telemetryMetrics, serves: "Istio metrics (/metrics) and jetmesh top's API (/api/v1/top)", natsUser: 'telemetry', replicaEnv: 'JETMESH_TELEMETRY_REPLICA' },
  { name: 'console', entry: 'services/console/dist/src/main.js', portEnv: 'JETMESH_CONSOLE_PORT', defaultPort: MeshPorts.console, serves: 'web console (HTTP; `jetmesh dashboard` opens it)', natsUser: 'admin', addressEnv: { JETMESH_GALLEY_ADDRESS: 'galleyAddress' } },
];
