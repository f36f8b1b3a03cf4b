import { kindFromName } from '@jetmesh/model/kinds';
import { CliError, ExitCode } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import { withConfigApi } from '../config-api.js';
import { type OutputFormat, type StoredDocument, renderResources } from '../render/resource-output.js';

export interface GetOptions {
  readonly kind: string;
  readonly name?: string;
  readonly namespace: string;
  readonly allNamespaces: boolean;
  readonly output: OutputFormat;
}

export const runGet = async (opts: GetOptions, io: CliIo): Promise<void> => {
  const kind = kindFromName(opts.kind);
  if (kind === undefined) throw new CliError(ExitCode.rejected, [`unknown resource kind "${opts.kind}"`]);
  const docs = await withConfigApi(io, async (api) => {
    if (opts.name !== undefined) {
      const res = await api.get({ ref: { kind, namespace: opts.namespace, name: opts.name } });
      return [JSON.parse(res.resourceJson) as StoredDocument];
    }
    const res = await api.list({ kind, namespace: opts.allNamespaces ? '' : opts.namespace, allNamespaces: opts.allNamespaces });
    return res.resourcesJson.map((j) => JSON.parse(j) as StoredDocument);
  });
  if (docs.length === 0 && opts.output === 'table') {
    io.stderr.write(opts.allNamespaces ? 'No resources found\n' : `No resources found in ${opts.namespace} namespace.\n`);
    return;
  }
  io.stdout.write(await renderResources(docs, opts.output, { allNamespaces: opts.allNamespaces, single: opts.name !== undefined }));
};
