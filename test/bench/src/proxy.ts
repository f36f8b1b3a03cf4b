import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@jetmesh/runtime';
import { type ChildHandle, type MeshProcesses, type ProxyProcess, eventually, launchProcess, startMeshProcesses, startProxyProcess } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';
import { percentile } from './stats.js';

/*
 * Issue 10's proxy benchmark, Istio's published setup: 1,000 requests/s of 1 KiB over 16
 * connections, latency added by client proxy → server proxy (mTLS) over calling the app
 * directly, in the same run; each proxy's CPU and RSS at that rate; and the most one proxy
 * forwards (closed loop, wrk) beside the http-proxy npm package in front of the same app.
 */

const run = promisify(execFile);
const processes = fileURLToPath(new URL('./proxy-bench-processes.js', import.meta.url));
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const RATE = 1_000;
const CONNECTIONS = 16;
const SECONDS = quick ? 5 : 15;
const WRK_SECONDS = quick ? 3 : 8;
const BENCH = 'proxy';

const startRole = async (role: string, args: string[]): Promise<ChildHandle> => {
  const child = launchProcess(process.execPath, [processes, role, ...args], { name: `bench ${role}` });
  await child.waitForOutput(/ready/, 10_000);
  return child;
};

interface LoadResult {
  readonly latencies: number[];
  readonly errors: number;
  readonly sent: number;
  /** Wall time from the first scheduled send to the last answer: longer than SECONDS when the path fell behind. */
  readonly seconds: number;
  /** The load generator's own CPU (user + system). */
  readonly cpuSeconds: number;
}

const constantRate = async (port: number, host: string, rate = RATE): Promise<LoadResult> => {
  const { stdout } = await run(process.execPath, [processes, 'load', String(port), host, String(rate), String(CONNECTIONS), String(SECONDS)], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as LoadResult;
};

/**
 * CPU seconds (user + system) and RSS of a process, from /proc; `anonMb` is the part that is the
 * process's own (heap, malloc), without the file pages (the node binary) every node process shares.
 */
const usage = (pid: number): { cpuSeconds: number; rssMb: number; anonMb: number } => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { cpuSeconds: ticks / 100, rssMb: kb('VmRSS'), anonMb: kb('RssAnon') };
};

/** Busy CPU seconds of the whole machine (every core), from /proc/stat. */
const machineBusySeconds = (): number => {
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) / 100;
};

/** CPU seconds of this process and every live descendant (the bench's control plane, proxies, app). */
const benchTreeCpuSeconds = (): number => {
  const procs = new Map<number, { ppid: number; cpu: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(name), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // gone meanwhile
    }
  }
  const ours = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = procs.get(p)?.ppid ?? 0, hops++) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { cpu }] of procs) if (ours(pid)) total += cpu;
  return total;
};

const wrkRps = async (port: number, host: string, connections = 32): Promise<number> => {
  const { stdout } = await run('wrk', ['-t2', `-c${connections}`, `-d${WRK_SECONDS}s`, '-H', `Host: ${host}`, `http://127.0.0.1:${port}/bench`]);
  const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (m === null) throw new Error(`wrk printed no rate:\n${stdout}`);
  if (/Non-2xx/.test(stdout)) throw new Error(`wrk saw errors:\n${stdout}`);
  return Number(m[1]);
};

