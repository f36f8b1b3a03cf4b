#!/usr/bin/env node
// Writes jetmesh-mesh.json (a Grafana dashboard) next to this file; `--check` only compares and
// exits 1 when the file is not what this script writes. Plain Node, no dependencies: the panels
// are data, the layout is computed, so a new panel is one line below.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), 'jetmesh-mesh.json');

const ds = { type: 'prometheus', uid: '${datasource}' };
const rate = (selector) => `rate(${selector}[$__rate_interval])`;
const q = (expr, legendFormat = '__auto') => ({ expr, legendFormat });
const quantiles = (bucket, by = '', label = '') =>
  [0.5, 0.9, 0.99].map((p) => q(`histogram_quantile(${p}, sum by (le${by ? `, ${by}` : ''}) (${rate(bucket)}))`, `${label}P${Math.round(p * 100)}`));

// Istio's selectors. `$reporter` is Istio's qrep: destination (the callee's proxy) by default, so a
// request through two proxies is counted once.
const mesh = 'reporter=~"$reporter"';
const svc = 'reporter=~"$reporter", destination_service_namespace=~"$namespace", destination_service=~"$service"';
const wlIn = 'reporter="destination", destination_workload_namespace=~"$namespace", destination_workload=~"$workload"';
const wlOut = 'reporter="source", source_workload_namespace=~"$namespace", source_workload=~"$workload"';
const success = (sel) => `sum(${rate(`istio_requests_total{${sel}, response_code!~"5.."}`)}) / sum(${rate(`istio_requests_total{${sel}}`)})`;

const stat = (title, targets, opts = {}) => ({ type: 'stat', title, targets, ...opts });
const graph = (title, targets, opts = {}) => ({ type: 'timeseries', title, targets, ...opts });
const table = (title, targets, opts = {}) => ({ type: 'table', title, targets, ...opts });
const unit = (u, extra = {}) => ({ fieldConfig: { defaults: { unit: u, ...extra }, overrides: [] } });
const pct = unit('percentunit', { min: 0, max: 1, decimals: 2 });
const alarm = (u = 'short') => unit(u, { thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 1 }] } });

