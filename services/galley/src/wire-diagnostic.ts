import type { Diagnostic as ModelDiagnostic } from '@jetmesh/model';
import type { Diagnostic } from '@jetmesh/rpc';

/** An analyzer finding as the config API sends it. */
export const wireDiagnostic = (d: ModelDiagnostic): Diagnostic => ({
  code: d.code,
  name: d.name,
  level: d.level,
  ref: { kind: d.ref.kind, namespace: d.ref.namespace, name: d.ref.name },
  path: d.path,
  message: d.message,
});
