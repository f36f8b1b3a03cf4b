import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Subjects, connectBus, type Bus } from '@jetmesh/bus';
import { encodeCompactTelemetryReport, type TelemetryReport } from '@jetmesh/model';
import { createLogger } from '@jetmesh/log';
import { freePort } from '@jetmesh/runtime';
import { buildTelemetryReport, launchProcess, repoRoot, startNatsServer, waitForHttp, type ChildHandle, type NatsServerHandle, type TestRequest } from '@jetmesh/testing';
import type { BenchRow } from './bench-table.js';

/*
 * Issue 11's telemetry benchmark. A mesh of PROXIES sidecars, each publishing one report a
 * second with SERIES label sets (4 destinations × 2 codes), as a busy Bookinfo-like mesh does.
 *  - Throughput: reports folded per second by one telemetry replica (its own process), beside a
 *    bare NATS subscriber process counting the same payloads, in the same run (target ≥ 0.5×).
 *  - CPU: the replica's CPU while the mesh carries 1,000 requests/s (each reported by both of
 *    its proxies), Istio's metrics scraped every 5 s (target ≤ 0.1 vCPU; Mixer's
 *    istio-telemetry published 0.6 vCPU per 1,000 rps).
 */

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const BENCH = 'telemetry';
const PROXIES = 50;
const SERIES = 8;
const REPORTS = quick ? 5_000 : 20_000;
/** Published but not yet taken, at most: keeps the consumer's pending bytes well under the server's limit (64 MB). */
const IN_FLIGHT = 3_000;
const CHUNK = 500;
const MESH_RPS = 1_000;
const CPU_SECONDS = quick ? 6 : 15;
const SCRAPE_EVERY_MS = 5_000;
const telemetryEntry = join(repoRoot, 'services', 'telemetry', 'dist', 'src', 'main.js');
const processes = fileURLToPath(new URL('./telemetry-bench-processes.js', import.meta.url));
const log = createLogger('bench', 'warn');

/** CPU seconds (user + system) of a process, from /proc. */
const cpuSeconds = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

const destinations = ['reviews', 'ratings', 'details', 'productpage'];

/** How a report goes on the wire: format 2 as proxies send it, or format 1 as proxies before it did. */
type ReportEncoding = (r: TelemetryReport) => string;
const FORMAT_2: ReportEncoding = encodeCompactTelemetryReport;
const FORMAT_1: ReportEncoding = (r) => JSON.stringify(r);

/** Proxy `p`'s report template: `requests` requests over SERIES label sets; `"@ID@"` stands for the id. */
const template = (p: number, requests: number, nowMs: number, encode: ReportEncoding): string => {
  const samples: TestRequest[] = [];
  for (let i = 0; i < requests; i++) {
    const s = i % SERIES;
    const service = destinations[s % destinations.length] ?? 'reviews';
    samples.push({
      labels: {
        reporter: p % 2 === 0 ? 'source' : 'destination',
        source_workload: `app-${p}`,
        source_workload_namespace: 'default',
        source_principal: `spiffe://cluster.local/ns/default/sa/app-${p}`,
        source_app: `app-${p}`,
        source_version: 'v1',
        source_canonical_service: `app-${p}`,
        destination_workload: `${service}-v1`,
        destination_workload_namespace: 'default',
        destination_principal: `spiffe://cluster.local/ns/default/sa/${service}`,
        destination_app: service,
        destination_version: 'v1',
        destination_service: `${service}.default.svc.cluster.local`,
        destination_service_name: service,
        destination_service_namespace: 'default',
        destination_canonical_service: service,
        request_protocol: 'http',
        response_code: s < destinations.length ? '200' : '503',
        response_flags: '-',
        connection_security_policy: p % 2 === 0 ? 'unknown' : 'mutual_tls',
      },
      durationMs: 1 + ((i * 7) % 300),
      requestBytes: 200,
      responseBytes: 1000 + ((i * 131) % 5000),
    });
  }
  return encode(buildTelemetryReport({ id: '@ID@', workload: { namespace: 'default', name: `app-${p}` }, startMs: nowMs - 1000, endMs: nowMs, requests: samples }));
};

/** The templates with ids filled in, as publishable bytes, one after the other. */
class ReportStream {
  private readonly templates: { subject: string; parts: [string, string] }[];
  private n = 0;
  private readonly encoder = new TextEncoder();

  constructor(requestsPerReport: number, readonly label: string, encode: ReportEncoding = FORMAT_2) {
    const now = Date.now();
    this.templates = Array.from({ length: PROXIES }, (_, p) => {
      const [before = '', after = ''] = template(p, requestsPerReport, now, encode).split('@ID@');
      return { subject: Subjects.telemetry('default', `app-${p}`), parts: [before, after] };
    });
  }

  next(): { subject: string; data: Uint8Array } {
    const t = this.templates[this.n % this.templates.length]!;
    this.n += 1;
    return { subject: t.subject, data: this.encoder.encode(`${t.parts[0]}${this.label}-${this.n}${t.parts[1]}`) };
  }

