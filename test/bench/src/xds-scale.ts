import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { adsClient, openAdsProbe, type AdsProbe, type AdsProbeOptions } from '@jetmesh/pilot';
import { createConfigClient, type ConfigClient } from '@jetmesh/rpc';
import { startMeshProcesses } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';
import { canaryRouteYaml, canaryServiceYaml } from './canary-mesh.js';
import { percentile } from './stats.js';
import { natsRoundTrip } from './nats-round-trip.js';
import { benchQuick } from './bench-mode.js';
import { launchBenchPilot, metricsText, metricValue, processUsage } from './pilot-bench-process.js';

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

const quick = benchQuick();
export const SERVICES = envInt('XDS_SCALE_SERVICES', quick ? 200 : 1000);
export const STREAMS = envInt('XDS_SCALE_STREAMS', quick ? 400 : 2000);
export const HOSTS_PER_STREAM = Math.min(envInt('XDS_SCALE_HOSTS_PER_STREAM', 10), SERVICES);
const FULL_STREAMS = envInt('XDS_SCALE_FULL_STREAMS', quick ? 20 : 100);
const CHANGES = envInt('XDS_SCALE_CHANGES', quick ? 10 : 20);
// Streams share HTTP/2 connections, as sidecars behind a node agent would; each connection is its own TCP socket.
const CONNECTIONS = envInt('XDS_SCALE_CONNECTIONS', 50);
const APPLY_BATCH = 100;

export const host = (i: number): string => `svc-${i}.default.svc.cluster.local`;
const cluster = (i: number, subset: string): string => `outbound|8080|${subset}|${host(i)}`;

/** What a stream watching `hosts` subscribes to, as a grpc-js-xds client ends up doing. */
export const subscriptionOf = (hosts: readonly number[]): NonNullable<AdsProbeOptions['subscribe']> => ({
  LDS: hosts.map((i) => `svc-${i}:8080`),
  RDS: hosts.map((i) => `${host(i)}:8080`),
  CDS: hosts.flatMap((i) => [cluster(i, 'v1'), cluster(i, 'v2')]),
  EDS: hosts.flatMap((i) => [cluster(i, 'v1'), cluster(i, 'v2')]),
});

const configOf = (version: string): number => Number(version.split('.')[0]);

/** Sum and count of a histogram on pilot's /metrics. */
const histogram = async (adminPort: number, name: string): Promise<{ sum: number; count: number }> => {
  const text = await metricsText(adminPort);
  return { sum: metricValue(text, `${name}_sum`), count: metricValue(text, `${name}_count`) };
};

/** Where pilot's resident memory is, in MB: V8's heap in use and memory outside it (Buffers: encoded resources, socket data). */
const memoryOf = async (adminPort: number): Promise<{ heapMb: number; externalMb: number }> => {
  const text = await metricsText(adminPort);
  return { heapMb: metricValue(text, 'nodejs_heap_size_used_bytes') / 2 ** 20, externalMb: metricValue(text, 'nodejs_external_memory_bytes') / 2 ** 20 };
};

/** Mean per observation, in ms, between two readings of a histogram. */
const meanMs = (a: { sum: number; count: number }, b: { sum: number; count: number }): number => ((b.sum - a.sum) / Math.max(1, b.count - a.count)) * 1000;

export interface Phase {
  /** Per change: ms from Apply returning until every watching stream had the new route table. */
  readonly allWatchers: number[];
  /** Per stream and change: ms from Apply returning until that stream had it. */
  readonly eachWatcher: number[];
  readonly cpuSecondsPerChange: number;
  readonly rssMb: number;
  readonly memory: { readonly heapMb: number; readonly externalMb: number };
  readonly connectMs: number;
  /** The same for one stream alone. */
  readonly singleConnectMs: number;
  /** pilot's own account per change: translation and fan-out, and the derivation before it. */
  readonly pushMs: number;
  readonly deriveMs: number;
}

/** Opens the streams (spread over `address`'s servers), waits for their first answers, then changes one VirtualService at a time. */
export const runPhase = async (
  address: string | readonly string[],
  config: ConfigClient,
  pilotPid: number,
  adminPort: number,
  streams: ReadonlyArray<{ node: string; subscribe: NonNullable<AdsProbeOptions['subscribe']>; hosts: ReadonlySet<number> | 'all' }>,
  changeOffset: number,
): Promise<Phase> => {
  const addresses = typeof address === 'string' ? [address] : address;
  const clients = Array.from({ length: Math.min(CONNECTIONS, streams.length) }, (_, k) => adsClient(addresses[k % addresses.length] as string, true));
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
  const memory = await memoryOf(adminPort);
  for (const p of probes) p.close();
  for (const c of clients) c.close();
  return { allWatchers, eachWatcher, cpuSecondsPerChange: (after.cpuSeconds - before.cpuSeconds) / CHANGES, rssMb: after.rssMb, memory, connectMs, singleConnectMs, pushMs, deriveMs };
};

export const xdsScaleBench = async (): Promise<BenchRow[]> => {
  const mesh = await startMeshProcesses({ services: ['galley'] });
  // XDS_SCALE_PILOT_NODE_ARGS: node flags for pilot, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it.
  const pilot = await launchBenchPilot(mesh.nats.url, 'XDS_SCALE_PILOT_NODE_ARGS').catch(async (e: unknown) => {
    await mesh.stop();
    throw e;
  });
  const { adminPort, xdsPort } = pilot;
  const config = createConfigClient(mesh.env.JETMESH_GALLEY_ADDRESS as string, { actor: 'bench' });
  try {
    for (let start = 0; start < SERVICES; start += APPLY_BATCH) {
      const yaml = Array.from({ length: Math.min(APPLY_BATCH, SERVICES - start) }, (_, k) => canaryServiceYaml(start + k, 10, 'grpc')).join('---\n');
      await config.apply({ yaml, defaultNamespace: 'default' });
    }
    const pid = pilot.pid;
    // Baseline: the same kind of change on the same mesh with no stream connected.
    await sleep(1000);
    const idle = processUsage(pid);
    for (let n = 0; n < CHANGES; n++) await config.apply({ yaml: canaryRouteYaml((n * 37) % SERVICES, 11 + n), defaultNamespace: 'default' });
    await sleep(500);
    const idleAfter = processUsage(pid);
    const idleCpuPerChange = (idleAfter.cpuSeconds - idle.cpuSeconds) / CHANGES;
    const idleMemory = await memoryOf(adminPort);

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
      { bench: 'xds-scale', metric: `${name}: pilot V8 heap used`, value: phase.memory.heapMb, baselineName: 'heap used, no streams', baseline: idleMemory.heapMb, unit: 'MB' },
      { bench: 'xds-scale', metric: `${name}: pilot external (Buffers)`, value: phase.memory.externalMb, baselineName: 'external, no streams', baseline: idleMemory.externalMb, unit: 'MB' },
      { bench: 'xds-scale', metric: `${name}: all subscribed, first answers in`, value: phase.connectMs, baselineName: 'one stream alone', baseline: phase.singleConnectMs, unit: 'ms' },
    ];
    return [
      ...perChange(`${STREAMS} streams × ${HOSTS_PER_STREAM} hosts`, partial),
      ...perChange(`${FULL_STREAMS} streams × all ${SERVICES} hosts`, full),
    ];
  } finally {
    config.close();
    await pilot.child.stop();
    await mesh.stop();
  }
};
