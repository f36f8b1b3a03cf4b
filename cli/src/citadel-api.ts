import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { Buckets, TrustKeys, openJsonBucket, type Bus } from '@jetmesh/bus';
import { TrustBundleCodec, trustBundlePem, type TrustBundle } from '@jetmesh/model';
import { caChannelCredentials, createCaAdminClient, type CaAdminClient } from '@jetmesh/rpc';
import { CliError, ExitCode } from './cli-error.js';
import { fromGrpcError } from './grpc-failure.js';
import type { CliIo } from './cli-io.js';
import { CONTEXT_DIR, findContextFile, readContextFile } from './context.js';
import { withMeshBus } from './mesh-bus.js';
import { MeshPorts } from '@jetmesh/runtime';

/*
 * Where the CLI finds citadel and how it proves it is the admin:
 *   address: JETMESH_CITADEL_ADDRESS, else `citadelAddress` in the context file, else 127.0.0.1:15012;
 *   admin secret: JETMESH_ADMIN_TOKEN, else the file JETMESH_ADMIN_TOKEN_FILE, else
 *   .jetmesh/admin-token next to the context file (or in the current directory), which citadel
 *   writes when `jetmesh up` runs it.
 * TLS trusts the mesh roots read from KV mesh_trust, the same bundle `jetmesh ca root` prints.
 */

export const CITADEL_ADDRESS_ENV = 'JETMESH_CITADEL_ADDRESS';
export const ADMIN_TOKEN_ENV = 'JETMESH_ADMIN_TOKEN';
export const ADMIN_TOKEN_FILE_ENV = 'JETMESH_ADMIN_TOKEN_FILE';
export const DEFAULT_CITADEL_ADDRESS = `127.0.0.1:${MeshPorts.citadelCa}`;
const ADMIN_TOKEN_FILE_NAME = 'admin-token';

export function citadelAddress(io: CliIo): string {
  const fromEnv = io.env[CITADEL_ADDRESS_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const file = findContextFile(io.env, io.cwd);
  const contents = file === undefined ? undefined : readContextFile(file);
  const recorded = contents !== undefined && E.isRight(contents) ? (contents.right as Record<string, unknown>).citadelAddress : undefined;
  return typeof recorded === 'string' && recorded !== '' ? recorded : DEFAULT_CITADEL_ADDRESS;
}

function adminToken(io: CliIo): string {
  const fromEnv = io.env[ADMIN_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  const named = io.env[ADMIN_TOKEN_FILE_ENV];
  const contextFile = findContextFile(io.env, io.cwd);
  const file =
    named !== undefined && named !== ''
      ? resolve(io.cwd, named)
      : contextFile !== undefined
        ? join(dirname(contextFile), ADMIN_TOKEN_FILE_NAME)
        : join(io.cwd, CONTEXT_DIR, ADMIN_TOKEN_FILE_NAME);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token !== '') return token;
  } catch {
    // Reported below, with what to do about it.
  }
  throw new CliError(ExitCode.rejected, [`no admin secret: ${file} is missing or empty (citadel writes it; or set ${ADMIN_TOKEN_ENV})`]);
}

/** TLS sends no IP address as SNI; citadel's certificate names localhost for loopback callers. */
function serverNameFor(address: string): string | undefined {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' ? 'localhost' : undefined;
}

/** The trust bundle from KV mesh_trust; a bus without it is not a mesh with a CA. */
export async function readTrustBundle(bus: Bus): Promise<TrustBundle> {
  let bundle;
  try {
    const bucket = await openJsonBucket(bus, Buckets.trust, TrustBundleCodec);
    bundle = await bucket.get(TrustKeys.roots);
  } catch (e) {
    throw new CliError(ExitCode.unreachable, [
      `no Jetmesh trust store on ${bus.nc.getServer()}: ${(e as Error).message} (is citadel running? npx jetmesh up starts it)`,
    ]);
  }
  if (bundle === undefined) throw new CliError(ExitCode.rejected, ['no trust bundle published yet: citadel has not started on this mesh']);
  return bundle.value;
}

/** Runs one admin call against citadel over TLS, failures as CLI errors. */
export const withCitadelAdmin = async <A>(io: CliIo, call: (client: CaAdminClient) => Promise<A>): Promise<A> => {
  const token = adminToken(io);
  const address = citadelAddress(io);
  const roots = await withMeshBus(io, async (bus) => trustBundlePem(await readTrustBundle(bus)));
  const serverName = serverNameFor(address);
  const client = createCaAdminClient(address, {
    credentials: caChannelCredentials({ rootsPem: roots }),
    adminToken: token,
    ...(io.env.JETMESH_ACTOR ? { actor: io.env.JETMESH_ACTOR } : {}),
    ...(serverName === undefined ? {} : { serverName }),
  });
  try {
    return await call(client);
  } catch (e) {
    throw fromGrpcError(e, `citadel at ${address}`) ?? e;
  } finally {
    client.close();
  }
};

