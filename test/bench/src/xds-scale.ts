import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { adsClient, openAdsProbe, type AdsProbe, type AdsProbeOptions } from '@jetmesh/pilot';
import { createConfigClient, type ConfigClient } from '@jetmesh/rpc';
import { freePort, launchProcess, repoRoot, startMeshProcesses, waitForHttp } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';
import { canaryRouteYaml, canaryServiceYaml } from './canary-mesh.js';
import { percentile } from './stats.js';
import { natsRoundTrip } from './nats-round-trip.js';

/*
 * xds-scale: pilot's xDS server under many light ADS streams (state of the world, ACKing every
 * response at once; not full grpc-js-xds clients). A mesh of SERVICES services × 2 endpoints;
 * STREAMS streams each watching HOSTS_PER_STREAM hosts (listener, route table, both subset
 * clusters and their endpoints), then FULL_STREAMS streams watching every host. One VirtualService
 * changes at a time; the figure is the time until every stream watching it has the new route
 * table (and has ACKed it), after galley's Apply returned. Sizes come from the environment, so
 * the bench can be tried small first: XDS_SCALE_SERVICES, XDS_SCALE_STREAMS,
 * XDS_SCALE_HOSTS_PER_STREAM, XDS_SCALE_FULL_STREAMS, XDS_SCALE_CHANGES, XDS_SCALE_CONNECTIONS.
 */

const envInt = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};

const SERVICES = envInt('XDS_SCALE_SERVICES', 1000);
const STREAMS = envInt('XDS_SCALE_STREAMS', 2000);
const HOSTS_PER_STREAM = Math.min(envInt('XDS_SCALE_HOSTS_PER_STREAM', 10), SERVICES);
const FULL_STREAMS = envInt('XDS_SCALE_FULL_STREAMS', 100);
const CHANGES = envInt('XDS_SCALE_CHANGES', 20);
// Streams share HTTP/2 connections, as sidecars behind a node agent would; each connection is its own TCP socket.
const CONNECTIONS = envInt('XDS_SCALE_CONNECTIONS', 50);
const APPLY_BATCH = 100;

const host = (i: number): string => `svc-${i}.default.svc.cluster.local`;
const cluster = (i: number, subset: string): string => `outbound|8080|${subset}|${host(i)}`;

/** What a stream watching `hosts` subscribes to, as a grpc-js-xds client ends up doing. */
const subscriptionOf = (hosts: readonly number[]): NonNullable<AdsProbeOptions['subscribe']> => ({
  LDS: hosts.map((i) => `svc-${i}:8080`),
  RDS: hosts.map((i) => `${host(i)}:8080`),
  CDS: hosts.flatMap((i) => [cluster(i, 'v1'), cluster(i, 'v2')]),
  EDS: hosts.flatMap((i) => [cluster(i, 'v1'), cluster(i, 'v2')]),
});

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) and resident memory (MB) of a process, from /proc. */
const processUsage = (pid: number): { cpuSeconds: number; rssMb: number } => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may contain spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssMb: rssKb / 1024 };
};

const configOf = (version: string): number => Number(version.split('.')[0]);