  bytes(): number {
    return this.next().data.length;
  }
}

/** A consumer under test: its process. */
interface Consumer {
  readonly child: ChildHandle;
}

const startRawSubscriber = async (nats: NatsServerHandle): Promise<Consumer> => {
  const port = await freePort();
  const child = launchProcess(process.execPath, [processes, 'raw-subscriber', nats.url, String(port)], { name: 'bench raw subscriber' });
  await child.waitForOutput(/ready/, 10_000);
  return { child };
};

const startTelemetry = async (nats: NatsServerHandle): Promise<Consumer & { metricsUrl: string }> => {
  const [adminPort, metricsPort] = [await freePort(), await freePort()];
  const env = { JETMESH_NATS_URL: nats.url, JETMESH_ADMIN_PORT: String(adminPort), JETMESH_TELEMETRY_PORT: String(metricsPort), JETMESH_LOG_LEVEL: 'warn', JETMESH_TELEMETRY_REPLICA: 'bench' };
  // BENCH_TELEMETRY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the replica (NODE_OPTIONS may not carry --cpu-prof).
  const nodeArgs = (process.env.BENCH_TELEMETRY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = launchProcess(process.execPath, [...nodeArgs, telemetryEntry], { name: 'bench telemetry', env });
  await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, { timeoutMs: 15_000 });
  return { child, metricsUrl: `http://127.0.0.1:${metricsPort}` };
};

/**
 * Publishes REPORTS reports as fast as the consumer takes them, in chunks; after each chunk a
 * question on the top subject, which the consumer answers once it has taken everything before it
 * (in order, one connection): at most IN_FLIGHT reports are outstanding, and no polling costs
 * the consumer CPU. Reports/s and CPU seconds per report.
 */
const throughput = async (bus: Bus, consumer: Consumer, stream: ReportStream): Promise<{ perSecond: number; cpuPerReport: number }> => {
  const publish = (n: number): Promise<unknown> => {
    for (let i = 0; i < n; i++) {
      const r = stream.next();
      bus.nc.publish(r.subject, r.data);
    }
    return bus.nc.request(Subjects.telemetryTop, '', { timeout: 60_000 });
  };
  await publish(CHUNK); // warm-up: JIT, the first label sets
  const cpu0 = cpuSeconds(consumer.child.pid!);
  const started = performance.now();
  const answers: Promise<unknown>[] = [];
  for (let sent = 0; sent < REPORTS; sent += CHUNK) {
    answers.push(publish(CHUNK));
    if (answers.length * CHUNK > IN_FLIGHT) await answers.shift();
  }
  await Promise.all(answers);
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: REPORTS / seconds, cpuPerReport: (cpuSeconds(consumer.child.pid!) - cpu0) / REPORTS };
};

