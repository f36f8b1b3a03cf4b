import { formatDiagnostic, type Diagnostic as ModelDiagnostic, type ResourceKind } from '@jetmesh/model';
import type { Diagnostic } from '@jetmesh/rpc';
import { ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withConfigApi } from '../config-api.js';
import { readManifest } from '../input-files.js';

export interface AnalyzeOptions {
  /** Manifests to analyze as if applied; none: the live configuration alone. */
  readonly files: readonly string[];
  readonly namespace: string;
  /** Warnings fail the run (exit 1) and print as errors. */
  readonly strict: boolean;
  readonly output: 'text' | 'json';
}

const asModel = (d: Diagnostic): ModelDiagnostic => ({
  code: d.code,
  name: d.name,
  level: d.level,
  ref: { kind: (d.ref?.kind ?? '') as ResourceKind, namespace: d.ref?.namespace ?? '', name: d.ref?.name ?? '' },
  path: d.path,
  message: d.message,
});

/**
 * `jetmesh analyze [-f FILE…] [--strict]`: istioctl analyze for the mesh. Galley lays the files'
 * resources over its live state (publishing nothing) and runs every analyzer; one line each.
 * Errors (IST0106: a file apply would refuse) fail the run as istioctl's do; warnings only with --strict.
 */
export const runAnalyze = async (opts: AnalyzeOptions, io: CliIo): Promise<number> => {
  const manifests = await Promise.all(opts.files.map((f) => readManifest(f, io.stdin)));
  const res = await withConfigApi(io, (api) => api.analyze({ yaml: manifests.join('\n---\n'), defaultNamespace: opts.namespace }));
  const failing = res.diagnostics.filter((d) => d.level === 'Error' || (opts.strict && d.level !== 'Info'));
  if (opts.output === 'json') io.stdout.write(`${JSON.stringify(res.diagnostics, null, 2)}\n`);
  else if (res.diagnostics.length === 0) io.stdout.write(`✔ No validation issues found (configuration at change #${res.sequence}).\n`);
  else printLines(io.stdout, res.diagnostics.map((d) => formatDiagnostic(asModel(d), opts.strict && d.level !== 'Info' ? 'Error' : d.level)));
  return failing.length > 0 ? ExitCode.rejected : ExitCode.ok;
};
