/** Default ports of the mesh (DESIGN.md's table), for the services and the CLI alike. */
export const MeshPorts = {
  galleyConfigApi: 15017,
  pilotXds: 15010,
  citadelCa: 15012,
  /** Telemetry: Istio's standard metrics (`/metrics`) and the `jetmesh top` API. */
  telemetryMetrics: 15014,
  /** A sidecar's ports (Istio's numbers): the app's outbound traffic, mesh inbound, admin. */
  proxyOutbound: 15001,
  proxyInbound: 15006,
  proxyAdmin: 15000,
  /** The web console (DESIGN.md's table has none: the next free number of the 150xx range). */
  console: 15090,
} as const;