/** A mesh at MESH_RPS for CPU_SECONDS: every proxy reports once a second; the consumer's vCPU. */
const steadyMesh = async (bus: Bus, consumer: Consumer, stream: ReportStream, scrape?: () => Promise<unknown>): Promise<number> => {
  const cpu0 = cpuSeconds(consumer.child.pid!);
  const started = performance.now();
  let lastScrape = started;
  for (let second = 0; second < CPU_SECONDS; second++) {
    for (let p = 0; p < PROXIES; p++) {
      const r = stream.next();
      bus.nc.publish(r.subject, r.data);
    }
    await bus.nc.flush();
    if (scrape !== undefined && performance.now() - lastScrape >= SCRAPE_EVERY_MS) {
      lastScrape = performance.now();
      await scrape();
    }
    const next = started + (second + 1) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  return (cpuSeconds(consumer.child.pid!) - cpu0) / ((performance.now() - started) / 1000);
};

/** Best of ROUNDS: the machine is shared (other processes, two cores), so one slow round says little. */
const ROUNDS = 2;

export async function telemetryBench(): Promise<BenchRow[]> {
  const nats = await startNatsServer();
  const bus = await connectBus(nats.url, log, { name: 'bench proxies' });
  // Requests each report carries at 1,000 mesh-wide rps: each request is reported by its two proxies.
  const perReport = Math.round((MESH_RPS * 2) / PROXIES);
  const children: ChildHandle[] = [];
  const best = (a: { perSecond: number; cpuPerReport: number } | undefined, b: { perSecond: number; cpuPerReport: number }) => (a === undefined || b.perSecond > a.perSecond ? b : a);
  try {
    // Raw and telemetry take turns (both are in the telemetry queue group, so never at once).
    let rawThroughput: { perSecond: number; cpuPerReport: number } | undefined;
    let folded: { perSecond: number; cpuPerReport: number } | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const raw = await startRawSubscriber(nats);
      children.push(raw.child);
      rawThroughput = best(rawThroughput, await throughput(bus, raw, new ReportStream(perReport, `raw${round}`)));
      await raw.child.stop();
      const telemetry = await startTelemetry(nats);
      children.push(telemetry.child);
      folded = best(folded, await throughput(bus, telemetry, new ReportStream(perReport, `fold${round}`)));
      await telemetry.child.stop();
    }
    if (rawThroughput === undefined || folded === undefined) throw new Error('telemetry bench: no round ran');
    // Proxies not yet upgraded send format 1; a replica still folds it, at this rate.
    const format1Stream = new ReportStream(perReport, 'fold-format1', FORMAT_1);
    const format1Telemetry = await startTelemetry(nats);
    children.push(format1Telemetry.child);
    const format1 = await throughput(bus, format1Telemetry, format1Stream);
    await format1Telemetry.child.stop();

    const raw = await startRawSubscriber(nats);
    children.push(raw.child);
    const rawCpu = await steadyMesh(bus, raw, new ReportStream(perReport, 'raw-steady'));
    await raw.child.stop();
    const telemetry = await startTelemetry(nats);
    children.push(telemetry.child);
    const stream = new ReportStream(perReport, 'fold-steady');
    const scrape = async () => (await fetch(`${telemetry.metricsUrl}/metrics`)).text();
    const cpu = await steadyMesh(bus, telemetry, stream, scrape);
    const series = (await scrape()).split('\n').filter((l) => l.startsWith('istio_requests_total{')).length;
    const bytes = stream.bytes();
    // The floor of any JSON consumer: reading the payload at all, here in the bench process.
    const sample = Array.from({ length: 2_000 }, () => stream.next().data);
    const decoder = new TextDecoder();
    for (const d of sample) JSON.parse(decoder.decode(d));
    const parseStarted = performance.now();
    for (const d of sample) JSON.parse(decoder.decode(d));
    const parseUs = ((performance.now() - parseStarted) * 1000) / sample.length;

    const rows: BenchRow[] = [
      { bench: BENCH, metric: `reports/s folded by one replica (format 2, ${SERIES} series, ${(bytes / 1024).toFixed(1)} KiB each)`, value: folded.perSecond, baselineName: 'raw NATS subscriber, same payloads', baseline: rawThroughput.perSecond, unit: 'reports/s' },
      { bench: BENCH, metric: `reports/s folded by one replica, format 1 (${(format1Stream.bytes() / 1024).toFixed(1)} KiB each, proxies before format 2)`, value: format1.perSecond, baselineName: 'format 2, same replica build', baseline: folded.perSecond, unit: 'reports/s' },
      { bench: BENCH, metric: 'mesh-wide requests/s one replica keeps up with', value: (folded.perSecond * perReport) / 2, baselineName: 'rate of the CPU rows', baseline: MESH_RPS, unit: 'rps' },
      { bench: BENCH, metric: `CPU per 1,000 mesh-wide rps (${PROXIES} proxies reporting each second, scraped every ${SCRAPE_EVERY_MS / 1000} s)`, value: cpu * (1_000 / MESH_RPS), baselineName: 'Mixer istio-telemetry, published', baseline: 0.6, unit: 'vCPU' },
      { bench: BENCH, metric: 'CPU per 1,000 mesh-wide rps', value: cpu * (1_000 / MESH_RPS), baselineName: 'raw NATS subscriber, same stream', baseline: rawCpu * (1_000 / MESH_RPS), unit: 'vCPU' },
      { bench: BENCH, metric: 'CPU per report folded', value: folded.cpuPerReport * 1e6, baselineName: 'raw NATS subscriber, per report', baseline: rawThroughput.cpuPerReport * 1e6, unit: 'µs' },
      { bench: BENCH, metric: 'JSON.parse (with UTF-8 decode) of one report, no NATS', value: parseUs, baselineName: 'raw NATS subscriber, per report', baseline: rawThroughput.cpuPerReport * 1e6, unit: 'µs' },
    ];
    const notes = [
      `telemetry targets (issue 11, not asserted): folded reports/s ≥ 0.5× the raw subscriber; ≤ 0.1 vCPU per 1,000 mesh-wide rps. ${series} Istio series held at the end.`,
      'Reading a JSON report at all (the JSON.parse row) costs about what NATS costs to deliver it, so a JSON consumer stays well under 1x a CPU-bound raw subscriber; the ratio nears 1 when the publisher (this process), not the subscriber, is the limit. On a shared machine the ratio moves between runs.',
      'Format 2 (what proxies send) is ~4x smaller than format 1, so the raw subscriber on the same payloads got faster too: the ratio row compares against a faster baseline than format 1 had; the format 1 row shows what the format itself saves on the replica.',
      'Cost follows reports/s (one per proxy per second) and series per report, not requests: a report carries a second of its proxy\'s requests already aggregated.',
    ];
    process.once('exit', () => console.log(notes.join('\n')));
    return rows;
  } finally {
    for (const c of children) await c.stop();
    await bus.close();
    await nats.dispose();
  }
}
