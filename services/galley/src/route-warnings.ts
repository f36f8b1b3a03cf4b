import { analyzeMesh, formatDiagnostic, refOf, type Diagnostic, type MeshResource, type MeshState } from '@jetmesh/model';

/**
 * What the analyzers (`jetmesh analyze`) say about the resources a change applies: `state` is
 * the state the change is planned against; the applied resources count as already there.
 * Only findings about those resources are reported, never old problems elsewhere.
 */
export const applyDiagnostics = (state: MeshState, applied: readonly MeshResource[]): Diagnostic[] =>
  applied.length === 0 ? [] : analyzeMesh({ state, proposed: applied, focus: applied.map(refOf) });

/** The same findings as istioctl prints them: `Warning [IST0101] (VirtualService default/x) …`. */
export const routeWarnings = (state: MeshState, applied: readonly MeshResource[]): string[] =>
  applyDiagnostics(state, applied).map((d) => formatDiagnostic(d));
