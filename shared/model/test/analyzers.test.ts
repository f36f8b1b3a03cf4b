import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { analyzeMesh, emptyMeshState, formatDiagnostic, kubernetesFacts, replay, type MeshResource, type MeshState } from '../src/index.js';
import { twoStreams } from './arbitraries.js';
import { applying, mustDecode, stateAfter } from './event-log.js';

const BOOKINFO = new URL('../../../../examples/bookinfo-reviews.yaml', import.meta.url);
const bookinfo = (): MeshResource[] => parseAllDocuments(readFileSync(BOOKINFO, 'utf8')).map((d) => mustDecode(d.toJS()));
const live = (): MeshState => stateAfter(applying(bookinfo()));

const resource = (kind: string, name: string, spec: unknown, namespace = 'default', apiVersion = 'networking.istio.io/v1'): MeshResource =>
  mustDecode({ apiVersion, kind, metadata: { name, namespace }, spec });
const vs = (name: string, spec: Record<string, unknown>, namespace = 'default') => resource('VirtualService', name, { hosts: ['reviews'], ...spec }, namespace);
const to = (host: string, subset?: string, port?: number) => ({ destination: { host, ...(subset ? { subset } : {}), ...(port ? { port: { number: port } } : {}) } });
const sec = (kind: string, name: string, spec: unknown, namespace = 'default') => resource(kind, name, spec, namespace, 'security.istio.io/v1');

/** What `jetmesh analyze` prints for the live state plus these resources. */
const lines = (proposed: MeshResource[], state: MeshState = live()): string[] => analyzeMesh({ state, proposed }).map((d) => formatDiagnostic(d));

test('analyze.happy: the Bookinfo example has nothing to report', () => {
  assert.deepEqual(lines([]), []);
});

test('analyze.IST0101: a route to a subset no DestinationRule defines', () => {
  assert.deepEqual(lines([vs('reviews-route', { http: [{ route: [to('reviews', 'v4')] }] })]), [
    'Warning [IST0101] (VirtualService default/reviews-route) Referenced host+subset in destinationrule not found: "reviews+v4"',
  ]);
});

test('analyze.IST0101: a route to a host no ServiceEntry declares', () => {
  assert.deepEqual(lines([vs('reviews-route', { http: [{ route: [to('ratings')] }] })]), [
    'Warning [IST0101] (VirtualService default/reviews-route) Referenced host not found: "ratings"',
  ]);
});

test('analyze.IST0101: a mirror to an unknown host is reported at the mirror', () => {
  const d = analyzeMesh({ state: live(), proposed: [vs('reviews-route', { http: [{ route: [to('reviews')], mirror: { host: 'shadow' } }] })] });
  assert.deepEqual(d.map((x) => [x.code, x.path]), [['IST0101', 'spec.http[0].mirror.host']]);
});

test('analyze.IST0101: a VirtualService bound to a Gateway that does not exist', () => {
  assert.deepEqual(lines([vs('edge', { hosts: ['bookinfo.example.com'], gateways: ['bookinfo-gateway'], http: [{ route: [to('reviews')] }] })]), [
    'Warning [IST0101] (VirtualService default/edge) Referenced gateway not found: "bookinfo-gateway"',
  ]);
});

test('analyze.IST0101: a Gateway whose selector picks no workload, until one carries the labels', () => {
  const gw = resource('Gateway', 'bookinfo-gateway', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] });
  assert.deepEqual(lines([gw]), ['Warning [IST0101] (Gateway default/bookinfo-gateway) Referenced selector not found: "istio=ingressgateway"']);
  const ingress = resource('WorkloadEntry', 'ingress-1', { address: '10.0.0.9', labels: { istio: 'ingressgateway' } }, 'istio-system');
  assert.deepEqual(lines([gw, ingress]), []);
});

test('analyze.IST0109: two mesh VirtualServices for one host', () => {
  const other = vs('reviews-canary', { http: [{ route: [to('reviews', 'v3')] }] });
  const message =
    'The VirtualServices default/reviews-canary,default/reviews-route associated with mesh gateway define the same host */reviews.default.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.';
  assert.deepEqual(lines([other]), [`Warning [IST0109] (VirtualService default/reviews-canary) ${message}`, `Warning [IST0109] (VirtualService default/reviews-route) ${message}`]);
});

