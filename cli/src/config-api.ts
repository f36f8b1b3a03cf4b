// The config client alone: the package's index also loads the CA's protos and jose (token checks), which no config command uses.
import { type ConfigClient, createConfigClient } from '@jetmesh/rpc/config-client';
import { fromGrpcError } from './grpc-failure.js';
import type { CliIo } from './cli-io.js';
import { configToken } from './config-token.js';
import { resolveContext } from './context.js';

/** Runs one call against galley's config API and turns its failures into CLI errors. */
export const withConfigApi = async <A>(io: CliIo, call: (client: ConfigClient) => Promise<A>): Promise<A> => {
  const ctx = resolveContext(io.env, io.cwd);
  const token = configToken(io.env, io.cwd);
  const client = createConfigClient(ctx.galleyAddress, {
    ...(io.env.JETMESH_ACTOR ? { actor: io.env.JETMESH_ACTOR } : {}),
    ...(token === undefined ? {} : { token }),
    deadlineMs: 30_000,
  });
  try {
    return await call(client);
  } catch (e) {
    throw fromGrpcError(e, `galley at ${ctx.galleyAddress}`) ?? e;
  } finally {
    client.close();
  }
};
