import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { ISTIO_REQUEST_LABELS } from '@jetmesh/model';
import { repoRoot } from '@jetmesh/testing';

/*
 * deploy/grafana/jetmesh-mesh.json against the code: every metric a panel queries is one some
 * service registers (or prom-client's default process metrics), a `_bucket` is a histogram's,
 * every label a query names is one that metric carries, and the file is what the script writes.
 */

type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';
interface Registered {
  readonly type: MetricType;
  /** Undefined when the source names them by a variable we do not follow. */
  readonly labels: readonly string[] | undefined;
  readonly where: string;
}

const dashboardFile = join(repoRoot, 'deploy', 'grafana', 'jetmesh-mesh.json');
const script = join(repoRoot, 'deploy', 'grafana', 'build-dashboard.mjs');
// Labels Prometheus adds on scrape, and prom-client's default label (createMetricsRegistry).
const SCRAPE_LABELS = ['instance', 'job', 'service'];
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);
const GRAFANA_BUILTINS = new Set(['__rate_interval', '__interval', '__range']);

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });

/** Every metric registered with prom-client in services/*\/src and shared/*\/src, by reading the source. */
function registeredMetrics(): Map<string, Registered> {
  const found = new Map<string, Registered>();
  const roots = ['services', 'shared'].flatMap((top) => readdirSync(join(repoRoot, top)).map((pkg) => join(repoRoot, top, pkg, 'src'))).filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory());
  for (const file of roots.flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    const where = relative(repoRoot, file);
    for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{\s*name:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/g)) {
      const name = m[2]!;
      const rest = text.slice(m.index, m.index + 800);
      const end = rest.search(/registers/);
      const body = end < 0 ? rest : rest.slice(0, end);
      const listed = /labelNames:\s*\[([^\]]*)\]/.exec(body);
      const labels = listed !== null ? [...listed[1]!.matchAll(/'([^']+)'/g)].map((l) => l[1]!) : /labelNames/.test(body) ? (name.startsWith('istio_') ? [...ISTIO_REQUEST_LABELS] : undefined) : [];
      found.set(name, { type: m[1]!.toLowerCase() as MetricType, labels, where });
    }
    // Istio's standard metrics: declared once in the model (istio-request-metrics.ts) as counter('istio_…') / histogram('istio_…'), exported by the proxy's /stats and the telemetry service's /metrics.
    for (const m of text.matchAll(/\b(counter|histogram)\(\s*'(istio_[a-z_]+)'/g)) {
      found.set(m[2]!, { type: m[1] as MetricType, labels: [...ISTIO_REQUEST_LABELS], where });
    }
  }
  return found;
}

/** prom-client's default metrics (collectDefaultMetrics, every service's registry), read from its own source. */
function defaultMetrics(): Set<string> {
  const promClient = createRequire(join(repoRoot, 'shared', 'runtime', 'package.json')).resolve('prom-client');
  const dir = join(dirname(promClient), 'lib', 'metrics');
  const names = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.js'))) for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/'((?:process|nodejs)_[a-z0-9_]+)'/g)) names.add(m[1]!);
  return names;
}

interface QueryUse {
  readonly metrics: { name: string; labels: string[] }[];
  readonly grouping: string[];
  readonly variables: string[];
}

/** The metric names, matcher labels, grouping labels and $variables of one PromQL expression. */
function parseQuery(expr: string): QueryUse {
  const variables = [...expr.matchAll(/\$(\w+)/g)].map((m) => m[1]!);
  const metrics: { name: string; labels: string[] }[] = [];
  let rest = expr.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g, (_all, name: string, matchers: string) => {
    metrics.push({ name, labels: [...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!) });
    return ' ';
  });
  const grouping: string[] = [];
  rest = rest
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without)\s*\(([^)]*)\)/g, (_all, labels: string) => {
      grouping.push(...labels.split(',').map((l) => l.trim()).filter((l) => l !== ''));
      return ' ';
    });
  for (const m of rest.matchAll(/(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g)) {
    if (!KEYWORDS.has(m[1]!)) metrics.push({ name: m[1]!, labels: [] });
  }
  return { metrics, grouping, variables };
}

const balanced = (expr: string): boolean => {
  const open: string[] = [];
  const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  for (const c of expr.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
    if ('({['.includes(c)) open.push(c);
    else if (c in pairs && open.pop() !== pairs[c]) return false;
  }
  return open.length === 0;
};

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly datasource?: { type: string; uid: string };
  readonly targets?: { expr: string; refId: string }[];
}
interface Dashboard {
  readonly title: string;
  readonly uid: string;
  readonly schemaVersion: number;
  readonly panels: Panel[];
  readonly templating: { list: { name: string; type: string; query: string | { query: string } }[] };
}

