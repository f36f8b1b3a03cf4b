import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { analyzeMesh, decodeAnalyzable, emptyMeshState, isKubernetesFact, kubernetesFacts, type Diagnostic, type MeshResource } from '../src/index.js';

/*
 * istioctl's own analyzer test table (analyzers_test.go + testdata, extracted by
 * scripts/extract-istio-analyzer-cases.mjs) run through analyzeMesh. Each Istio case runs one
 * analyzer, so per case only the findings that analyzer can give are compared (code, kind and,
 * where one Jetmesh code covers several Istio analyzers, the field the finding points at).
 */

interface AnalyzerCase {
  readonly name: string;
  readonly analyzer: string;
  readonly inputs: ReadonlyArray<{ readonly file: string; readonly yaml: string }>;
  /** The case's mesh config file (istioctl's --meshConfigFile), YAML. */
  readonly meshConfig?: string;
  readonly expected: ReadonlyArray<{ readonly type: string; readonly resource: string }>;
}

const corpus = JSON.parse(readFileSync(fileURLToPath(new URL('../../test/fixtures/istio-analyzer-cases.json', import.meta.url)), 'utf8')) as {
  readonly cases: readonly AnalyzerCase[];
};

/** Istio's message types Jetmesh implements, by IST code. */
const CODES: Readonly<Record<string, string>> = {
  ReferencedResourceNotFound: 'IST0101',
  ConflictingMeshGatewayVirtualServiceHosts: 'IST0109',
  MultipleSidecarsWithoutWorkloadSelectors: 'IST0111',
  VirtualServiceDestinationPortSelectorRequired: 'IST0112',
  NoMatchingWorkloadsFound: 'IST0127',
  VirtualServiceUnreachableRule: 'IST0130',
  VirtualServiceIneffectiveMatch: 'IST0131',
  ServiceEntryAddressesRequired: 'IST0134',
  ReferencedInternalGateway: 'IST0165',
  IneffectivePolicy: 'IST0167',
  DestinationRuleSubsetNotSelectPods: 'IST0173',
  UnknownDestinationRuleHost: 'IST0174',
};

interface Finding {
  readonly code: string;
  readonly kind: string;
  readonly path?: RegExp;
}
const f = (code: string, kind: string, path?: RegExp): Finding => ({ code, kind, ...(path !== undefined ? { path } : {}) });

/** What each Istio analyzer of the table can report, in Jetmesh's terms. */
const ANALYZER_FINDINGS: Readonly<Record<string, readonly Finding[]>> = {
  '&virtualservice.DestinationHostAnalyzer{}': [f('IST0101', 'VirtualService', /host$|port\.number$/), f('IST0112', 'VirtualService')],
  '&virtualservice.DestinationRuleAnalyzer{}': [f('IST0101', 'VirtualService', /subset$/)],
  '&virtualservice.GatewayAnalyzer{}': [f('IST0101', 'VirtualService', /gateways/), f('IST0165', 'VirtualService')],
  '&virtualservice.ConflictingMeshGatewayHostsAnalyzer{}': [f('IST0109', 'VirtualService')],
  '&sidecar.SelectorAnalyzer{}': [f('IST0111', 'Sidecar'), f('IST0101', 'Sidecar'), f('IST0127', 'Sidecar'), f('IST0167', 'Sidecar')],
  'schemaValidation.CollectionValidationAnalyzer(collections.VirtualService)': [f('IST0130', 'VirtualService'), f('IST0131', 'VirtualService')],
  '&serviceentry.ProtocolAddressesAnalyzer{}': [f('IST0134', 'ServiceEntry')],
  '&authz.AuthorizationPoliciesAnalyzer{}': [f('IST0101', 'AuthorizationPolicy'), f('IST0127', 'AuthorizationPolicy')],
  '&destinationrule.PodNotSelectedAnalyzer{}': [f('IST0173', 'DestinationRule'), f('IST0174', 'DestinationRule')],
  '&gateway.IngressGatewayPortAnalyzer{}': [f('IST0101', 'Gateway')],
  // Secrets are facts of the input (their names only); a gateway selecting nothing is Istio's finding here too.
  '&gateway.SecretAnalyzer{}': [f('IST0101', 'Gateway', /credentialName$|selector/)],
  // Telemetry is no Jetmesh kind: nothing of ours compares with it.
  '&telemetry.SelectorAnalyzer{}': [],
};

/** What Istio's test harness adds to every case (AddDefaultResources): the default ingress gateway. */
const ISTIO_DEFAULTS = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'istio-ingressgateway', namespace: 'istio-system', labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' } } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' }, ports: [{ port: 80, name: 'http2' }, { port: 443, name: 'https' }] } },
];

/**
 * Expected findings Jetmesh cannot give, with why: on documents `analyze` cannot read at all
 * (documents validation refuses are read as far as their shape goes, as istioctl does) or of
 * kinds Jetmesh does not serve. The test fails when one of these is matched after all (update
 * the list) or when a miss is not in it.
 */
const KNOWN_GAPS: Readonly<Record<string, string>> = {
  'telemetrySelector: IST0101 Telemetry default/maps-to-nonexistent': 'Telemetry is not a kind Jetmesh serves',
  'telemetrySelector: IST0101 Telemetry other/maps-to-different-ns': 'Telemetry is not a kind Jetmesh serves',
};

