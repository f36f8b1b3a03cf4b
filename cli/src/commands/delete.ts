import { kindFromName } from '@jetmesh/model/kinds';
import { CliError, ExitCode } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { withConfigApi } from '../config-api.js';
import { readManifest } from '../input-files.js';
import { printChanges } from './apply.js';

export interface DeleteOptions {
  readonly file?: string;
  readonly kind?: string;
  readonly names: readonly string[];
  readonly namespace: string;
  readonly reason?: string;
  readonly dryRun?: boolean;
  /** As apply's. */
  readonly requestId?: string;
}

/** `delete -f FILE` or `delete KIND NAME… -n NS`: one ChangeSet either way. */
export const runDelete = async (opts: DeleteOptions, io: CliIo): Promise<void> => {
  if ((opts.file === undefined) === (opts.kind === undefined)) {
    throw new CliError(ExitCode.usage, ['delete takes either -f FILE or KIND NAME…']);
  }
  let yaml = '';
  let refs: Array<{ kind: string; namespace: string; name: string }> = [];
  if (opts.file !== undefined) {
    yaml = await readManifest(opts.file, io.stdin);
  } else {
    const kind = kindFromName(opts.kind ?? '');
    if (kind === undefined) throw new CliError(ExitCode.rejected, [`unknown resource kind "${opts.kind}"`]);
    if (opts.names.length === 0) throw new CliError(ExitCode.usage, [`delete ${opts.kind} needs at least one NAME`]);
    refs = opts.names.map((name) => ({ kind, namespace: opts.namespace, name }));
  }
  const res = await withConfigApi(io, (api) =>
    api.delete({ yaml, refs, defaultNamespace: opts.namespace, reason: opts.reason ?? '', dryRun: opts.dryRun ?? false, requestId: opts.requestId ?? '' }),
  );
  printChanges(io, res, opts.dryRun ?? false);
};