export async function proxyBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-bench-'));
  const children: ChildHandle[] = [];
  const proxies: ProxyProcess[] = [];
  let mesh: MeshProcesses | undefined;
  try {
    const appPort = await freePort();
    children.push(await startRole('app', [String(appPort)]));
    mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'] });
    const applied = await mesh.cli(
      ['apply', '-f', '-'],
      `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: bench}
spec: {hosts: [bench], location: MESH_INTERNAL, resolution: STATIC, ports: [{number: 9080, name: http, protocol: HTTP}], workloadSelector: {labels: {app: bench}}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: direct}
spec: {hosts: [direct.bench.test], location: MESH_EXTERNAL, resolution: STATIC, ports: [{number: 80, name: http, protocol: HTTP}], endpoints: [{address: 127.0.0.1, ports: {http: ${appPort}}}]}
`,
    );
    if (applied.code !== 0) throw new Error(applied.stderr);
    const token = async (sa: string): Promise<string> => {
      const r = await mesh!.cli(['token', 'create', '--namespace', 'default', '--service-account', sa]);
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout.trim();
    };
    const quiet = { JETMESH_PROXY_ACCESS_LOG: 'false', JETMESH_LOG_LEVEL: 'warn', };
    // BENCH_PROXY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles both proxies.
    const nodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const server = await startProxyProcess(mesh, { service: 'bench', labels: { app: 'bench', version: 'v1' }, port: 9080, appPort, token: await token('bench'), stateDir: join(dir, 'server'), env: quiet, nodeArgs });
    proxies.push(server);
    const client = await startProxyProcess(mesh, { service: 'client', labels: { app: 'client' }, port: 9080, appPort: await freePort(), token: await token('client'), stateDir: join(dir, 'client'), env: quiet, nodeArgs });
    proxies.push(client);
    // The server proxy registers itself; wait until the client routes to it.
    await eventually(async () => {
      const r = await constantRateProbe(client.outboundPort, 'bench:9080');
      return r === 200 ? true : undefined;
    }, 'the client proxy routing to the server proxy', 20_000);
    const idleNode = await startRole('idle', []);
    children.push(idleNode);
    // Idle means ready and routed (one probe request), before the warm-up's load.
    const idle = { client: usage(client.child.pid!), server: usage(server.child.pid!), node: usage(idleNode.pid!) };
    await wrkRps(client.outboundPort, 'bench:9080'); // warm up both proxies (JIT, sessions)

    const direct = await constantRate(appPort, 'app');
    const [c0, s0] = [usage(client.child.pid!), usage(server.child.pid!)];
    const [machine0, tree0] = [machineBusySeconds(), benchTreeCpuSeconds()];
    const meshed = await constantRate(client.outboundPort, 'bench:9080');
    const [machine1, tree1] = [machineBusySeconds(), benchTreeCpuSeconds()];
    const [c1, s1] = [usage(client.child.pid!), usage(server.child.pid!)];
    // CPU seconds per request × 1,000 = vCPU at 1,000 rps, whatever rate the path actually sustained.
    const vcpuPer1k = (a: { cpuSeconds: number }, b: { cpuSeconds: number }): number => ((b.cpuSeconds - a.cpuSeconds) / meshed.latencies.length) * 1000;
    const achieved = meshed.latencies.length / meshed.seconds;
    // Other sessions' builds and tests share this machine: what they burnt during the measured run.
    const othersVcpu = (machine1 - machine0 - (tree1 - tree0) - meshed.cpuSeconds) / meshed.seconds;
    const machineVcpu = (machine1 - machine0) / meshed.seconds;

    // The same at a fifth of the rate: what a request costs through the proxies when the machine is not saturated.
    const lightDirect = await constantRate(appPort, 'app', RATE / 5);
    const lightMeshed = await constantRate(client.outboundPort, 'bench:9080', RATE / 5);
    const meshMax = await wrkRps(client.outboundPort, 'bench:9080', CONNECTIONS);
    const plainProxy = await wrkRps(client.outboundPort, 'direct.bench.test');
    const httpProxyPort = await freePort();
    children.push(await startRole('http-proxy', [String(httpProxyPort), String(appPort)]));
    const baselineProxy = await wrkRps(httpProxyPort, 'direct.bench.test');
    const directMax = await wrkRps(appPort, 'app');

    const p = (xs: number[], q: number): number => percentile(xs, q);
    const label = `${RATE} rps, 1 KiB, ${CONNECTIONS} conns`;
    const errors = meshed.errors + direct.errors;
    if (errors > 0) console.error(`proxy bench: ${errors} failed requests (mesh ${meshed.errors}, direct ${direct.errors})`);
    const rows: BenchRow[] = [];
    for (const q of [50, 90, 99]) {
      rows.push({ bench: BENCH, metric: `p${q} latency, client → 2 proxies (mTLS) → app, ${label}`, value: p(meshed.latencies, q), baselineName: 'app called directly, same load', baseline: p(direct.latencies, q), unit: 'ms' });
    }
    for (const q of [50, 90, 99]) {
      rows.push({ bench: BENCH, metric: `p${q} latency added by the two proxies`, value: p(meshed.latencies, q) - p(direct.latencies, q), baselineName: 'Istio 1.9–1.14 published p90 added (2 Envoys, mTLS)', baseline: 2.65, unit: 'ms' });
    }
    rows.push({ bench: BENCH, metric: `p90 latency added by the two proxies at ${RATE / 5} rps (machine not saturated)`, value: p(lightMeshed.latencies, 90) - p(lightDirect.latencies, 90), baselineName: 'Istio 1.9–1.14 published p90 added (2 Envoys, mTLS)', baseline: 2.65, unit: 'ms' });
    rows.push({ bench: BENCH, metric: `rate sustained through the two proxies (open loop, ${RATE} rps offered)`, value: achieved, baselineName: 'rate offered', baseline: RATE, unit: 'rps' });
    rows.push({ bench: BENCH, metric: `max throughput, client → 2 proxies (mTLS) → app (wrk, ${CONNECTIONS} conns)`, value: meshMax, baselineName: 'rate offered in the latency rows', baseline: RATE, unit: 'rps' });
    rows.push({ bench: BENCH, metric: 'client proxy CPU per 1,000 rps', value: vcpuPer1k(c0, c1), baselineName: 'Istio 1.24 sidecar, published', baseline: 0.2, unit: 'vCPU' });
    rows.push({ bench: BENCH, metric: 'server proxy CPU per 1,000 rps', value: vcpuPer1k(s0, s1), baselineName: 'Istio 1.24 sidecar, published', baseline: 0.2, unit: 'vCPU' });
    rows.push({ bench: BENCH, metric: 'client proxy RSS at 1,000 rps', value: c1.rssMb, baselineName: 'Istio 1.24 sidecar, published', baseline: 60, unit: 'MB' });
    rows.push({ bench: BENCH, metric: 'server proxy RSS at 1,000 rps', value: s1.rssMb, baselineName: 'Istio 1.24 sidecar, published', baseline: 60, unit: 'MB' });
    rows.push({ bench: BENCH, metric: 'client proxy RSS at 1,000 rps, its own pages (RssAnon: heap, malloc)', value: c1.anonMb, baselineName: 'a bare node process, same measure', baseline: idle.node.anonMb, unit: 'MB' });
    rows.push({ bench: BENCH, metric: 'server proxy RSS at 1,000 rps, its own pages (RssAnon: heap, malloc)', value: s1.anonMb, baselineName: 'a bare node process, same measure', baseline: idle.node.anonMb, unit: 'MB' });
    rows.push({ bench: BENCH, metric: 'client proxy RSS idle (ready, before any load)', value: idle.client.rssMb, baselineName: 'a bare node process', baseline: idle.node.rssMb, unit: 'MB' });
    rows.push({ bench: BENCH, metric: 'server proxy RSS idle (ready, before any load)', value: idle.server.rssMb, baselineName: 'a bare node process', baseline: idle.node.rssMb, unit: 'MB' });
    rows.push({ bench: BENCH, metric: 'max throughput, one proxy → app (wrk, 32 conns, 1 KiB)', value: plainProxy, baselineName: 'http-proxy (npm) → same app, same client', baseline: baselineProxy, unit: 'rps' });
    rows.push({ bench: BENCH, metric: 'max throughput, one proxy → app (wrk, 32 conns, 1 KiB)', value: plainProxy, baselineName: 'app called directly, same client', baseline: directMax, unit: 'rps' });
    const notes = [
      'proxy targets (issue 10, not asserted): ≤ 2.0 ms p90 added, ≤ 0.35 vCPU and ≤ 60 MB per proxy at 1,000 rps, ≥ 1.2× http-proxy throughput.',
      `proxy: during the 1,000 rps run the machine (${cpus().length} cores) was ${machineVcpu.toFixed(2)} vCPU busy, ${Math.max(0, othersVcpu).toFixed(2)} of it outside this bench's processes (the load generator used ${(meshed.cpuSeconds / meshed.seconds).toFixed(2)}).`,
      ...(achieved < RATE * 0.97
        ? [`proxy: the two-proxy path sustained ${achieved.toFixed(0)} of ${RATE} rps offered (the run took ${meshed.seconds.toFixed(1)} s for ${SECONDS} s of sends): its latencies are queueing, not per-hop cost; see the ${RATE / 5} rps row.`]
        : []),
    ];
    // main.ts prints the table last; the notes belong under it.
    process.once('exit', () => console.log(notes.join('\n')));
    return rows;
  } finally {
    for (const pr of proxies) await pr.child.stop('SIGTERM', 20_000);
    for (const c of children) await c.stop();
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One request through a proxy, for readiness: its status, 0 when it failed. */
async function constantRateProbe(port: number, host: string): Promise<number> {
  const http = await import('node:http');
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/bench', headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}
