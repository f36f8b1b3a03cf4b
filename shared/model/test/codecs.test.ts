import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Either, isLeft, isRight } from 'fp-ts/lib/Either.js';
import {
  type ChangeSet,
  type Invalid,
  ChangeSetCodec,
  RegistryEventCodec,
  changeSetHash,
  decodeChangeSet,
  decodeRegistryEvent,
  decodeResource,
  encodeResource,
  formatInvalid,
} from '../src/index.js';
import {
  type IstioDocument,
  changeSet,
  destinationRuleDoc,
  mesh,
  meshResource,
  registryEvent,
  resourceDoc,
  serviceEntryDoc,
  virtualServiceDoc,
  workloadEntryDoc,
} from './arbitraries.js';

/** What the CLI prints for a rejected document: one line per problem. */
const linesOf = <A>(r: Either<Invalid[], A>): string[] => (isLeft(r) ? r.left.map(formatInvalid) : ['<accepted>']);

const decodesFor = (kind: string, arb: fc.Arbitrary<IstioDocument>) =>
  test(`codecs.property: every valid ${kind} decodes`, () => {
    fc.assert(
      fc.property(arb, (doc) => {
        assert.deepEqual(linesOf(decodeResource(doc)), ['<accepted>']);
      }),
    );
  });

decodesFor('VirtualService', virtualServiceDoc());
decodesFor('DestinationRule', destinationRuleDoc());
decodesFor('ServiceEntry', serviceEntryDoc());
decodesFor('WorkloadEntry', workloadEntryDoc());

test('codecs.property: encodeResource gives back a canonical document unchanged (decode∘encode = id)', () => {
  fc.assert(
    fc.property(resourceDoc(), (doc) => {
      const r = decodeResource(doc);
      assert.ok(isRight(r), linesOf(r).join('\n'));
      assert.deepStrictEqual(encodeResource(r.right.resource), doc);
    }),
  );
});

test('codecs.property: a decoded resource survives encode → JSON → decode', () => {
  fc.assert(
    fc.property(meshResource(), (resource) => {
      const again = decodeResource(JSON.parse(JSON.stringify(encodeResource(resource))), 'ignored');
      assert.ok(isRight(again), linesOf(again).join('\n'));
      assert.deepStrictEqual(again.right.resource, resource);
    }),
  );
});

test('codecs.property: the namespace of a document wins over the default namespace', () => {
  fc.assert(
    fc.property(resourceDoc(mesh), fc.constantFrom('default', 'prod', 'staging'), (doc, fallback) => {
      const r = decodeResource(doc, fallback);
      assert.ok(isRight(r));
      assert.equal(r.right.resource.metadata.namespace, doc.metadata.namespace);
    }),
  );
});

test('codecs.property: a ChangeSet round-trips through encode → JSON → decode', () => {
  fc.assert(
    fc.property(changeSet(), (cs) => {
      const wire = JSON.stringify(ChangeSetCodec.encode(cs));
      const back = decodeChangeSet(JSON.parse(wire));
      assert.ok(isRight(back), linesOf(back).join('\n'));
      assert.deepStrictEqual(back.right, cs);
    }),
  );
});

test('codecs.property: a ChangeSet hashes the same after a trip over the wire', () => {
  fc.assert(
    fc.property(changeSet(), (cs) => {
      const back = decodeChangeSet(JSON.parse(JSON.stringify(ChangeSetCodec.encode(cs))));
      assert.ok(isRight(back));
      assert.equal(changeSetHash(back.right), changeSetHash(cs));
    }),
  );
});

