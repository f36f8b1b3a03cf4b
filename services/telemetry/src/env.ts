import { hostname } from 'node:os';
import { AdminEnv, MeshPorts, durationMs, envVar, logLevel, NatsEnv, nonEmptyString, optionalEnvVar, port, positiveInt, textCodec, type ConfigOf } from '@jetmesh/runtime';

export const TELEMETRY_METRICS_PORT = MeshPorts.telemetryMetrics;

/** OTLP/HTTP's traces path, added to a collector URL given without a path (as OTEL_EXPORTER_OTLP_ENDPOINT is read). */
export const OTLP_TRACES_PATH = '/v1/traces';

/** An http(s) URL of an OTLP/HTTP collector; a bare `http://host:4318` means its `/v1/traces`. */
export const otlpTracesUrl = textCodec(
  'otlpTracesUrl',
  (text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return undefined;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return undefined;
    if (url.pathname === '/' || url.pathname === '') url.pathname = OTLP_TRACES_PATH;
    return url.toString();
  },
  'must be an http:// or https:// URL of an OTLP/HTTP collector (e.g. http://otel-collector:4318)',
);

/** The telemetry service's whole configuration, read once from the environment by main. */
export const TelemetryEnv = {
  ...NatsEnv,
  // 0: any free port, so replicas on one host never clash; the admin endpoints are for the local supervisor.
  ...AdminEnv,
  logLevel: envVar('JETMESH_LOG_LEVEL', logLevel, 'info'),
  /** Istio's metrics (/metrics) for Prometheus and the top API. */
  metricsPort: envVar('JETMESH_TELEMETRY_PORT', port, TELEMETRY_METRICS_PORT),
  metricsHost: envVar('JETMESH_TELEMETRY_HOST', nonEmptyString, '127.0.0.1'),
  /** Names this replica in logs, on its NATS connection and in `jetmesh top`'s answers. */
  replica: envVar('JETMESH_TELEMETRY_REPLICA', nonEmptyString, `${hostname()}-${process.pid}`),
  /** Istio label sets held at most; a new one past it is counted as overflow, not exported. */
  maxSeries: envVar('JETMESH_TELEMETRY_MAX_SERIES', positiveInt, 100_000),
  /** How long a report's id is remembered after its window, to drop a resent copy (proxies resend within a minute). */
  dedupeWindowMs: envVar('JETMESH_TELEMETRY_DEDUPE_WINDOW', durationMs, 120_000),
  /** Report ids remembered at most (~100 bytes each). */
  maxReportIds: envVar('JETMESH_TELEMETRY_MAX_REPORT_IDS', positiveInt, 500_000),
  /** Rejected reports are logged at most once per this interval. */
  rejectLogIntervalMs: envVar('JETMESH_TELEMETRY_REJECT_LOG_INTERVAL', durationMs, 10_000),
  /** Where trace spans are exported over OTLP/HTTP; unset: spans are not consumed at all. */
  otlpUrl: optionalEnvVar('JETMESH_TELEMETRY_OTLP_URL', otlpTracesUrl),
  /** One export to the collector, its retries included. */
  otlpTimeoutMs: envVar('JETMESH_TELEMETRY_OTLP_TIMEOUT', durationMs, 10_000),
  /** Spans waiting for the collector at most; past it new spans are dropped and counted (queue_full), so a slow collector costs bounded memory. */
  otlpMaxQueued: envVar('JETMESH_TELEMETRY_OTLP_MAX_QUEUE', positiveInt, 20_000),
};

export type TelemetryConfig = ConfigOf<typeof TelemetryEnv>;