const withNamespace = (resource: string): string => (resource.includes('/') ? resource : resource.replace(' ', ' default/'));
const label = (d: Diagnostic): string => `${d.code} ${d.ref.kind} ${d.ref.namespace}/${d.ref.name}`;

interface Outcome {
  readonly expected: number;
  /** Expected findings on documents analysis cannot read (e.g. kinds Jetmesh does not serve). */
  readonly notHeld: readonly string[];
  readonly matched: number;
  readonly missed: string[];
  readonly extras: string[];
}

const run = (c: AnalyzerCase): Outcome => {
  const expected = c.expected.filter((e) => CODES[e.type] !== undefined).map((e) => `${CODES[e.type]} ${withNamespace(e.resource)}`);
  const findings = ANALYZER_FINDINGS[c.analyzer] ?? [...new Set(expected.map((e) => e.split(' ').slice(0, 2).join(' ')))].map((x) => f(x.split(' ')[0]!, x.split(' ')[1]!));
  const documents = c.inputs.flatMap((i) => parseAllDocuments(i.yaml).map((d) => d.toJS() as unknown)).filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null);
  const proposed: MeshResource[] = [];
  const unread: string[] = [];
  for (const d of documents) {
    if (isKubernetesFact(d) || !String(d.apiVersion ?? '').includes('istio.io')) continue;
    // As galley's analyze reads them: a document validation refuses is still analyzed as far as it reads.
    const decoded = decodeAnalyzable(d, 'default');
    if (decoded._tag === 'Right') proposed.push(decoded.right.resource);
    else {
      const metadata = (d.metadata ?? {}) as { namespace?: string; name?: string };
      unread.push(`${String(d.kind)} ${metadata.namespace ?? 'default'}/${metadata.name ?? ''}`);
    }
  }
  // istioctl reads the case's mesh config file as the mesh config; an input carries it as the `istio` ConfigMap.
  const meshConfigMap = c.meshConfig === undefined ? [] : [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: c.meshConfig } }];
  const facts = kubernetesFacts([...ISTIO_DEFAULTS, ...meshConfigMap, ...documents], 'default', { parseMeshConfig: (text) => parseYaml(text) as unknown });
  const onUnread = (s: string): boolean => unread.some((r) => s.includes(r));
  const held = expected.filter((e) => !onUnread(e));
  const got = analyzeMesh({ state: emptyMeshState, proposed, facts })
    .filter((d) => findings.some((x) => x.code === d.code && x.kind === d.ref.kind && (x.path === undefined || x.path.test(d.path))))
    // A reference to a document analysis cannot read is "not found" here: not an extra.
    .filter((d) => !unread.some((r) => d.message.includes(`"${r.split('/')[1]}"`) || d.message.includes(`/${r.split('/')[1]}"`)));
  const pool = got.map(label);
  const missed: string[] = [];
  let matched = 0;
  for (const e of held) {
    const i = pool.indexOf(e);
    if (i >= 0) {
      matched++;
      pool.splice(i, 1);
    } else missed.push(`${c.name}: ${e}`);
  }
  const notHeld = expected.filter(onUnread).map((e) => `${c.name}: ${e}`);
  return { expected: expected.length, notHeld, matched, missed, extras: pool.map((p) => `${c.name}: ${p}`) };
};

const outcomes = corpus.cases.map(run);
const sum = (k: 'expected' | 'matched'): number => outcomes.reduce((n, o) => n + o[k], 0);

test('analyze.istio-agreement: istioctl’s analyzer tests, for the codes Jetmesh implements: every finding on a document Jetmesh holds agrees, no extra, each gap explained', (t) => {
  const expected = sum('expected');
  const matched = sum('matched');
  const notHeld = outcomes.flatMap((o) => o.notHeld);
  const missed = outcomes.flatMap((o) => o.missed);
  const extras = outcomes.flatMap((o) => o.extras);
  const held = expected - notHeld.length;
  t.diagnostic(
    `${corpus.cases.length} cases; ${expected} expected findings of Jetmesh's codes, ${held} on documents Jetmesh holds; matched ${matched} ` +
      `(${((100 * matched) / held).toFixed(1)}% of those, ${((100 * matched) / expected).toFixed(1)}% of all); missed: ${missed.join('; ') || 'none'}; ` +
      `known gaps ${notHeld.length} (${notHeld.join('; ')}); extras ${extras.length} (${extras.join('; ')})`,
  );
  assert.deepEqual(missed, [], 'a finding on a document Jetmesh holds does not agree');
  assert.deepEqual(extras, [], 'Jetmesh reports what Istio does not');
  assert.deepEqual([...new Set(notHeld)].sort(), Object.keys(KNOWN_GAPS).sort(), 'the known gaps changed: update KNOWN_GAPS');
  // 66 of 68 (97.1%): the 2 Telemetry findings of KNOWN_GAPS are all that is left.
  assert.ok(matched / expected >= 66 / 68, `only ${matched} of ${expected} findings agree`);
});

test('analyze.istio-agreement: the table was read whole (a changed extraction would show here)', () => {
  assert.ok(corpus.cases.length >= 100);
  // 67 of the codes Jetmesh had, and IST0165 (ReferencedInternalGateway).
  assert.equal(sum('expected'), 68);
});
