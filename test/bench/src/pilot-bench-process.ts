import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, launchProcess, repoRoot, waitForHttp, type ChildHandle } from '@jetmesh/testing';

/** A pilot process under bench, with its xDS and admin ports. */
export interface BenchPilot {
  readonly child: ChildHandle;
  readonly pid: number;
  readonly xdsPort: number;
  readonly adminPort: number;
}

/**
 * Starts pilot as its own process against `natsUrl` and waits until it is ready. `envName` names
 * the variable holding extra node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it).
 */
export const launchBenchPilot = async (natsUrl: string, envName: string): Promise<BenchPilot> => {
  const xdsPort = await freePort();
  const adminPort = await freePort();
  const nodeArgs = (process.env[envName] ?? '').split(' ').filter((a) => a !== '');
  const child = launchProcess(process.execPath, [...nodeArgs, join(repoRoot, 'services', 'pilot', 'dist', 'src', 'main.js')], {
    name: 'pilot',
    cwd: repoRoot,
    env: { JETMESH_NATS_URL: natsUrl, JETMESH_ADMIN_PORT: String(adminPort), JETMESH_PILOT_XDS_PORT: String(xdsPort), JETMESH_LOG_LEVEL: 'warn', JETMESH_PILOT_REPLICA: 'bench' },
  });
  await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, { timeoutMs: 30_000 });
  return { child, pid: child.pid as number, xdsPort, adminPort };
};

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) and resident memory (MB) of a process, from /proc. */
export const processUsage = (pid: number): { cpuSeconds: number; rssMb: number } => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may contain spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssMb: rssKb / 1024 };
};

/** One unlabelled sample of pilot's /metrics text, NaN when absent. */
export const metricValue = (text: string, name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);

export const metricsText = async (adminPort: number): Promise<string> => (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