test('analyze.IST0109: VirtualServices bound to gateways do not conflict with the mesh one', () => {
  const gw = resource('Gateway', 'edge', { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] });
  assert.deepEqual(lines([gw, vs('reviews-edge', { gateways: ['edge'], http: [{ route: [to('reviews', 'v1')] }] })]), []);
});

test('analyze.IST0112 and IST0101: a service with two ports needs a destination port it declares', () => {
  const se = resource('ServiceEntry', 'ratings', {
    hosts: ['ratings'],
    resolution: 'STATIC',
    ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }, { number: 9090, name: 'grpc', protocol: 'GRPC' }],
    endpoints: [{ address: '10.0.0.5' }],
  });
  const route = resource('VirtualService', 'ratings', { hosts: ['ratings'], http: [{ route: [{ ...to('ratings'), weight: 50 }, { ...to('ratings', undefined, 7070), weight: 50 }] }] });
  assert.deepEqual(lines([se, route]), [
    'Warning [IST0112] (VirtualService default/ratings) This VirtualService routes to a service "ratings" that exposes multiple ports [9080 9090]. Specifying a port in the destination is required to disambiguate.',
    'Warning [IST0101] (VirtualService default/ratings) Referenced host:port not found: "ratings:7070"',
  ]);
});

test('analyze.IST0127: a policy selecting no workload in its namespace', () => {
  const policy = sec('AuthorizationPolicy', 'ratings-only', { selector: { matchLabels: { app: 'ratings' } }, rules: [{ from: [{ source: { namespaces: ['default'] } }] }] });
  assert.deepEqual(lines([policy]), ['Warning [IST0127] (AuthorizationPolicy default/ratings-only) No matching workloads for this resource with the following labels: app=ratings']);
});

test('analyze.IST0127: a policy in the root namespace selects workloads of every namespace', () => {
  const policy = sec('PeerAuthentication', 'reviews-strict', { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'STRICT' } }, 'istio-system');
  assert.deepEqual(lines([policy]), []);
});

test('analyze.IST0130: a rule after a catch-all is never used', () => {
  const route = vs('reviews-route', {
    http: [{ route: [to('reviews', 'v1')] }, { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [to('reviews', 'v2')] }],
  });
  assert.deepEqual(lines([route]), ['Warning [IST0130] (VirtualService default/reviews-route) VirtualService rule #1 not used (rule #0 before it has no matches and takes every request).']);
});

test('analyze.IST0130 and IST0131: a match an earlier rule already has', () => {
  const jason = { headers: { 'end-user': { exact: 'jason' } } };
  const route = vs('reviews-route', {
    http: [
      { name: 'jason', match: [jason], route: [to('reviews', 'v2')] },
      { name: 'again', match: [{ ...jason, name: 'same-but-named' }], route: [to('reviews', 'v3')] },
      { route: [to('reviews', 'v1')] },
    ],
  });
  assert.deepEqual(lines([route]), [
    'Warning [IST0130] (VirtualService default/reviews-route) VirtualService rule "again" not used (all matches used by prior rules).',
    'Info [IST0131] (VirtualService default/reviews-route) VirtualService rule "again" match "same-but-named" is not used (duplicate/overlapping match in rule "jason").',
  ]);
});

test('analyze.IST0131: a longer prefix after a shorter one with the same conditions', () => {
  const route = vs('reviews-route', {
    http: [
      { match: [{ uri: { prefix: '/api' } }], route: [to('reviews', 'v1')] },
      { match: [{ uri: { prefix: '/api/v2' } }], route: [to('reviews', 'v2')] },
    ],
  });
  assert.deepEqual(lines([route]), [
    'Info [IST0131] (VirtualService default/reviews-route) VirtualService rule #1 match #0 of prefix /api/v2 is not used (duplicate/overlapping match in rule #0 of prefix /api on #0).',
  ]);
});

test('analyze.IST0134: a TCP ServiceEntry without addresses', () => {
  const se = resource('ServiceEntry', 'db', { hosts: ['db.example.com'], resolution: 'DNS', ports: [{ number: 5432, name: 'tcp-pg', protocol: 'TCP' }] });
  assert.deepEqual(lines([se]), ['Warning [IST0134] (ServiceEntry default/db) ServiceEntry addresses are required for this protocol.']);
  assert.deepEqual(lines([resource('ServiceEntry', 'db', { hosts: ['db.example.com'], addresses: ['240.0.0.1'], resolution: 'DNS', ports: [{ number: 5432, name: 'tcp-pg', protocol: 'TCP' }] })]), []);
});

