import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import { parseAllDocuments } from 'yaml';
import { analyzeMesh, decodeResource, emptyMeshState, encodeResource, formatInvalid, type MeshResource } from '../src/index.js';

/** Real-world Istio YAML (Bookinfo, the traffic-management and security tasks), authored in the shapes Istio documents. */
const fixturesDir = fileURLToPath(new URL('../../test/fixtures/istio/', import.meta.url));
const fixtures = readdirSync(fixturesDir).filter((f) => f.endsWith('.yaml')).sort();

const documentsOf = (file: string): Array<Record<string, unknown>> =>
  parseAllDocuments(readFileSync(`${fixturesDir}${file}`, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);

/** What a document says once its namespace is filled in as `kubectl apply` would. */
const withNamespace = (doc: Record<string, unknown>): Record<string, unknown> => {
  const metadata = doc.metadata as Record<string, unknown>;
  return { ...doc, metadata: { ...metadata, namespace: metadata.namespace ?? 'default' } };
};

test('istio.compat: the fixture set covers every kind Jetmesh serves', () => {
  const kinds = new Set(fixtures.flatMap((f) => documentsOf(f).map((d) => d.kind)));
  assert.deepEqual([...kinds].sort(), [
    'AuthorizationPolicy', 'DestinationRule', 'Gateway', 'PeerAuthentication', 'RequestAuthentication',
    'ServiceEntry', 'Sidecar', 'VirtualService', 'WorkloadEntry', 'WorkloadGroup',
  ]);
});

for (const file of fixtures) {
  test(`istio.compat: ${file} is accepted unchanged`, () => {
    for (const doc of documentsOf(file)) {
      const r = decodeResource(doc);
      assert.ok(!isLeft(r), `${String(doc.kind)} ${String((doc.metadata as { name?: string }).name)}:\n${isLeft(r) ? r.left.map(formatInvalid).join('\n') : ''}`);
      assert.deepStrictEqual(encodeResource(r.right.resource), withNamespace(doc));
    }
  });
}

test('istio.compat: analyzing all fixtures together never throws and names only known resources', () => {
  const resources: MeshResource[] = fixtures.flatMap((f) => documentsOf(f)).flatMap((d) => {
    const r = decodeResource(d);
    return isLeft(r) ? [] : [r.right.resource];
  });
  const diagnostics = analyzeMesh({ state: emptyMeshState, proposed: resources });
  for (const d of diagnostics) assert.ok(resources.some((r) => r.kind === d.ref.kind && r.metadata.name === d.ref.name && r.metadata.namespace === d.ref.namespace));
});

test('istio.compat: partial wildcard hosts (`*x.example.com`) as Istio validates them: routes, rules and SNI names take them, Gateways and Sidecars refuse them with Istio’s reason, ServiceEntries warn', () => {
  const reasons = (doc: Record<string, unknown>): string[] => {
    const r = decodeResource(doc, 'default');
    return isLeft(r) ? r.left.map(formatInvalid) : [];
  };
  const route = (hosts: string[]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r' }, spec: { hosts, http: [{ route: [{ destination: { host: 'reviews' } }] }] } });
  for (const host of ['*x.example.com', '*-api.example.com', '*X1.example.com']) assert.deepEqual(reasons(route([host])), [], host);
  // Istio's ValidateWildcardDomain: `*`, then a label or `-` and a label, in the first label only.
  for (const host of ['*--api.example.com', '*.foo*', 'x*.example.com', '**.example.com', '*-.example.com']) assert.equal(reasons(route([host])).length, 1, host);
  // host.Name.Matches: a partial wildcard covers by plain suffix, so it overlaps what ends in it.
  assert.deepEqual(reasons(route(['*x.example.com', 'ax.example.com'])), ['spec.hosts[1]: host "ax.example.com" overlaps host "*x.example.com"']);
  assert.deepEqual(reasons(route(['*x.example.com', 'y.example.com'])), []);
  assert.deepEqual(reasons({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd' }, spec: { host: '*x.example.com' } }), []);
  const tls = { ...route(['*.example.com']), spec: { hosts: ['*.example.com'], tls: [{ match: [{ sniHosts: ['*x.example.com'] }], route: [{ destination: { host: 'reviews' } }] }] } };
  assert.deepEqual(reasons(tls), []);
  const server = (hosts: string[]) => ({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'g' }, spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts }] } });
  assert.deepEqual(reasons(server(['*x.example.com'])), ['spec.servers[0].hosts[0]: partial wildcard "*x.example.com" not allowed']);
  assert.deepEqual(reasons(server(['ns/*x.example.com'])), ['spec.servers[0].hosts[0]: invalid host "ns/*x.example.com": partial wildcard "*x.example.com" not allowed']);
  const sidecar = { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 's' }, spec: { egress: [{ hosts: ['./*x.example.com'] }] } };
  assert.deepEqual(reasons(sidecar), ['spec.egress[0].hosts[0]: invalid host "./*x.example.com": partial wildcard "*x.example.com" not allowed']);
  const entry = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'e' }, spec: { hosts: ['*x.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'NONE' } };
  assert.deepEqual(reasons(entry), []);
  const decoded = decodeResource(entry, 'default');
  assert.ok(!isLeft(decoded));
  assert.deepEqual(
    analyzeMesh({ state: emptyMeshState, proposed: [decoded.right.resource] }).filter((d) => d.code === 'IST0133').map((d) => d.message),
    ['Schema validation warning: spec.hosts[0]: partial wildcard "*x.example.com" not allowed'],
  );
});

test('istio.compat: a partial wildcard ServiceEntry host serves the names ending in it, as Istio looks hosts up (a route to one finds it)', () => {
  const read = (doc: Record<string, unknown>): MeshResource => {
    const r = decodeResource(doc, 'default');
    assert.ok(!isLeft(r), isLeft(r) ? r.left.map(formatInvalid).join('\n') : '');
    return r.right.resource;
  };
  const entry = read({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'e' }, spec: { hosts: ['*-api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'NONE' } });
  const route = (host: string) => read({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r' }, spec: { hosts: ['r.example.com'], http: [{ route: [{ destination: { host } }] }] } });
  const notFound = (host: string): string[] =>
    analyzeMesh({ state: emptyMeshState, proposed: [entry, route(host)] }).filter((d) => d.code === 'IST0101').map((d) => d.message);
  assert.deepEqual(notFound('orders-api.example.com'), []);
  assert.deepEqual(notFound('orders.example.com'), ['Referenced host not found: "orders.example.com"']);
});