/** Rows of [width, panel]; a row's panels fill 24 columns, wrapping. */
const rows = [
  {
    title: 'Mesh',
    panels: [
      [6, stat('Global request volume', [q(`round(sum(${rate(`istio_requests_total{${mesh}}`)}), 0.01)`, 'ops/s')], unit('reqps'))],
      [6, stat('Global success rate (non-5xx responses)', [q(success(mesh), 'success')], pct)],
      [6, stat('4xxs', [q(`round(sum(${rate(`istio_requests_total{${mesh}, response_code=~"4.."}`)}), 0.01) or vector(0)`, '4xx/s')], unit('reqps'))],
      [6, stat('5xxs', [q(`round(sum(${rate(`istio_requests_total{${mesh}, response_code=~"5.."}`)}), 0.01) or vector(0)`, '5xx/s')], unit('reqps'))],
      [12, graph('Request duration, whole mesh', quantiles(`istio_request_duration_milliseconds_bucket{${mesh}}`), unit('ms'))],
      [12, graph('Requests by response code', [q(`sum by (response_code) (${rate(`istio_requests_total{${mesh}}`)})`, '{{response_code}}')], unit('reqps'))],
      [
        24,
        table(
          'Services',
          [
            q(`sum by (destination_service) (${rate(`istio_requests_total{${mesh}}`)})`, 'requests/s'),
            q(`sum by (destination_service) (${rate(`istio_requests_total{${mesh}, response_code!~"5.."}`)}) / sum by (destination_service) (${rate(`istio_requests_total{${mesh}}`)})`, 'success'),
            q(`histogram_quantile(0.5, sum by (le, destination_service) (${rate(`istio_request_duration_milliseconds_bucket{${mesh}}`)}))`, 'P50'),
            q(`histogram_quantile(0.9, sum by (le, destination_service) (${rate(`istio_request_duration_milliseconds_bucket{${mesh}}`)}))`, 'P90'),
            q(`histogram_quantile(0.99, sum by (le, destination_service) (${rate(`istio_request_duration_milliseconds_bucket{${mesh}}`)}))`, 'P99'),
          ].map((t) => ({ ...t, format: 'table', instant: true })),
          { transformations: [{ id: 'merge', options: {} }] },
        ),
      ],
      [12, graph('Connections by security policy (destination reporter)', [q(`sum by (connection_security_policy) (${rate('istio_requests_total{reporter="destination"}')})`, '{{connection_security_policy}}')], unit('reqps'))],
      [12, graph('Requests the proxies answered themselves, by Envoy response flag', [q(`sum by (response_flags) (${rate(`istio_requests_total{${mesh}, response_flags!="-"}`)})`, '{{response_flags}}')], unit('reqps'))],
    ],
  },
  {
    title: 'Service: $service',
    panels: [
      [6, stat('Request volume', [q(`round(sum(${rate(`istio_requests_total{${svc}}`)}), 0.01)`, 'ops/s')], unit('reqps'))],
      [6, stat('Success rate (non-5xx responses)', [q(success(svc), 'success')], pct)],
      [6, stat('P99 duration', [q(`histogram_quantile(0.99, sum by (le) (${rate(`istio_request_duration_milliseconds_bucket{${svc}}`)}))`, 'P99')], unit('ms'))],
      [6, stat('Inbound mTLS share', [q(`sum(${rate(`istio_requests_total{reporter="destination", destination_service=~"$service", connection_security_policy="mutual_tls"}`)}) / sum(${rate('istio_requests_total{reporter="destination", destination_service=~"$service"}')})`, 'mTLS')], pct)],
      [12, graph('Incoming requests by source workload and response code', [q(`sum by (source_workload, source_workload_namespace, response_code) (${rate(`istio_requests_total{${svc}}`)})`, '{{source_workload}}.{{source_workload_namespace}} : {{response_code}}')], unit('reqps'))],
      [12, graph('Incoming success rate by source workload', [q(`sum by (source_workload) (${rate(`istio_requests_total{${svc}, response_code!~"5.."}`)}) / sum by (source_workload) (${rate(`istio_requests_total{${svc}}`)})`, '{{source_workload}}')], pct)],
      [8, graph('Request duration', quantiles(`istio_request_duration_milliseconds_bucket{${svc}}`), unit('ms'))],
      [8, graph('Request size', quantiles(`istio_request_bytes_bucket{${svc}}`), unit('decbytes'))],
      [8, graph('Response size', quantiles(`istio_response_bytes_bucket{${svc}}`), unit('decbytes'))],
      [12, graph('Requests by destination workload (version)', [q(`sum by (destination_workload, destination_version) (${rate(`istio_requests_total{${svc}}`)})`, '{{destination_workload}} {{destination_version}}')], unit('reqps'))],
      [12, graph('Response flags', [q(`sum by (response_flags, response_code) (${rate(`istio_requests_total{${svc}, response_flags!="-"}`)})`, '{{response_flags}} {{response_code}}')], unit('reqps'))],
    ],
  },
  {
    title: 'Workload: $workload',
    panels: [
      [6, stat('Inbound volume', [q(`round(sum(${rate(`istio_requests_total{${wlIn}}`)}), 0.01)`, 'ops/s')], unit('reqps'))],
      [6, stat('Inbound success rate (non-5xx responses)', [q(success(wlIn), 'success')], pct)],
      [6, stat('Outbound volume', [q(`round(sum(${rate(`istio_requests_total{${wlOut}}`)}), 0.01)`, 'ops/s')], unit('reqps'))],
      [6, stat('Outbound success rate (non-5xx responses)', [q(success(wlOut), 'success')], pct)],
      [12, graph('Incoming requests by source and response code', [q(`sum by (source_workload, response_code, connection_security_policy) (${rate(`istio_requests_total{${wlIn}}`)})`, '{{source_workload}} : {{response_code}} ({{connection_security_policy}})')], unit('reqps'))],
      [12, graph('Incoming request duration', quantiles(`istio_request_duration_milliseconds_bucket{${wlIn}}`), unit('ms'))],
      [12, graph('Outgoing requests by destination service and response code', [q(`sum by (destination_service, response_code) (${rate(`istio_requests_total{${wlOut}}`)})`, '{{destination_service}} : {{response_code}}')], unit('reqps'))],
      [12, graph('Outgoing request duration by destination service (P99)', [q(`histogram_quantile(0.99, sum by (le, destination_service) (${rate(`istio_request_duration_milliseconds_bucket{${wlOut}}`)}))`, '{{destination_service}}')], unit('ms'))],
      [12, graph('Incoming bytes (request sizes, P50/P90/P99)', quantiles(`istio_request_bytes_bucket{${wlIn}}`), unit('decbytes'))],
      [12, graph('Outgoing response sizes by destination service (P99)', [q(`histogram_quantile(0.99, sum by (le, destination_service) (${rate(`istio_response_bytes_bucket{${wlOut}}`)}))`, '{{destination_service}}')], unit('decbytes'))],
    ],
  },
  {
    title: 'Control plane',
    panels: [
      // Galley: the config API and the registrar.
      [6, stat('Config log forks not repaired (writes refused while > 0)', [q('max(galley_config_log_forks)', 'forks')], alarm())],
      [6, stat('Config applies refused (rejected, last hour)', [q('sum(increase(galley_applies_total{result="rejected"}[1h])) or vector(0)', 'rejected')], unit('short'))],
      [6, stat('xDS clients connected', [q('sum(jetmesh_xds_connected_proxies)', 'clients')], unit('short'))],
      [6, stat('Certificates issued (last hour)', [q('sum(increase(jetmesh_csr_total{result="succeeded"}[1h])) or vector(0)', 'issued')], unit('short'))],
      [8, graph('Galley applies by result', [q(`sum by (result) (${rate('galley_applies_total')})`, '{{result}}'), q(`sum(${rate('galley_publish_conflicts_total')})`, 'publish conflicts (retried)')], unit('ops'))],
      [8, graph('Galley: ChangeSet publish (until folded locally)', quantiles('galley_publish_duration_seconds_bucket'), unit('s'))],
      [8, graph('Config changes recorded by kind and action, writes refused by reason', [q(`sum by (kind, action) (${rate('jetmesh_config_events_total')})`, '{{action}} {{kind}}'), q(`sum by (reason) (${rate('jetmesh_config_rejections_total')})`, 'refused {{reason}}')], unit('ops'))],
      [8, graph('Galley registrar', [q(`sum by (op) (${rate('galley_registrations_total')})`, '{{op}}'), q(`sum by (op, code) (${rate('galley_registration_rejections_total')})`, 'refused {{op}} {{code}}'), q(`sum(${rate('galley_registry_sweeps_total')})`, 'swept (no heartbeat)')], unit('ops'))],
      // Pilot: folding the log, snapshots, xDS.
      [8, graph('Convergence: ChangeSet stored → xDS ACK, by type', [0.5, 0.99].map((p) => q(`histogram_quantile(${p}, sum by (le, type) (${rate('jetmesh_convergence_seconds_bucket')}))`, `{{type}} P${Math.round(p * 100)}`)), unit('s'))],
      [8, graph('Pilot: events folded by stream, and skipped as invalid', [q(`sum by (stream) (${rate('pilot_events_folded_total')})`, '{{stream}}'), q(`sum by (stream) (${rate('pilot_events_invalid_total')})`, 'invalid {{stream}}')], unit('ops'))],
      [8, graph('Pilot replicas: messages not yet folded, by stream', [q('max by (instance, stream) (jetmesh_consumer_lag_messages)', '{{instance}} {{stream}}')], unit('none'))],
      [8, graph('Pilot replicas: last folded sequence by stream', [q('max by (instance, stream) (pilot_stream_sequence)', '{{instance}} {{stream}}')], unit('none'))],
      [8, graph('Pilot: snapshot keys by outcome', [q(`sum by (outcome) (${rate('pilot_snapshots_total')})`, '{{outcome}}'), q(`sum(${rate('pilot_snapshots_inconsistent_total')})`, 'inconsistent (not written)')], unit('ops'))],
      [8, graph('Pilot: derive and publish (P99)', [q(`histogram_quantile(0.99, sum by (le) (${rate('pilot_derive_duration_seconds_bucket')}))`, 'derive'), q(`histogram_quantile(0.99, sum by (le) (${rate('pilot_publish_duration_seconds_bucket')}))`, 'publish to KV'), q('max(pilot_replay_duration_seconds)', 'initial replay')], unit('s'))],
      [8, graph('xDS pushes by type and reason, NACKs', [q(`sum by (type, reason) (${rate('jetmesh_xds_pushes_total')})`, '{{type}} {{reason}}'), q(`sum by (type) (${rate('pilot_xds_rejects_total')})`, 'NACK {{type}}')], unit('ops'))],
      [8, graph('xDS clients by protocol, resources by type', [q('sum by (protocol) (jetmesh_xds_connected_proxies)', 'clients {{protocol}}'), q('max by (type) (pilot_xds_resources)', 'resources {{type}}')], unit('short'))],
      [8, graph('xDS push and translation (P99), inconsistent translations', [q(`histogram_quantile(0.99, sum by (le) (${rate('pilot_xds_push_duration_seconds_bucket')}))`, 'push'), q(`histogram_quantile(0.99, sum by (le) (${rate('pilot_xds_translate_duration_seconds_bucket')}))`, 'translate'), q(`sum(${rate('pilot_xds_inconsistent_total')})`, 'inconsistent/s')], unit('s'))],
      // Citadel: the CA.
      [8, graph('Citadel: CSRs received, issued, refused by reason', [q(`sum(${rate('citadel_csr_received_total')})`, 'received'), q(`sum(${rate('jetmesh_csr_total{result="succeeded"}')})`, 'issued'), q(`sum by (reason) (${rate('jetmesh_csr_total{result="denied"}')})`, 'refused {{reason}}')], unit('ops'))],
      [8, graph('Citadel: certificate signing', quantiles('citadel_sign_duration_seconds_bucket'), unit('s'))],
      [8, graph('Citadel: tokens minted, root rotation steps', [q(`sum(${rate('citadel_tokens_minted_total')})`, 'tokens'), q('sum by (phase) (increase(citadel_root_rotation_steps_total[1h]))', 'rotation {{phase}} (per hour)')], unit('ops'))],
      // Telemetry: reports into Istio's metrics.
      [8, graph('Telemetry: reports and requests folded, reports refused by reason', [q(`sum(${rate('jetmesh_telemetry_reports_total')})`, 'reports'), q(`sum(${rate('jetmesh_telemetry_requests_total')})`, 'requests'), q(`sum by (reason) (${rate('jetmesh_telemetry_rejected_total')})`, 'refused {{reason}}'), q(`sum(${rate('jetmesh_telemetry_overflow_requests_total')})`, 'overflow requests')], unit('ops'))],
      [8, graph('Tracing: spans received, exported over OTLP, failed, dropped', [q(`sum(${rate('jetmesh_telemetry_spans_received_total')})`, 'received'), q(`sum(${rate('jetmesh_telemetry_spans_exported_total')})`, 'exported'), q(`sum by (reason) (${rate('jetmesh_telemetry_spans_export_failures_total')})`, 'failed {{reason}}'), q(`sum(${rate('jetmesh_telemetry_spans_dropped_by_proxies_total')})`, 'dropped by sidecars')], unit('ops'))],
      [8, graph('Telemetry replicas: series held, report ids remembered', [q('sum by (instance) (jetmesh_telemetry_series)', 'series {{instance}}'), q('sum by (instance) (jetmesh_telemetry_report_ids)', 'ids {{instance}}')], unit('short'))],
      [8, graph('Sidecars: telemetry and access log lines dropped, outlier ejections', [q(`sum(${rate('jetmesh_proxy_telemetry_reports_dropped_total')})`, 'report windows dropped'), q(`sum by (reason) (${rate('jetmesh_proxy_access_log_dropped_total')})`, 'access log dropped ({{reason}})'), q(`sum by (cluster) (${rate('jetmesh_proxy_outlier_ejections_total')})`, 'ejected {{cluster}}')], unit('ops'))],
      [12, graph('Sidecars: snapshots applied and refused', [q(`sum by (kind, result) (${rate('jetmesh_proxy_snapshots_total')})`, '{{kind}} {{result}}'), q(`sum by (result) (${rate('jetmesh_proxy_upstream_connections_total')})`, 'upstream connections {{result}}')], unit('ops'))],
      [12, graph('Control plane CPU and memory by service', [q(`sum by (service) (${rate('process_cpu_seconds_total{service=~"galley|pilot|citadel|telemetry"}')})`, '{{service}} CPU'), q('sum by (service) (process_resident_memory_bytes{service=~"galley|pilot|citadel|telemetry"}) / 1e9', '{{service}} RSS (GB)')], unit('short'))],
    ],
  },
];

