import { connectBus, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { createMetricsRegistry, type AdminServer } from '@jetmesh/runtime';
import type { Registry } from 'prom-client';
import { serveMetrics } from '../src/metrics-server.js';
import { createTelemetryMetrics } from '../src/telemetry-metrics.js';
import { startTelemetry, type Telemetry, type TelemetryOptions } from '../src/telemetry.js';

/** One telemetry replica in this process, as main wires it: its own bus, fold, admin registry and metrics port. */
export interface TelemetryReplica {
  readonly name: string;
  readonly telemetry: Telemetry;
  /** The admin registry (jetmesh_telemetry_*), what the admin port's /metrics shows. */
  readonly registry: Registry;
  readonly metricsUrl: string;
  /** Istio's /metrics text. */
  istioMetrics(): Promise<string>;
  /** One value of the admin registry, e.g. ('jetmesh_telemetry_rejected_total', { reason: 'duplicate' }). */
  own(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

export const log = createLogger('telemetry-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');

export async function startReplica(natsUrl: string, name: string, opts: Partial<TelemetryOptions> = {}, credentials: { user?: string; pass?: string } = {}): Promise<TelemetryReplica> {
  const bus: Bus = await connectBus(natsUrl, log, { name, ...credentials });
  const registry = createMetricsRegistry('telemetry');
  const telemetry = await startTelemetry(bus, log, createTelemetryMetrics(registry), {
    replica: name,
    maxSeries: 10_000,
    dedupeWindowMs: 120_000,
    maxReportIds: 100_000,
    rejectLogIntervalMs: 60_000,
    ...opts,
  });
  const server: AdminServer = await serveMetrics({ port: 0, host: '127.0.0.1', istioMetrics: telemetry.istioMetrics, topShare: telemetry.topShare, ready: telemetry.readiness }, log);
  const metricsUrl = `http://127.0.0.1:${server.port}`;
  return {
    name,
    telemetry,
    registry,
    metricsUrl,
    istioMetrics: async () => (await fetch(`${metricsUrl}/metrics`)).text(),
    own: async (metric, labels = {}) => {
      const m = (await registry.getMetricsAsJSON()).find((x) => x.name === metric);
      const v = m?.values.find((x) => Object.entries(labels).every(([k, want]) => x.labels[k] === want));
      return v?.value ?? 0;
    },
    stop: async () => {
      await telemetry.stop();
      await bus.close();
      await server.close();
    },
  };
}

/** istio_requests_total per line in a /metrics text: the label text → value. */
export function requestsTotal(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^istio_requests_total\{(.*)\} (\d+)$/.exec(line);
    if (m !== null) out.set(m[1] ?? '', Number(m[2]));
  }
  return out;
}

/** The value of one label in a label text (`a="1",b="2"`). */
export const labelOf = (labels: string, name: string): string | undefined => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1];