test('codecs.property: a registry event round-trips through encode → JSON → decode', () => {
  fc.assert(
    fc.property(registryEvent(), (e) => {
      const back = decodeRegistryEvent(JSON.parse(JSON.stringify(RegistryEventCodec.encode(e))));
      assert.ok(isRight(back), linesOf(back).join('\n'));
      assert.deepStrictEqual(back.right, e);
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// Bad documents: each names the exact lines a user sees.

const V1 = 'networking.istio.io/v1';
const doc = (kind: string, spec: unknown, metadata: unknown = { name: 'reviews' }) => ({ apiVersion: V1, kind, metadata, spec });
const vs = (spec: unknown) => doc('VirtualService', spec);
const dr = (spec: unknown) => doc('DestinationRule', spec);
const se = (spec: unknown) => doc('ServiceEntry', spec);
const we = (spec: unknown) => doc('WorkloadEntry', spec);
const to = (subset?: string, weight?: number) => ({
  destination: { host: 'reviews', ...(subset !== undefined ? { subset } : {}) },
  ...(weight !== undefined ? { weight } : {}),
});
/** A VirtualService with one HTTP route. */
const vsRoute = (route: unknown) => vs({ hosts: ['reviews'], http: [route] });
const vsMatch = (match: unknown) => vsRoute({ match: [match], route: [to('v1')] });
const drPolicy = (trafficPolicy: unknown) => dr({ host: 'reviews', trafficPolicy });
const port = { number: 9080, name: 'http' };
const longName = 'a'.repeat(64);

interface BadInput {
  readonly name: string;
  readonly doc: unknown;
  readonly lines: readonly string[];
}

const badInputs: readonly BadInput[] = [
  // Envelope and metadata, any kind.
  { name: 'a YAML list instead of a resource', doc: [vs({ hosts: ['reviews'] })], lines: ['a resource must be a YAML/JSON object'] },
  { name: 'kind missing', doc: { apiVersion: V1, metadata: { name: 'x' }, spec: {} }, lines: ['kind: required'] },
  {
    name: 'unknown kind',
    doc: doc('VirtualRouter', { servers: [] }),
    lines: ['kind: unknown kind "VirtualRouter": expected one of VirtualService, DestinationRule, ServiceEntry, WorkloadEntry, WorkloadGroup, Gateway, Sidecar, PeerAuthentication, AuthorizationPolicy, RequestAuthentication'],
  },
  {
    name: 'kind in lower case',
    doc: doc('virtualservice', { hosts: ['reviews'] }),
    lines: ['kind: unknown kind "virtualservice": expected one of VirtualService, DestinationRule, ServiceEntry, WorkloadEntry, WorkloadGroup, Gateway, Sidecar, PeerAuthentication, AuthorizationPolicy, RequestAuthentication'],
  },
  {
    name: 'apiVersion of a version Istio never served',
    doc: { ...vsRoute({ route: [to()] }), apiVersion: 'networking.istio.io/v2' },
    lines: ['apiVersion: VirtualService is served as networking.istio.io/v1alpha3, networking.istio.io/v1beta1, networking.istio.io/v1; got "networking.istio.io/v2"'],
  },
  {
    name: 'apiVersion of another group',
    doc: { ...dr({ host: 'reviews' }), apiVersion: 'security.istio.io/v1' },
    lines: ['apiVersion: DestinationRule is served as networking.istio.io/v1alpha3, networking.istio.io/v1beta1, networking.istio.io/v1; got "security.istio.io/v1"'],
  },
  { name: 'apiVersion missing', doc: { kind: 'WorkloadEntry', metadata: { name: 'vm-1' }, spec: { address: '10.0.0.1' } }, lines: ['apiVersion: required'] },
  { name: 'metadata missing', doc: { apiVersion: V1, kind: 'WorkloadEntry', spec: { address: '10.0.0.1' } }, lines: ['metadata: required'] },
  {
    name: 'metadata.name not a DNS-1123 subdomain',
    doc: doc('WorkloadEntry', { address: '10.0.0.1' }, { name: 'Reviews_V1' }),
    lines: ['metadata.name: must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")'],
  },
  {
    name: 'metadata.namespace not a DNS-1123 label',
    doc: doc('WorkloadEntry', { address: '10.0.0.1' }, { name: 'vm-1', namespace: 'team.prod' }),
    lines: ['metadata.namespace: must be a DNS-1123 label (lower-case letters, digits and "-")'],
  },
  {
    name: 'metadata.namespace longer than 63 characters',
    doc: doc('WorkloadEntry', { address: '10.0.0.1' }, { name: 'vm-1', namespace: longName }),
    lines: ['metadata.namespace: must be at most 63 characters'],
  },
  { name: 'an unknown metadata field', doc: doc('WorkloadEntry', { address: '10.0.0.1' }, { name: 'vm-1', owner: 'me' }), lines: ['metadata.owner: unknown field'] },
  {
    name: 'a metadata label key with a space',
    doc: doc('WorkloadEntry', { address: '10.0.0.1' }, { name: 'vm-1', labels: { 'app name': 'x' } }),
    lines: ['metadata.labels["app name"]: invalid label key "app name"'],
  },
  {
    name: 'an annotation that is not a string',
    doc: doc('WorkloadEntry', { address: '10.0.0.1' }, { name: 'vm-1', annotations: { replicas: 3 } }),
    lines: ['metadata.annotations.replicas: must be a string'],
  },
  { name: 'spec missing', doc: { apiVersion: V1, kind: 'DestinationRule', metadata: { name: 'reviews' } }, lines: ['spec: required'] },
  {
    name: 'spec misspelled at the top level',
    doc: { apiVersion: V1, kind: 'DestinationRule', metadata: { name: 'reviews' }, specs: { host: 'reviews' } },
    lines: ['specs: unknown field', 'spec: required'],
  },

  // VirtualService.
  {
    name: 'delegate VirtualService (no hosts) naming gateways and TCP routes',
    doc: vs({ gateways: ['ingress'], http: [{ route: [to()] }], tcp: [{ route: [to()] }] }),
    lines: [
      'spec.gateways: must not be set: a VirtualService without hosts is a delegate; the root VirtualService names the gateways',
      'spec.tcp: must not be set: a VirtualService without hosts is a delegate, and delegates carry HTTP routes only',
    ],
  },
  {
    name: 'delegate VirtualService (empty host list) that delegates again',
    doc: vs({ hosts: [], http: [{ delegate: { name: 'further' } }] }),
    lines: ['spec.http[0].delegate: must not be set: a VirtualService without hosts is a delegate, and a delegate cannot delegate again'],
  },
  { name: 'VirtualService without any route kind', doc: vs({ hosts: ['reviews'] }), lines: ['spec: must set at least one of http, tcp, tls'] },
  { name: 'VirtualService with an unknown field', doc: vs({ hosts: ['reviews'], http: [{ route: [to()] }], foo: 1 }), lines: ['spec.foo: unknown field'] },
  { name: 'VirtualService listing a host twice', doc: vs({ hosts: ['reviews', 'reviews'], http: [{ route: [to()] }] }), lines: ['spec.hosts[1]: duplicate host "reviews"'] },
  { name: 'VirtualService for "*" bound to the mesh', doc: vs({ hosts: ['*'], http: [{ route: [to()] }] }), lines: ['spec.hosts[0]: "*" is not allowed for VirtualServices bound to the mesh'] },
  { name: 'a host with an underscore', doc: vs({ hosts: ['reviews_v1'], http: [{ route: [to()] }] }), lines: ['spec.hosts[0]: invalid hostname "reviews_v1"'] },
  {
    name: 'a wildcard inside a host',
    doc: vs({ hosts: ['api.*.example.com'], http: [{ route: [to()] }] }),
    lines: ['spec.hosts[0]: invalid hostname "api.*.example.com": a wildcard is only allowed as the whole first label'],
  },
  { name: 'a host with an empty label', doc: vs({ hosts: ['reviews..svc'], http: [{ route: [to()] }] }), lines: ['spec.hosts[0]: invalid hostname "reviews..svc"'] },
  { name: 'http that is not a list', doc: vs({ hosts: ['reviews'], http: { route: [to()] } }), lines: ['spec.http: must be a list'] },
  { name: 'a negative weight', doc: vsRoute({ route: [to('v1', 90), to('v2', -10)] }), lines: ['spec.http[0].route[1].weight: must be >= 0'] },
  { name: 'a fractional weight', doc: vsRoute({ route: [to('v1', 50.5), to('v2', 49.5)] }), lines: ['spec.http[0].route[0].weight: must be an integer', 'spec.http[0].route[1].weight: must be an integer'] },
  { name: 'a weight written as a string', doc: vsRoute({ route: [{ ...to('v1'), weight: '90' }, to('v2', 10)] }), lines: ['spec.http[0].route[0].weight: must be an integer'] },
  {
    name: 'two destinations with all weights 0',
    doc: vsRoute({ route: [to('v1', 0), to('v2', 0)] }),
    lines: ['spec.http[0].route: weights of several destinations must add up to more than 0'],
  },
  { name: 'two destinations without weights', doc: vsRoute({ route: [to('v1'), to('v2')] }), lines: ['spec.http[0].route: weights of several destinations must add up to more than 0'] },
  { name: 'an empty route', doc: vsRoute({ route: [] }), lines: ['spec.http[0].route: must not be empty'] },
  {
    name: 'route and redirect together',
    doc: vsRoute({ route: [to('v1')], redirect: { uri: '/v2' } }),
    lines: ['spec.http[0]: route, redirect and directResponse are mutually exclusive'],
  },
  {
    name: 'an HTTP route that goes nowhere',
    doc: vsRoute({ match: [{ uri: { prefix: '/' } }], timeout: '1s' }),
    lines: ['spec.http[0]: must set one of route, redirect, directResponse'],
  },
  { name: 'route misspelled as routes', doc: vsRoute({ routes: [to('v1')] }), lines: ['spec.http[0].routes: unknown field'] },
  {
    name: 'a header match with both exact and prefix',
    doc: vsMatch({ headers: { 'end-user': { exact: 'jason', prefix: 'ja' } } }),
    lines: ['spec.http[0].match[0].headers.end-user: must set exactly one of exact, prefix, regex'],
  },
  { name: 'a uri match with exact, prefix and regex', doc: vsMatch({ uri: { exact: '/a', prefix: '/', regex: '.*' } }), lines: ['spec.http[0].match[0].uri: must set exactly one of exact, prefix, regex'] },
  { name: 'an empty uri match', doc: vsMatch({ uri: {} }), lines: ['spec.http[0].match[0].uri: must set exactly one of exact, prefix, regex'] },
  {
    // Header names cannot hold "." or " " (see the header catalogue); query parameter names can.
    name: 'a match key that needs quoting in the path',
    doc: vsMatch({ queryParams: { 'x.user id': { suffix: 'x' } } }),
    lines: ['spec.http[0].match[0].queryParams["x.user id"].suffix: unknown field'],
  },
  {
    name: 'an invalid regular expression',
    doc: vsMatch({ uri: { regex: '(' } }),
    lines: ['spec.http[0].match[0].uri.regex: error parsing regexp: missing closing ): `(`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)'],
  },
  { name: 'a match port of 70000', doc: vsMatch({ port: 70000 }), lines: ['spec.http[0].match[0].port: must be <= 65535'] },
  {
    name: 'a source label value starting with a dash',
    doc: vsMatch({ sourceLabels: { app: '-reviews' } }),
    lines: ['spec.http[0].match[0].sourceLabels.app: invalid label value "-reviews"'],
  },
  {
    name: 'a timeout without a unit',
    doc: vsRoute({ route: [to()], timeout: '10' }),
    lines: ['spec.http[0].timeout: invalid duration "10": use a number with a unit, e.g. 10s, 1.5s, 100ms'],
  },
  { name: 'a timeout of 0s', doc: vsRoute({ route: [to()], timeout: '0s' }), lines: ['spec.http[0].timeout: must be at least 1ms'] },
  { name: 'a timeout below a millisecond', doc: vsRoute({ route: [to()], timeout: '500us' }), lines: ['spec.http[0].timeout: must be at least 1ms'] },
  {
    name: 'a per-try timeout with a space before the unit',
    doc: vsRoute({ route: [to()], retries: { attempts: 3, perTryTimeout: '2 s' } }),
    lines: ['spec.http[0].retries.perTryTimeout: invalid duration "2 s": use a number with a unit, e.g. 10s, 1.5s, 100ms'],
  },
  { name: 'a timeout written as a number', doc: vsRoute({ route: [to()], timeout: 10 }), lines: ['spec.http[0].timeout: must be a string'] },
  { name: 'negative retry attempts', doc: vsRoute({ route: [to()], retries: { attempts: -3 } }), lines: ['spec.http[0].retries.attempts: must be >= 0'] },
  {
    name: 'a subset name in upper case',
    doc: vsRoute({ route: [to('V1')] }),
    lines: ['spec.http[0].route[0].destination.subset: must be a DNS-1123 label (lower-case letters, digits and "-")'],
  },
  { name: 'a destination without host', doc: vsRoute({ route: [{ destination: { subset: 'v1' } }] }), lines: ['spec.http[0].route[0].destination.host: required'] },
  {
    name: 'a destination port 0',
    doc: vsRoute({ route: [{ destination: { host: 'reviews', port: { number: 0 } } }] }),
    lines: ['spec.http[0].route[0].destination.port.number: must be >= 1'],
  },
  { name: 'a redirect code outside 3xx', doc: vsRoute({ redirect: { uri: '/', redirectCode: 200 } }), lines: ['spec.http[0].redirect.redirectCode: must be >= 300'] },
  { name: 'a direct response without status', doc: vsRoute({ directResponse: { body: { string: 'hi' } } }), lines: ['spec.http[0].directResponse.status: required'] },
  { name: 'a fault that neither delays nor aborts', doc: vsRoute({ route: [to()], fault: {} }), lines: ['spec.http[0].fault: must set delay or abort'] },
  {
    name: 'a fault percentage above 100',
    doc: vsRoute({ route: [to()], fault: { abort: { httpStatus: 503, percentage: { value: 150 } } } }),
    lines: ['spec.http[0].fault.abort.percentage.value: must be between 0 and 100'],
  },

  // DestinationRule.
  { name: 'DestinationRule without host', doc: dr({ subsets: [{ name: 'v1' }] }), lines: ['spec.host: required'] },
  {
    name: 'subset labels written as a list',
    doc: dr({ host: 'reviews', subsets: [{ name: 'v1', labels: ['version=v1'] }] }),
    lines: ['spec.subsets[0].labels: must be a map of strings (label: value)'],
  },
  { name: 'a subset label value that is a number', doc: dr({ host: 'reviews', subsets: [{ name: 'v1', labels: { version: 1 } }] }), lines: ['spec.subsets[0].labels.version: must be a string'] },
  {
    name: 'two subsets with the same name',
    doc: dr({ host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v1', labels: { version: 'v2' } }] }),
    lines: ['spec.subsets[1].name: duplicate subset "v1"'],
  },
  { name: 'a subset without name', doc: dr({ host: 'reviews', subsets: [{ labels: { version: 'v1' } }] }), lines: ['spec.subsets[0].name: required'] },
  {
    name: 'a label key whose prefix is not a DNS subdomain',
    doc: dr({ host: 'reviews', subsets: [{ name: 'v1', labels: { 'Example.com/app': 'x' } }] }),
    lines: ['spec.subsets[0].labels["Example.com/app"]: invalid label key "Example.com/app": prefix must be a DNS-1123 subdomain'],
  },
  {
    name: 'a label key name longer than 63 characters',
    doc: dr({ host: 'reviews', subsets: [{ name: 'v1', labels: { [longName]: 'x' } }] }),
    lines: [`spec.subsets[0].labels.${longName}: invalid label key "${longName}"`],
  },
  {
    name: 'an unknown load balancer',
    doc: drPolicy({ loadBalancer: { simple: 'FASTEST' } }),
    lines: ['spec.trafficPolicy.loadBalancer.simple: must be one of UNSPECIFIED, LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST'],
  },
  {
    name: 'simple and consistentHash load balancing together',
    doc: drPolicy({ loadBalancer: { simple: 'RANDOM', consistentHash: { useSourceIp: true } } }),
    lines: ['spec.trafficPolicy.loadBalancer: simple and consistentHash are mutually exclusive'],
  },
  {
    name: 'a consistent hash on two keys',
    doc: drPolicy({ loadBalancer: { consistentHash: { httpHeaderName: 'x-user', useSourceIp: true } } }),
    lines: ['spec.trafficPolicy.loadBalancer.consistentHash: must set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName'],
  },
  { name: 'maxEjectionPercent above 100', doc: drPolicy({ outlierDetection: { maxEjectionPercent: 101 } }), lines: ['spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be <= 100'] },
  {
    name: 'a connect timeout with an unknown unit',
    doc: drPolicy({ connectionPool: { tcp: { connectTimeout: '1d' } } }),
    lines: ['spec.trafficPolicy.connectionPool.tcp.connectTimeout: invalid duration "1d": use a number with a unit, e.g. 10s, 1.5s, 100ms'],
  },
  {
    name: 'a port-level setting for port 70000',
    doc: drPolicy({ portLevelSettings: [{ port: { number: 70000 }, loadBalancer: { simple: 'RANDOM' } }] }),
    lines: ['spec.trafficPolicy.portLevelSettings[0].port.number: must be <= 65535'],
  },
  { name: 'an unknown TLS mode', doc: drPolicy({ tls: { mode: 'STRICT' } }), lines: ['spec.trafficPolicy.tls.mode: must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL'] },

  // ServiceEntry.
  { name: 'ServiceEntry without hosts', doc: se({ ports: [port] }), lines: ['spec.hosts: required'] },
  { name: 'a service port 0', doc: se({ hosts: ['reviews'], ports: [{ number: 0, name: 'http' }] }), lines: ['spec.ports[0].number: must be >= 1'] },
  { name: 'a service port 70000', doc: se({ hosts: ['reviews'], ports: [{ number: 70000, name: 'http' }] }), lines: ['spec.ports[0].number: must be <= 65535'] },
  { name: 'a service port without name', doc: se({ hosts: ['reviews'], ports: [{ number: 9080 }] }), lines: ['spec.ports[0].name: required'] },
  {
    name: 'the same port declared twice',
    doc: se({ hosts: ['reviews'], ports: [port, port] }),
    lines: ['spec.ports[1].name: duplicate port name "http"', 'spec.ports[1].number: duplicate port 9080'],
  },
  {
    name: 'workloadSelector and endpoints together',
    doc: se({ hosts: ['reviews'], resolution: 'STATIC', workloadSelector: { labels: { app: 'reviews' } }, endpoints: [{ address: '10.0.0.1' }] }),
    lines: ['spec.workloadSelector: workloadSelector and endpoints are mutually exclusive'],
  },
  { name: 'ServiceEntry for "*"', doc: se({ hosts: ['*'] }), lines: ['spec.hosts[0]: "*" is not allowed in a ServiceEntry'] },
  { name: 'an unknown resolution', doc: se({ hosts: ['reviews'], resolution: 'ROUND_ROBIN' }), lines: ['spec.resolution: must be one of NONE, STATIC, DNS, DNS_ROUND_ROBIN'] },
  {
    name: 'a workloadSelector whose labels are a string',
    doc: se({ hosts: ['reviews'], workloadSelector: { labels: 'app=reviews' } }),
    lines: ['spec.workloadSelector.labels: must be a map of strings (label: value)'],
  },
  { name: 'an inline endpoint with an empty address', doc: se({ hosts: ['reviews'], endpoints: [{ address: '' }] }), lines: ['spec.endpoints[0].address: required (it may be left out only for a workload on another network: set network)'] },

  // WorkloadEntry.
  { name: 'WorkloadEntry without address (and no network)', doc: we({ labels: { app: 'reviews' } }), lines: ['spec.address: required (it may be left out only for a workload on another network: set network)'] },
  { name: 'WorkloadEntry with a blank address', doc: we({ address: '   ' }), lines: ['spec.address: must not be empty'] },
  { name: 'a workload port 0', doc: we({ address: '10.0.0.1', ports: { http: 0 } }), lines: ['spec.ports.http: must be >= 1'] },
  { name: 'workload ports written as a list', doc: we({ address: '10.0.0.1', ports: [9080] }), lines: ['spec.ports: must be a map of port name to number'] },
  { name: 'a label key ending in a slash', doc: we({ address: '10.0.0.1', labels: { 'app/': 'x' } }), lines: ['spec.labels["app/"]: invalid label key "app/"'] },
  { name: 'a negative workload weight', doc: we({ address: '10.0.0.1', weight: -1 }), lines: ['spec.weight: must be >= 0'] },
  { name: 'a workload weight above 2^32-1', doc: we({ address: '10.0.0.1', weight: 4294967296 }), lines: ['spec.weight: must be <= 4294967295'] },
  { name: 'port written in the singular', doc: we({ address: '10.0.0.1', port: 9080 }), lines: ['spec.port: unknown field'] },
];

for (const c of badInputs) {
  test(`decodeResource.errors: ${c.name}`, () => {
    assert.deepEqual(linesOf(decodeResource(c.doc)), c.lines);
  });
}

test('decodeResource.errors: a document with three problems yields all three lines at once', () => {
  const bad = {
    apiVersion: V1,
    kind: 'VirtualService',
    metadata: { name: 'Reviews' },
    spec: { hosts: ['reviews'], http: [{ route: [to('v1', 90), to('v2', -10)] }], foo: true },
  };
  assert.deepEqual(linesOf(decodeResource(bad)), [
    'metadata.name: must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")',
    'spec.http[0].route[1].weight: must be >= 0',
    'spec.foo: unknown field',
  ]);
});

test('decodeResource.errors: problems in the envelope, in metadata and deep in spec are reported together', () => {
  const bad = {
    apiVersion: 'networking.istio.io/v1beta2',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'Prod' },
    spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: ['v2'] }], trafficPolicy: { tls: { mode: 'STRICT' } } },
  };
  assert.deepEqual(linesOf(decodeResource(bad)), [
    'apiVersion: DestinationRule is served as networking.istio.io/v1alpha3, networking.istio.io/v1beta1, networking.istio.io/v1; got "networking.istio.io/v1beta2"',
    'metadata.namespace: must be a DNS-1123 label (lower-case letters, digits and "-")',
    'spec.trafficPolicy.tls.mode: must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL',
    'spec.subsets[1].labels: must be a map of strings (label: value)',
  ]);
});

test('decodeResource.errors: every problem carries a machine-readable code', () => {
  const r = decodeResource({ apiVersion: V1, kind: 'ServiceEntry', metadata: { name: 'x' }, spec: { ports: [{ number: 0, name: 'http' }], extra: 1 } });
  assert.ok(isLeft(r));
  assert.deepEqual(
    r.left.map((e) => [e.path, e.code]),
    [
      ['spec.hosts', 'REQUIRED'],
      ['spec.ports[0].number', 'INVALID'],
      ['spec.extra', 'UNKNOWN_FIELD'],
    ],
  );
});

test('decodeResource.errors: a field named like an Object.prototype member is still an unknown field', () => {
  assert.deepEqual(linesOf(decodeResource(vs({ hosts: ['reviews'], http: [{ route: [to()] }], constructor: 'x' }))), ['spec.constructor: unknown field']);
});

test('decodeResource.happy: a header match named "__proto__" is kept, not dropped', () => {
  // JSON.parse and yaml's parse both make "__proto__" an ordinary own key of the document.
  const match = JSON.parse('{"headers": {"__proto__": {"exact": "x"}}}') as unknown;
  const r = decodeResource(vsMatch(match));
  assert.ok(isRight(r), linesOf(r).join('\n'));
  const spec = encodeResource(r.right.resource).spec as { http: Array<{ match: Array<{ headers: object }> }> };
  assert.deepEqual(Object.keys(spec.http[0]!.match[0]!.headers), ['__proto__']);
});

// RE2 syntax Go's regexp (so Istio) takes: JavaScript's RegExp refuses most of it and reads the rest differently.
const re2OnlyRegexes = ['(?i)foo', '(?P<v>[0-9]+)', '/api/(?<version>v[0-9]+)/.*', '/a\\z', '(?s)a.b', '\\pL+', '[[:alpha:]]+', '\\Q*.*\\E', '(?U)a+', 'a{1000}'];

for (const re of re2OnlyRegexes) {
  test(`decodeResource.happy: the RE2 regex ${re} is accepted in a uri, a header, a CORS origin and a regex rewrite`, () => {
    const r = decodeResource(
      vsRoute({
        match: [{ uri: { regex: re }, headers: { 'x-version': { regex: re } } }],
        route: [to('v1')],
        corsPolicy: { allowOrigins: [{ regex: re }] },
        rewrite: { uriRegexRewrite: { match: re, rewrite: '/' } },
      }),
    );
    assert.deepEqual(linesOf(r), ['<accepted>']);
  });
}

test('decodeResource.happy: a regex of exactly 1024 bytes is accepted', () => {
  assert.deepEqual(linesOf(decodeResource(vsMatch({ uri: { regex: 'a'.repeat(1024) } }))), ['<accepted>']);
  assert.deepEqual(linesOf(decodeResource(vsMatch({ uri: { regex: 'é'.repeat(512) } }))), ['<accepted>']);
});

test('decodeResource.happy: Kubernetes export fields and status are accepted and dropped', () => {
  const r = decodeResource({
    apiVersion: V1,
    kind: 'WorkloadEntry',
    metadata: { name: 'vm-1', uid: 'abc', generation: 3, creationTimestamp: '2024-01-01T00:00:00Z', resourceVersion: '42' },
    spec: { address: '10.0.0.1' },
    status: { conditions: [] },
  });
  assert.ok(isRight(r), linesOf(r).join('\n'));
  assert.equal(r.right.expectedVersion, '42');
  assert.deepEqual(encodeResource(r.right.resource), {
    apiVersion: V1,
    kind: 'WorkloadEntry',
    metadata: { name: 'vm-1', namespace: 'default' },
    spec: { address: '10.0.0.1' },
  });
});

// ---------------------------------------------------------------------------------------------
// Bad events.

const validChangeSet = (): Record<string, unknown> => ({
  id: 'cs-1',
  type: 'ChangeSet',
  at: '2024-05-01T12:00:00.000Z',
  actor: 'user:alice',
  prev: '0'.repeat(64),
  changes: [{ op: 'delete', ref: { kind: 'VirtualService', namespace: 'default', name: 'reviews' } }],
});

const badChangeSets: ReadonlyArray<{ name: string; cs: Record<string, unknown>; lines: string[] }> = [
  { name: 'no changes', cs: { ...validChangeSet(), changes: [] }, lines: ['changes: must not be empty'] },
  { name: 'prev missing', cs: { ...validChangeSet(), prev: undefined }, lines: ['prev: required'] },
  { name: 'an unknown op', cs: { ...validChangeSet(), changes: [{ op: 'upsert' }] }, lines: ['changes[0]: op must be apply or delete'] },
  {
    name: 'a delete of an unknown kind',
    cs: { ...validChangeSet(), changes: [{ op: 'delete', ref: { kind: 'VirtualRouter', namespace: 'default', name: 'gw' } }] },
    lines: ['changes[0].ref.kind: must be one of VirtualService, DestinationRule, ServiceEntry, WorkloadEntry, WorkloadGroup, Gateway, Sidecar, PeerAuthentication, AuthorizationPolicy, RequestAuthentication'],
  },
  {
    name: 'an applied resource without namespace',
    cs: { ...validChangeSet(), changes: [{ op: 'apply', resource: we({ address: '10.0.0.1' }) }] },
    lines: ['changes[0].resource: metadata.namespace: required in a stored resource'],
  },
  {
    name: 'an applied resource that would not pass apply',
    cs: { ...validChangeSet(), changes: [{ op: 'apply', resource: doc('ServiceEntry', { ports: [port] }, { name: 'x', namespace: 'default' }) }] },
    lines: ['changes[0].resource: spec.hosts: required'],
  },
];

for (const c of badChangeSets) {
  test(`decodeChangeSet.errors: ${c.name}`, () => {
    assert.deepEqual(linesOf(decodeChangeSet(c.cs)), c.lines);
  });
}

test('decodeRegistryEvent.errors: a registration without its workload', () => {
  const e = { id: 'r-1', type: 'WorkloadRegistered', at: '2024-05-01T12:00:00.000Z', actor: 'agent', namespace: 'default', name: 'vm-1' };
  assert.deepEqual(linesOf(decodeRegistryEvent(e)), ['workload: required']);
});

test('decodeRegistryEvent.errors: an unknown event type lists every accepted type', () => {
  const e = { id: 'r-1', type: 'WorkloadDeleted', at: '2024-05-01T12:00:00.000Z', actor: 'agent', namespace: 'default', name: 'vm-1' };
  assert.deepEqual(linesOf(decodeRegistryEvent(e)), ['type: must be one of WorkloadRegistered, WorkloadUpdated, WorkloadRemoved']);
});

test('decodeChangeSet.happy: a decoded ChangeSet is the one that was encoded', () => {
  const cs = decodeChangeSet(validChangeSet());
  assert.ok(isRight(cs));
  const expected: ChangeSet = {
    id: 'cs-1',
    type: 'ChangeSet',
    at: '2024-05-01T12:00:00.000Z',
    actor: 'user:alice',
    prev: '0'.repeat(64),
    changes: [{ op: 'delete', ref: { kind: 'VirtualService', namespace: 'default', name: 'reviews' } }],
  };
  assert.deepStrictEqual(cs.right, expected);
});
