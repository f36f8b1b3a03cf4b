import type { ApplyResponse, DeleteResponse, ResourceChange } from '@jetmesh/rpc';
import { ResourceKindNames, isResourceKind } from '@jetmesh/model/kinds';
import { type CliIo, printLines } from '../cli-io.js';
import { withConfigApi } from '../config-api.js';
import { readManifest } from '../input-files.js';

export interface ApplyOptions {
  readonly file: string;
  readonly namespace: string;
  readonly reason?: string;
  readonly dryRun?: boolean;
  /** Analyzer warnings refuse the change. */
  readonly strict?: boolean;
  /** The resourceVersion the (only) resource must be at: lost-update protection. */
  readonly expectVersion?: string;
  /** Same on every retry of one change (galley answers a recorded one instead of recording it again). */
  readonly requestId?: string;
}

/** kubectl's way of naming what changed: `virtualservice.networking.istio.io/reviews-route created`. */
export const describeChange = (c: ResourceChange, dryRun: boolean): string => {
  const kind = c.ref?.kind ?? 'unknown';
  const group = isResourceKind(kind) ? ResourceKindNames[kind].group : '';
  const ns = c.ref?.namespace && c.ref.namespace !== 'default' ? ` -n ${c.ref.namespace}` : '';
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}/${c.ref?.name ?? '?'}${ns} ${c.action}${dryRun ? ' (dry run)' : ''}`;
};

export const printChanges = (io: CliIo, res: ApplyResponse | DeleteResponse, dryRun: boolean): void => {
  printLines(io.stdout, res.changes.map((c) => describeChange(c, dryRun)));
  // Analyzer findings already read `Warning [IST0101] (VirtualService default/x) …`, as istioctl prints them.
  if ('warnings' in res) printLines(io.stderr, res.warnings);
  if (res.sequence > 0) io.stdout.write(`recorded as change #${res.sequence}\n`);
};

export const runApply = async (opts: ApplyOptions, io: CliIo): Promise<void> => {
  const yaml = await readManifest(opts.file, io.stdin);
  const res = await withConfigApi(io, (api) =>
    api.apply({
      yaml,
      defaultNamespace: opts.namespace,
      reason: opts.reason ?? '',
      dryRun: opts.dryRun ?? false,
      strict: opts.strict ?? false,
      expectVersion: opts.expectVersion ?? '',
      requestId: opts.requestId ?? '',
    }),
  );
  printChanges(io, res, opts.dryRun ?? false);
};
