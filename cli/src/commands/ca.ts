import { trustBundlePem } from '@jetmesh/model';
import type { CliIo } from '../cli-io.js';
import { readTrustBundle, withCitadelAdmin } from '../citadel-api.js';
import { withMeshBus } from '../mesh-bus.js';

/** `jetmesh ca root`: every currently trusted root, PEM, on stdout (for openssl, curl, an Envoy or a file). */
export const runCaRoot = async (opts: { readonly output: 'pem' | 'json' }, io: CliIo): Promise<void> => {
  const bundle = await withMeshBus(io, readTrustBundle);
  if (opts.output === 'json') io.stdout.write(`${JSON.stringify(bundle, null, 2)}\n`);
  else io.stdout.write(trustBundlePem(bundle));
};

/** `jetmesh ca rotate`: starts a root rotation and says when each step happens. */
export const runCaRotate = async (opts: { readonly reason?: string }, io: CliIo): Promise<void> => {
  const started = await withCitadelAdmin(io, (admin) => admin.rotateRoot({ reason: opts.reason ?? '' }));
  io.stdout.write(
    [
      `root rotation started: new root ${started.newRootId} is trusted from now on`,
      `  issuing from ${started.newRootId} at ${started.activatesAt}`,
      `  old root ${started.oldRootId} removed from the trust bundle at ${started.oldRootRemovedAt}`,
      '',
    ].join('\n'),
  );
};
