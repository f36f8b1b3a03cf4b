/** Default ports of the mesh (DESIGN.md's table), for the services and the CLI alike. */
export const MeshPorts = {
  galleyConfigApi: 15017,
  pilotXds: 15010,
  citadelCa: 15012,
} as const;