describe('deploy/grafana: the dashboard queries what the mesh exports', () => {
  let dashboard: Dashboard;
  let registered: Map<string, Registered>;
  let defaults: Set<string>;
  let panels: Panel[];
  let variables: Set<string>;
  let queries: { panel: string; expr: string }[];
  // In before(), so a missing file or a parse error fails a test instead of emptying the suite.
  before(() => {
    dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as Dashboard;
    registered = registeredMetrics();
    defaults = defaultMetrics();
    panels = dashboard.panels.filter((p) => p.type !== 'row');
    variables = new Set(dashboard.templating.list.map((v) => v.name));
    queries = [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr }))),
    // label_values(metric{…}, label) of the template variables, checked the same way.
    ...dashboard.templating.list.flatMap((v) => {
      const text = typeof v.query === 'string' ? v.query : v.query.query;
      const m = /^label_values\((.*),\s*(\w+)\)$/.exec(text);
      return m === null ? [] : [{ panel: `variable $${v.name}`, expr: `sum by (${m[2]}) (${m[1]})` }];
    }),
    ];
  });

  it('grafana.shape: an importable dashboard: uid, schema version, rows mesh / service / workload / control plane, every panel placed, queried and on the datasource variable', () => {
    assert.equal(dashboard.uid, 'jetmesh-mesh');
    assert.ok(dashboard.schemaVersion >= 36);
    assert.deepEqual(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title.split(':')[0]), ['Mesh', 'Service', 'Workload', 'Control plane']);
    assert.deepEqual([...variables].sort(), ['datasource', 'namespace', 'reporter', 'service', 'workload']);
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const { h, w, x, y } = p.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0 && y >= 0, `${p.title}: placed within 24 columns`);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
        assert.ok(!cells.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`);
        cells.add(`${i},${j}`);
      }
    }
    for (const p of panels) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
    }
    assert.ok(panels.length >= 40, `${panels.length} panels`);
  });

  it('grafana.metrics: every metric a query uses is registered in the code (histogram series on histograms), with labels that metric has', () => {
    const problems: string[] = [];
    for (const { panel, expr } of queries) {
      if (!balanced(expr)) problems.push(`${panel}: unbalanced brackets in ${expr}`);
      const use = parseQuery(expr);
      for (const v of use.variables) if (!variables.has(v) && !GRAFANA_BUILTINS.has(v)) problems.push(`${panel}: $${v} is not a dashboard variable`);
      const allowed = new Set<string>(SCRAPE_LABELS);
      for (const { name, labels } of use.metrics) {
        const suffix = /_(bucket|sum|count)$/.exec(name);
        const base = suffix !== null ? registered.get(name.slice(0, -suffix[0].length)) : undefined;
        const metric = registered.get(name) ?? (base !== undefined && (base.type === 'histogram' || (base.type === 'summary' && suffix?.[1] !== 'bucket')) ? base : undefined);
        if (metric === undefined) {
          if (!defaults.has(name)) problems.push(`${panel}: ${name} is registered by no service (services/*/src, shared/*/src) nor by prom-client's defaults`);
          continue;
        }
        if (metric.labels === undefined) continue;
        const own = new Set([...metric.labels, ...SCRAPE_LABELS, ...(suffix?.[1] === 'bucket' ? ['le'] : [])]);
        for (const l of own) allowed.add(l);
        for (const l of labels) if (!own.has(l)) problems.push(`${panel}: ${name} has no label ${l} (${metric.where}: ${metric.labels.length > 8 ? "Istio's standard labels" : metric.labels.join(', ') || 'none'})`);
      }
      for (const l of use.grouping) if (!allowed.has(l)) problems.push(`${panel}: grouped by ${l}, which none of its metrics has`);
    }
    assert.deepEqual(problems, [], `the dashboard queries what the code does not export:\n  ${problems.join('\n  ')}`);
  });

  it("grafana.istio: the mesh, service and workload rows use Istio's metric names and labels", () => {
    const used = new Set(queries.flatMap((q) => parseQuery(q.expr).metrics.map((m) => m.name)));
    for (const name of ['istio_requests_total', 'istio_request_duration_milliseconds_bucket', 'istio_request_bytes_bucket', 'istio_response_bytes_bucket']) assert.ok(used.has(name), `${name} is on the dashboard`);
    const labels = new Set(queries.flatMap((q) => [...parseQuery(q.expr).metrics.flatMap((m) => m.labels), ...parseQuery(q.expr).grouping]));
    for (const l of ['reporter', 'source_workload', 'destination_service', 'response_code', 'response_flags', 'connection_security_policy']) assert.ok(labels.has(l), `label ${l} is used`);
    // One declaration serves both the telemetry service's /metrics and the proxies' own /stats (see the README on scraping).
    for (const name of ['istio_requests_total', 'istio_request_duration_milliseconds', 'istio_request_bytes', 'istio_response_bytes']) {
      assert.equal(registered.get(name)?.where, 'shared/model/src/istio-request-metrics.ts', `${name} is declared by the shared Istio metrics module`);
    }
    for (const [file, uses] of [['services/proxy/src/telemetry/istio-request-metrics.ts', 'istioRegistryMetrics'], ['services/telemetry/src/metrics/istio-exposition.ts', 'IstioMetricsText']] as const) {
      assert.match(readFileSync(join(repoRoot, file), 'utf8'), new RegExp(`\\b${uses}\\b`), `${file} exports Istio's metrics through the shared module (${uses})`);
    }
  });

  it('grafana.generated: jetmesh-mesh.json is what build-dashboard.mjs writes', () => {
    execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' });
  });
});
