import { parseAllDocuments, stringify } from 'yaml';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeResource, encodeResource, formatInvalid, formatRef, refOf, type MeshResource } from '@jetmesh/model';
import { errorLinesOf, isServiceError } from '@jetmesh/rpc';
import { status } from '@grpc/grpc-js';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withConfigApi } from '../config-api.js';
import { readManifest } from '../input-files.js';
import { unifiedHunks } from '../render/unified-diff.js';

export interface DiffFileOptions {
  readonly file: string;
  readonly namespace: string;
}

/** kubectl diff's contract: 0 no differences, 1 differences found (errors keep their own codes). */
export const DiffExit = { same: 0, different: 1 } as const;

/** Decodes every document of the manifest as galley would; every problem of every document at once. */
const decodeManifest = (text: string, namespace: string): MeshResource[] => {
  const problems: string[] = [];
  const resources: MeshResource[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      problems.push(...doc.errors.map((e) => `document ${i + 1}: ${e.message.split('\n')[0] ?? ''}`));
      return;
    }
    const content = doc.toJS() as unknown;
    if (content === null || content === undefined) return;
    const r = decodeResource(content, namespace);
    if (isLeft(r)) problems.push(...r.left.map((e) => `document ${i + 1}: ${formatInvalid(e)}`));
    else resources.push(r.right.resource);
  });
  if (problems.length > 0) throw new CliError(ExitCode.rejected, problems);
  return resources;
};

/** The stored form, so a field the user left at its default does not show up as a difference. */
const asYaml = (r: MeshResource | undefined): string => (r === undefined ? '' : stringify(encodeResource(r)));

/**
 * `jetmesh diff -f FILE`: what applying the manifest would change, as a unified diff of each
 * resource's live YAML against the manifest's, resource by resource. Reads only.
 */
export const runDiffFile = async (opts: DiffFileOptions, io: CliIo): Promise<number> => {
  const proposed = decodeManifest(await readManifest(opts.file, io.stdin), opts.namespace);
  const live = await withConfigApi(io, (api) =>
    Promise.all(
      proposed.map(async (r) => {
        try {
          const got = JSON.parse((await api.get({ ref: refOf(r) })).resourceJson) as { metadata: { resourceVersion?: string } };
          const decoded = decodeResource(got);
          return { resource: isLeft(decoded) ? undefined : decoded.right.resource, version: got.metadata.resourceVersion };
        } catch (e) {
          if (isServiceError(e) && e.code === status.NOT_FOUND) return { resource: undefined, version: undefined };
          if (isServiceError(e)) throw new CliError(ExitCode.rejected, errorLinesOf(e));
          throw e;
        }
      }),
    ),
  );
  let different = false;
  proposed.forEach((r, i) => {
    const now = live[i];
    const hunks = unifiedHunks(asYaml(now?.resource), asYaml(r));
    if (hunks.length === 0) return;
    different = true;
    const name = formatRef(refOf(r));
    printLines(io.stdout, [
      `--- live ${name}${now?.version !== undefined ? ` (resourceVersion ${now.version})` : ' (does not exist)'}`,
      `+++ ${opts.file === '-' ? 'stdin' : opts.file} ${name}`,
      ...hunks,
    ]);
  });
  return different ? DiffExit.different : DiffExit.same;
};