test('analyze.IST0134: no finding where the input says addresses were allocated (status.addresses, or a mesh config whose proxies allocate)', () => {
  const doc = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'db', namespace: 'default' }, spec: { hosts: ['db.example.com'], resolution: 'DNS', ports: [{ number: 5432, name: 'tcp-pg', protocol: 'TCP' }, { number: 5433, name: 'sniffed' }] } };
  const se = mustDecode(doc);
  const run = (facts: ReturnType<typeof kubernetesFacts>): string[] => analyzeMesh({ state: live(), proposed: [se], facts }).map((d) => `${d.code} ${d.path}`);
  assert.deepEqual(run(kubernetesFacts([doc], 'default')), ['IST0134 spec.ports[0]', 'IST0134 spec.ports[1]']);
  assert.deepEqual(run(kubernetesFacts([{ ...doc, status: { addresses: [{ host: 'db.example.com', value: '240.240.0.1' }] } }], 'default')), []);
  const mesh = (metadata: Record<string, string>) =>
    kubernetesFacts([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: JSON.stringify({ defaultConfig: { proxyMetadata: metadata } }) } }], 'default', {
      parseMeshConfig: (text) => JSON.parse(text) as unknown,
    });
  assert.deepEqual(run(mesh({ ISTIO_META_DNS_CAPTURE: 'true', ISTIO_META_DNS_AUTO_ALLOCATE: 'true' })), []);
  assert.deepEqual(run(mesh({ ISTIO_META_DNS_CAPTURE: 'true', PILOT_ENABLE_IP_AUTOALLOCATE: 'true' })), []);
  // Allocation without DNS capture gives the application no address to call.
  assert.equal(run(mesh({ ISTIO_META_DNS_AUTO_ALLOCATE: 'true' })).length, 2);
  assert.equal(run(mesh({ ISTIO_META_DNS_CAPTURE: 'true' })).length, 2);
});

test('analyze.IST0101: a gateway credentialName with no Secret in the gateway workload’s namespace, when the input lists secrets', () => {
  const gw = resource('Gateway', 'web', {
    selector: { istio: 'ingressgateway' },
    servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['web.example.com'], tls: { mode: 'SIMPLE', credentialName: 'web-cert' } }],
  });
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ingress', namespace: 'istio-system', labels: { istio: 'ingressgateway' } } };
  const secret = (namespace: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-cert', namespace }, type: 'kubernetes.io/tls' });
  const run = (docs: unknown[]): string[] => analyzeMesh({ state: live(), proposed: [gw], facts: kubernetesFacts(docs, 'default') }).map((d) => formatDiagnostic(d));
  // The Secret lives beside the gateway pods, not beside the Gateway resource.
  assert.deepEqual(run([pod, secret('default')]), ['Warning [IST0101] (Gateway default/web) Referenced credentialName not found: "web-cert"']);
  assert.deepEqual(run([pod, secret('istio-system')]), []);
  // No Secrets in the input: Jetmesh holds none, so nothing can be said.
  assert.deepEqual(run([pod]), []);
});

test('analyze.IST0167: policies that change nothing', () => {
  assert.deepEqual(
    lines([
      sec('PeerAuthentication', 'inherit', { mtls: { mode: 'UNSET' } }),
      sec('RequestAuthentication', 'no-rules', {}),
      resource('Sidecar', 'scoped', { workloadSelector: { labels: { app: 'reviews' } }, egress: [{ hosts: ['./*'] }] }, 'istio-system'),
    ]),
    [
      'Warning [IST0167] (PeerAuthentication default/inherit) The policy has no impact: its mode is UNSET (inherit from the parent policy) and it sets no port-level mode.',
      'Warning [IST0167] (RequestAuthentication default/no-rules) The policy has no impact: it has no jwtRules, so it accepts no token and rejects none.',
      'Warning [IST0167] (Sidecar istio-system/scoped) The policy has no impact: a Sidecar with a workloadSelector in the root namespace istio-system is ignored (the root namespace may only hold the mesh-wide default).',
    ],
  );
});

