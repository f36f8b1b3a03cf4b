import { type VersionedSnapshot, fqdn } from '@jetmesh/model';
import { openSnapshotStore, snapshotKeyForHost } from '@jetmesh/bus';
import { CliError, ExitCode } from '../cli-error.js';
import { type CliIo, printLines } from '../cli-io.js';
import { withMeshBus } from '../mesh-bus.js';
import { renderRouteTable } from '../render/route-table.js';

export interface RoutesOptions {
  readonly host: string;
  readonly namespace: string;
  readonly output: 'table' | 'json';
}

/** Prints the routing snapshot pilot published for a host, read straight from KV. */
export const runRoutes = async (opts: RoutesOptions, io: CliIo): Promise<void> => {
  const host = fqdn(opts.host, opts.namespace);
  let key: string;
  try {
    key = snapshotKeyForHost(host);
  } catch (e) {
    throw new CliError(ExitCode.rejected, [(e as Error).message]);
  }
  const entry = await withMeshBus(io, async (bus) => {
    let store;
    try {
      store = await openSnapshotStore(bus);
    } catch (e) {
      // A NATS without the bucket is not a Jetmesh bus (often someone else's server on 4222).
      throw new CliError(ExitCode.unreachable, [
        `no Jetmesh snapshot store on ${bus.nc.getServer()}: ${(e as Error).message} (start the mesh with npx jetmesh up, or set JETMESH_NATS_URL)`,
      ]);
    }
    return store.get(key);
  });
  if (entry === undefined) {
    throw new CliError(ExitCode.rejected, [
      `no routing snapshot for ${host}: no ServiceEntry or VirtualService defines it, or pilot is not running`,
    ]);
  }
  const snapshot = entry.value as VersionedSnapshot;
  if (opts.output === 'json') io.stdout.write(JSON.stringify({ ...snapshot, revision: entry.revision }, null, 2) + '\n');
  else printLines(io.stdout, renderRouteTable(snapshot));
};
