import { join } from 'node:path';
import { freePort } from '@jetmesh/runtime';
import { type ChildHandle, launchProcess } from './launch-process.js';
import type { MeshProcesses } from './mesh-processes.js';
import { repoRoot } from './repo-root.js';
import { waitForHttp } from './wait-for-http.js';

export interface TelemetryProcess {
  readonly replica: string;
  /** The metrics port: Istio's /metrics and /api/v1/top. */
  readonly metricsUrl: string;
  /** The admin port: /readyz and the service's own /metrics (jetmesh_telemetry_*). */
  readonly adminUrl: string;
  readonly child: ChildHandle;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const telemetryEntry = join(repoRoot, 'services', 'telemetry', 'dist', 'src', 'main.js');

/** A telemetry replica as a real process beside a test's mesh (as the telemetry NATS user when the mesh runs deploy/nats/), on free loopback ports. */
export async function startTelemetryProcess(mesh: Pick<MeshProcesses, 'nats' | 'meshNats'>, opts: { replica?: string; env?: Record<string, string> } = {}): Promise<TelemetryProcess> {
  const [metricsPort, adminPort] = [await freePort(), await freePort()];
  const replica = opts.replica ?? `telemetry-${metricsPort}`;
  const env: Record<string, string> = {
    JETMESH_LOG_LEVEL: process.env.JETMESH_TEST_LOG_LEVEL ?? 'warn',
    ...(mesh.meshNats?.envFor('telemetry') ?? { JETMESH_NATS_URL: mesh.nats.url }),
    JETMESH_TELEMETRY_PORT: String(metricsPort),
    JETMESH_ADMIN_PORT: String(adminPort),
    JETMESH_TELEMETRY_REPLICA: replica,
    ...opts.env,
  };
  const child = launchProcess(process.execPath, [telemetryEntry], { name: `telemetry ${replica}`, env, cwd: repoRoot });
  try {
    await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, { timeoutMs: 20_000 });
  } catch (e) {
    await child.stop('SIGKILL');
    throw new Error(`telemetry ${replica} did not become ready: ${(e as Error).message}\n${child.output().slice(-4000)}`);
  }
  return { replica, metricsUrl: `http://127.0.0.1:${metricsPort}`, adminUrl: `http://127.0.0.1:${adminPort}`, child, stop: (signal) => child.stop(signal) };
}
