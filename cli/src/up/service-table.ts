import { MeshPorts, type MeshNatsUser } from '@jetmesh/runtime';
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
}

/** Started in this order, stopped in reverse. Citadel and telemetry join as one line each. */
export const meshServices: readonly ServiceSpec[] = [
  { name: 'galley', entry: 'services/galley/dist/src/main.js', portEnv: 'JETMESH_GALLEY_PORT', defaultPort: MeshPorts.galleyConfigApi, serves: 'gRPC config API', contextField: 'galleyAddress', natsUser: 'galley' },
  { name: 'pilot', entry: 'services/pilot/dist/src/main.js', portEnv: 'JETMESH_PILOT_XDS_PORT', defaultPort: MeshPorts.pilotXds, serves: 'xDS (ADS, SotW + delta); snapshots → KV mesh_snapshots', contextField: 'pilotXdsAddress', natsUser: 'pilot' },
  { name: 'citadel', entry: 'services/citadel/dist/src/main.js', portEnv: 'JETMESH_CITADEL_PORT', defaultPort: MeshPorts.citadelCa, serves: 'CA (gRPC over TLS): istio.v1.auth.IstioCertificateService + admin', contextField: 'citadelAddress', natsUser: 'citadel' },
  { name: 'telemetry', entry: 'services/telemetry/dist/src/main.js', portEnv: 'JETMESH_TELEMETRY_PORT', defaultPort: MeshPorts.telemetryMetrics, serves: "Istio metrics (/metrics) and jetmesh top's API (/api/v1/top)", natsUser: 'telemetry' },
];