const variable = (name, label, query, extra = {}) => ({
  name,
  label,
  type: 'query',
  datasource: ds,
  query: { query, refId: `${name}-var` },
  definition: query,
  refresh: 2,
  includeAll: true,
  multi: true,
  allValue: '.*',
  current: { selected: true, text: ['All'], value: ['$__all'] },
  sort: 1,
  ...extra,
});

function build() {
  const panels = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({ type: 'row', title: row.title, id: id++, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const [w, p] of row.panels) {
      const h = p.type === 'stat' ? 4 : 8;
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      const targets = p.targets.map((t, i) => ({ datasource: ds, refId: String.fromCharCode(65 + i), ...t }));
      panels.push({ ...p, id: id++, datasource: ds, gridPos: { h, w, x, y }, targets, ...(p.fieldConfig ? {} : { fieldConfig: { defaults: {}, overrides: [] } }), options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area' } : p.type === 'timeseries' ? { legend: { displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } } : {} });
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return {
    title: 'Jetmesh: mesh, services, workloads, control plane',
    uid: 'jetmesh-mesh',
    description: "Istio's standard metrics (from the telemetry service, :15014) and Jetmesh's control plane (each service's admin /metrics). Generated by deploy/grafana/build-dashboard.mjs.",
    tags: ['jetmesh', 'istio', 'service-mesh'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    timezone: 'browser',
    annotations: { list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard' }] },
    templating: {
      list: [
        { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1 },
        {
          name: 'reporter',
          label: 'Reporter',
          type: 'custom',
          query: 'destination,source',
          options: [
            { text: 'destination', value: 'destination', selected: true },
            { text: 'source', value: 'source', selected: false },
          ],
          current: { text: 'destination', value: 'destination', selected: true },
          includeAll: false,
          multi: false,
          description: "Which proxy's count: destination (the callee's, Istio's default) or source (the caller's). A request through two proxies is in both.",
        },
        variable('namespace', 'Namespace', 'label_values(istio_requests_total, destination_service_namespace)'),
        variable('service', 'Service', 'label_values(istio_requests_total{destination_service_namespace=~"$namespace"}, destination_service)'),
        variable('workload', 'Workload', 'label_values(istio_requests_total{destination_workload_namespace=~"$namespace"}, destination_workload)'),
      ],
    },
    panels,
  };
}

const text = `${JSON.stringify(build(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // missing: reported below
  }
  if (current !== text) {
    process.stderr.write(`${out} is not what build-dashboard.mjs writes: run node deploy/grafana/build-dashboard.mjs\n`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  process.stdout.write(`wrote ${out}\n`);
}