test('analyze.IST0111: two Sidecars without selector in one namespace', () => {
  const sidecar = (name: string) => resource('Sidecar', name, { egress: [{ hosts: ['./*'] }] });
  const message = 'The Sidecars [a b] in namespace "default" have no workload selector, which can lead to undefined behavior.';
  assert.deepEqual(lines([sidecar('a'), sidecar('b')]), [`Warning [IST0111] (Sidecar default/a) ${message}`, `Warning [IST0111] (Sidecar default/b) ${message}`]);
});

test('analyze.IST0173: a subset whose labels select none of the service\'s workloads', () => {
  const rule = resource('DestinationRule', 'reviews', { host: 'reviews', subsets: ['v1', 'v2', 'v4'].map((v) => ({ name: v, labels: { version: v } })) });
  assert.deepEqual(lines([rule]), [
    'Warning [IST0173] (DestinationRule default/reviews) The Subset v4 defined in the DestinationRule does not select any workloads. Which may lead to 503 UH (NoHealthyUpstream).',
  ]);
});

test('analyze.IST0174: a DestinationRule for a host no service declares', () => {
  assert.deepEqual(lines([resource('DestinationRule', 'details', { host: 'details', subsets: [{ name: 'v1', labels: { version: 'v1' } }] })]), [
    'Warning [IST0174] (DestinationRule default/details) The host details defined in the DestinationRule does not match any services in the mesh.',
  ]);
});

test('analyze.JM0001: a younger DestinationRule for a host an older one already configures', () => {
  assert.deepEqual(lines([resource('DestinationRule', 'reviews-lb', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } })]), [
    'Warning [JM0001] (DestinationRule default/reviews-lb) Host reviews.default.svc.cluster.local is also claimed by the older DestinationRule default/reviews, which wins: this DestinationRule is ignored for it',
  ]);
});

test('analyze.JM0003: plain text to workloads under STRICT mTLS', () => {
  const plain = resource('DestinationRule', 'reviews', { host: 'reviews', trafficPolicy: { tls: { mode: 'DISABLE' } }, subsets: ['v1', 'v2'].map((v) => ({ name: v, labels: { version: v } })) });
  const strict = sec('PeerAuthentication', 'default', { mtls: { mode: 'STRICT' } }, 'istio-system');
  assert.deepEqual(lines([plain, strict]), [
    'Warning [JM0003] (DestinationRule default/reviews) Traffic to reviews.default.svc.cluster.local is sent in plain text (tls.mode DISABLE) but PeerAuthentication istio-system/default requires STRICT mTLS: its workloads will refuse every request',
  ]);
  // A namespace-wide PERMISSIVE policy overrides the mesh-wide STRICT one.
  assert.deepEqual(lines([plain, strict, sec('PeerAuthentication', 'default', { mtls: { mode: 'PERMISSIVE' } })]), []);
});

test('analyze.scope: a proposed resource replaces the live one, and focus limits the report to it', () => {
  const withV4 = resource('DestinationRule', 'reviews', {
    host: 'reviews',
    subsets: ['v1', 'v2', 'v3', 'v4'].map((v) => ({ name: v, labels: { version: v === 'v4' ? 'v3' : v } })),
  });
  const toV4 = vs('reviews-route', { http: [{ route: [to('reviews', 'v4')] }] });
  assert.deepEqual(lines([toV4, withV4]), []);
  const unrelated = resource('DestinationRule', 'details', { host: 'details' , trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } });
  const focused = analyzeMesh({ state: stateAfter(applying([...bookinfo(), unrelated])), proposed: [toV4], focus: [{ kind: 'VirtualService', namespace: 'default', name: 'reviews-route' }] });
  assert.deepEqual(focused.map((d) => d.code), ['IST0101']);
});

test('analyze.property: the report depends only on the resources, not on the order the state was built in', () => {
  fc.assert(
    fc.property(twoStreams(), ({ config, registry, merged }) => {
      const inOrder = replay(emptyMeshState, [...config, ...registry]);
      const interleaved = replay(emptyMeshState, merged);
      assert.deepStrictEqual(analyzeMesh({ state: interleaved }), analyzeMesh({ state: inOrder }));
    }),
    { numRuns: 200 },
  );
});