/** Sum and count of a histogram on pilot's /metrics. */
const histogram = async (adminPort: number, name: string): Promise<{ sum: number; count: number }> => {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const value = (suffix: string) => Number(new RegExp(`^${name}_${suffix}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { sum: value('sum'), count: value('count') };
};

/** Mean per observation, in ms, between two readings of a histogram. */
const meanMs = (a: { sum: number; count: number }, b: { sum: number; count: number }): number => ((b.sum - a.sum) / Math.max(1, b.count - a.count)) * 1000;

interface Phase {
  /** Per change: ms from Apply returning until every watching stream had the new route table. */
  readonly allWatchers: number[];
  /** Per stream and change: ms from Apply returning until that stream had it. */
  readonly eachWatcher: number[];
  readonly cpuSecondsPerChange: number;
  readonly rssMb: number;
  readonly connectMs: number;
  /** The same for one stream alone. */
  readonly singleConnectMs: number;
  /** pilot's own account per change: translation and fan-out, and the derivation before it. */
  readonly pushMs: number;
  readonly deriveMs: number;
}

/** Opens the streams, waits for their first answers, then changes one VirtualService at a time. */
const runPhase = async (
  address: string,
  config: ConfigClient,
  pilotPid: number,
  adminPort: number,
  streams: ReadonlyArray<{ node: string; subscribe: NonNullable<AdsProbeOptions['subscribe']>; hosts: ReadonlySet<number> | 'all' }>,
  changeOffset: number,
): Promise<Phase> => {
  const clients = Array.from({ length: Math.min(CONNECTIONS, streams.length) }, () => adsClient(address, true));
  const first = streams[0];
  const t1 = performance.now();
  if (first !== undefined) {
    const single = openAdsProbe(clients[0] as ReturnType<typeof adsClient>, { node: `${first.node}-alone`, subscribe: first.subscribe, keepAll: false });
    await single.next((r) => r.type === 'EDS', 120_000);
    single.close();
  }
  const singleConnectMs = performance.now() - t1;
  const t0 = performance.now();
  const probes: AdsProbe[] = streams.map((s, i) => openAdsProbe(clients[i % clients.length] as ReturnType<typeof adsClient>, { node: s.node, subscribe: s.subscribe, keepAll: false }));
  await Promise.all(probes.map((p) => p.next((r) => r.type === 'EDS', 120_000)));
  const connectMs = performance.now() - t0;
  await sleep(500);
  const before = processUsage(pilotPid);
  const pushBefore = await histogram(adminPort, 'pilot_xds_push_duration_seconds');
  const deriveBefore = await histogram(adminPort, 'pilot_derive_duration_seconds');
  const allWatchers: number[] = [];
  const eachWatcher: number[] = [];
  for (let n = 0; n < CHANGES; n++) {
    const i = (changeOffset + n * 37) % SERVICES;
    const watching = probes.filter((_, k) => {
      const hosts = streams[k]?.hosts;
      return hosts === 'all' || hosts?.has(i) === true;
    });
    const target = `${host(i)}:8080`;
    let seq = Number.POSITIVE_INFINITY;
    const arrivals = watching.map((p) => {
      const arrival = p.next((r) => r.type === 'RDS' && configOf(r.version) >= seq && p.namesOf(r).includes(target), 60_000);
      // A stream answered before `seq` was known is read from its last response instead; its waiter then times out unheard.
      arrival.catch(() => undefined);
      return arrival;
    });
    const res = await config.apply({ yaml: canaryRouteYaml(i, 11 + (n % 80)), defaultNamespace: 'default' });
    const returned = performance.timeOrigin + performance.now();
    seq = res.sequence;
    // Responses that arrived before `seq` was known were not matched: look again at each stream's last.
    const got = await Promise.all(
      watching.map((p, k) => {
        const last = p.last('RDS');
        return last !== undefined && configOf(last.version) >= seq && p.namesOf(last).includes(target) ? last : (arrivals[k] as Promise<NonNullable<typeof last>>);
      }),
    );
    const lags = got.map((r) => Math.max(0, r.receivedAt - returned));
    eachWatcher.push(...lags);
    allWatchers.push(Math.max(...lags));
  }
  const after = processUsage(pilotPid);
  const pushMs = meanMs(pushBefore, await histogram(adminPort, 'pilot_xds_push_duration_seconds'));
  const deriveMs = meanMs(deriveBefore, await histogram(adminPort, 'pilot_derive_duration_seconds'));
  for (const p of probes) p.close();
  for (const c of clients) c.close();
  return { allWatchers, eachWatcher, cpuSecondsPerChange: (after.cpuSeconds - before.cpuSeconds) / CHANGES, rssMb: after.rssMb, connectMs, singleConnectMs, pushMs, deriveMs };
};

export const xdsScaleBench = async (): Promise<BenchRow[]> => {
  const mesh = await startMeshProcesses({ services: ['galley'] });
  const xdsPort = await freePort();
  const adminPort = await freePort();
  // XDS_SCALE_PILOT_NODE_ARGS: node flags for pilot, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it.
  const nodeArgs = (process.env.XDS_SCALE_PILOT_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const pilot = launchProcess(process.execPath, [...nodeArgs, join(repoRoot, 'services', 'pilot', 'dist', 'src', 'main.js')], {
    name: 'pilot',
    cwd: repoRoot,
    env: { JETMESH_NATS_URL: mesh.nats.url, JETMESH_ADMIN_PORT: String(adminPort), JETMESH_PILOT_XDS_PORT: String(xdsPort), JETMESH_LOG_LEVEL: 'warn', JETMESH_PILOT_REPLICA: 'bench' },
  });
  const config = createConfigClient(mesh.env.JETMESH_GALLEY_ADDRESS as string, { actor: 'bench' });
  try {
    await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, { timeoutMs: 30_000 });
    for (let start = 0; start < SERVICES; start += APPLY_BATCH) {
      const yaml = Array.from({ length: Math.min(APPLY_BATCH, SERVICES - start) }, (_, k) => canaryServiceYaml(start + k, 10, 'grpc')).join('---\n');
      await config.apply({ yaml, defaultNamespace: 'default' });
    }
    const pid = pilot.pid as number;
    // Baseline: the same kind of change on the same mesh with no stream connected.
    await sleep(1000);
    const idle = processUsage(pid);
    for (let n = 0; n < CHANGES; n++) await config.apply({ yaml: canaryRouteYaml((n * 37) % SERVICES, 11 + n), defaultNamespace: 'default' });
    await sleep(500);
    const idleAfter = processUsage(pid);
    const idleCpuPerChange = (idleAfter.cpuSeconds - idle.cpuSeconds) / CHANGES;

    const address = `127.0.0.1:${xdsPort}`;
    const partial = await runPhase(
      address,
      config,
      pid,
      adminPort,
      Array.from({ length: STREAMS }, (_, s) => {
        const hosts = Array.from({ length: HOSTS_PER_STREAM }, (_, k) => (s * HOSTS_PER_STREAM + k) % SERVICES);
        return { node: `light-${s}`, subscribe: subscriptionOf(hosts), hosts: new Set(hosts) };
      }),
      1,
    );
    const all = Array.from({ length: SERVICES }, (_, i) => i);
    const full = await runPhase(
      address,
      config,
      pid,
      adminPort,
      Array.from({ length: FULL_STREAMS }, (_, s) => ({ node: `full-${s}`, subscribe: subscriptionOf(all), hosts: 'all' as const })),
      2,
    );
    const rtt = await natsRoundTrip(mesh.nats.url, 200);
    const rttRow = (p: number) => ({ baselineName: `NATS pub→sub p${p}`, baseline: percentile(rtt, p), unit: 'ms' });
    const perChange = (name: string, phase: Phase): BenchRow[] => [
      ...[50, 99].map((p) => ({ bench: 'xds-scale', metric: `${name}: every watcher ACKed p${p}`, value: percentile(phase.allWatchers, p), ...rttRow(p) })),
      { bench: 'xds-scale', metric: `${name}: one watcher ACKed p50`, value: percentile(phase.eachWatcher, 50), ...rttRow(50) },
      { bench: 'xds-scale', metric: `${name}: pilot xDS translate + fan-out, mean`, value: phase.pushMs, baselineName: 'pilot derive, mean', baseline: phase.deriveMs, unit: 'ms' },
      { bench: 'xds-scale', metric: `${name}: pilot CPU per change`, value: phase.cpuSecondsPerChange * 1000, baselineName: 'same change, no streams', baseline: idleCpuPerChange * 1000, unit: 'ms' },
      { bench: 'xds-scale', metric: `${name}: pilot RSS`, value: phase.rssMb, baselineName: 'pilot RSS, no streams', baseline: idleAfter.rssMb, unit: 'MB' },
      { bench: 'xds-scale', metric: `${name}: all subscribed, first answers in`, value: phase.connectMs, baselineName: 'one stream alone', baseline: phase.singleConnectMs, unit: 'ms' },
    ];
    return [
      ...perChange(`${STREAMS} streams × ${HOSTS_PER_STREAM} hosts`, partial),
      ...perChange(`${FULL_STREAMS} streams × all ${SERVICES} hosts`, full),
    ];
  } finally {
    config.close();
    await pilot.stop();
    await mesh.stop();
  }
};
