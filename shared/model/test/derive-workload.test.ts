import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type LogEvent, type MeshResource, type MeshState, type RegistryEvent, type WorkloadSnapshot, deriveWorkloadSnapshot, deriveWorkloadSnapshots, emptyMeshState, replay } from '../src/index.js';
import { applying, chainConfigLog, mustDecode } from './event-log.js';

const SEC = 'security.istio.io/v1';
const NET = 'networking.istio.io/v1';
const res = (apiVersion: string, kind: string, namespace: string, name: string, spec: unknown): MeshResource =>
  mustDecode({ apiVersion, kind, metadata: { name, namespace }, spec });
const pa = (namespace: string, name: string, spec: unknown) => res(SEC, 'PeerAuthentication', namespace, name, spec);
const ap = (namespace: string, name: string, spec: unknown) => res(SEC, 'AuthorizationPolicy', namespace, name, spec);

const registered = (namespace: string, name: string, labels: Record<string, string>, address = '10.0.0.1'): RegistryEvent => ({
  id: `reg-${namespace}-${name}`,
  type: 'WorkloadRegistered',
  at: '2024-05-01T12:00:00.000Z',
  actor: `spiffe://cluster.local/ns/${namespace}/sa/${name}`,
  namespace,
  name,
  workload: { address, labels, serviceAccount: name, ports: { http: 8080 } },
});

/** Each inner list is one ChangeSet (so the earlier lists are older); then the registrations. */
const meshOf = (changeSets: MeshResource[][], workloads: RegistryEvent[] = []): MeshState => {
  const config = chainConfigLog(changeSets.map((rs) => applying(rs)));
  const registry: LogEvent[] = workloads.map((event, i) => ({ stream: 'registry', seq: i + 1, event }));
  return replay(emptyMeshState, [...config, ...registry]);
};

const snapshot = (state: MeshState, key: string): WorkloadSnapshot => {
  const s = deriveWorkloadSnapshots(state).get(key);
  assert.ok(s, `no snapshot for ${key}; have ${[...deriveWorkloadSnapshots(state).keys()].join(', ')}`);
  return s;
};

const reviews = registered('default', 'reviews-v1', { app: 'reviews', version: 'v1' });

test('derive.workload: one snapshot per registered workload and per WorkloadEntry, keyed namespace/name, with its identity', () => {
  const we = res(NET, 'WorkloadEntry', 'prod', 'vm.one', { address: '10.0.0.9', labels: { app: 'ratings' }, serviceAccount: 'ratings' });
  const state = meshOf([[we]], [reviews]);
  assert.deepEqual([...deriveWorkloadSnapshots(state).keys()], ['default/reviews-v1', 'prod/vm.one']);
  assert.deepEqual(snapshot(state, 'prod/vm.one').workload, { namespace: 'prod', name: 'vm.one', labels: { app: 'ratings' }, serviceAccount: 'ratings' });
  assert.deepEqual(snapshot(state, 'default/reviews-v1'), {
    workload: { namespace: 'default', name: 'reviews-v1', labels: { app: 'reviews', version: 'v1' }, serviceAccount: 'reviews-v1' },
    mtls: { mode: 'PERMISSIVE', ports: {}, sources: [] },
    authorization: [],
    gateways: [],
    warnings: [],
  });
  assert.deepEqual(deriveWorkloadSnapshot(state, 'default', 'reviews-v1'), snapshot(state, 'default/reviews-v1'));
  assert.equal(deriveWorkloadSnapshot(state, 'default', 'nobody'), undefined);
});

test('derive.workload.mtls: mesh STRICT, an UNSET namespace policy inherits it, a workload policy overrides it and its UNSET ports inherit the workload mode', () => {
  const state = meshOf(
    [[
      pa('istio-system', 'mesh', { mtls: { mode: 'STRICT' } }),
      pa('default', 'ns', { mtls: { mode: 'UNSET' } }),
      pa('default', 'reviews', { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'PERMISSIVE' }, portLevelMtls: { '8080': { mode: 'DISABLE' }, '9090': { mode: 'UNSET' } } }),
    ]],
    [reviews, registered('default', 'other', { app: 'other' }), registered('prod', 'p', { app: 'reviews' })],
  );
  assert.deepEqual(snapshot(state, 'default/reviews-v1').mtls, { mode: 'PERMISSIVE', ports: { '8080': 'DISABLE', '9090': 'PERMISSIVE' }, sources: ['default/reviews', 'istio-system/mesh'] });
  assert.deepEqual(snapshot(state, 'default/other').mtls, { mode: 'STRICT', ports: {}, sources: ['istio-system/mesh'] });
  assert.deepEqual(snapshot(state, 'prod/p').mtls, { mode: 'STRICT', ports: {}, sources: ['istio-system/mesh'] });
});

test('derive.workload.mtls: a namespace policy beats the mesh one; a root-namespace policy with a selector is ignored', () => {
  const state = meshOf(
    [[pa('istio-system', 'mesh', { mtls: { mode: 'STRICT' } }), pa('istio-system', 'picky', { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'DISABLE' } }), pa('default', 'ns', { mtls: { mode: 'PERMISSIVE' } })]],
    [reviews],
  );
  assert.deepEqual(snapshot(state, 'default/reviews-v1').mtls, { mode: 'PERMISSIVE', ports: {}, sources: ['default/ns', 'istio-system/mesh'] });
});

test('derive.workload.mtls: of two workload policies the oldest wins, with a warning', () => {
  const state = meshOf(
    [[pa('default', 'zz-old', { selector: { matchLabels: { app: 'reviews' } }, mtls: { mode: 'STRICT' } })], [pa('default', 'aa-new', { selector: { matchLabels: { version: 'v1' } }, mtls: { mode: 'DISABLE' } })]],
    [reviews],
  );
  const s = snapshot(state, 'default/reviews-v1');
  assert.equal(s.mtls.mode, 'STRICT');
  assert.deepEqual(s.warnings, ['PeerAuthentication default/zz-old, default/aa-new all apply at the workload level; the oldest (default/zz-old) wins']);
});

test('derive.workload.authz: root-namespace and own-namespace policies that select the workload, root first, each by name; targetRef policies are ignored with a warning', () => {
  const rules = [{ from: [{ source: { namespaces: ['default'] } }] }];
  const state = meshOf(
    [[
      ap('istio-system', 'z-mesh-deny', { action: 'DENY', rules }),
      ap('istio-system', 'a-reviews-only', { selector: { matchLabels: { app: 'reviews' } }, rules }),
      ap('istio-system', 'ratings-only', { selector: { matchLabels: { app: 'ratings' } }, rules }),
      ap('default', 'ns-wide', {}),
      ap('default', 'b-v1', { selector: { matchLabels: { version: 'v1' } }, action: 'AUDIT', rules }),
      ap('default', 'c-ext', { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] }),
      ap('default', 'waypoint', { targetRef: { kind: 'Service', name: 'reviews' }, rules }),
      ap('prod', 'elsewhere', {}),
    ]],
    [reviews],
  );
  const s = snapshot(state, 'default/reviews-v1');
  assert.deepEqual(s.authorization, [
    { source: 'istio-system/a-reviews-only', action: 'ALLOW', rules },
    { source: 'istio-system/z-mesh-deny', action: 'DENY', rules },
    { source: 'default/b-v1', action: 'AUDIT', rules },
    { source: 'default/c-ext', action: 'CUSTOM', rules: [{}], provider: 'opa' },
    { source: 'default/ns-wide', action: 'ALLOW', rules: [] },
  ]);
  assert.deepEqual(s.warnings, ['AuthorizationPolicy default/waypoint uses targetRef, which applies to gateways and waypoints only; ignored for this sidecar']);
});

// ---------------------------------------------------------------------------------------------
// Gateways.

const service = (namespace: string, name: string, app: string) =>
  res(NET, 'ServiceEntry', namespace, name, { hosts: [name], location: 'MESH_INTERNAL', resolution: 'STATIC', ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }], workloadSelector: { labels: { app } } });
const gateway = (namespace: string, name: string, servers: unknown[], selector: Record<string, string> = { istio: 'ingressgateway' }) =>
  res(NET, 'Gateway', namespace, name, { selector, servers });
const vs = (namespace: string, name: string, spec: Record<string, unknown>) => res(NET, 'VirtualService', namespace, name, spec);
const ingress = registered('istio-system', 'ingress-1', { istio: 'ingressgateway' }, '10.0.0.100');
const httpServer = (hosts: string[], number = 80) => ({ port: { number, name: `http-${number}`, protocol: 'HTTP' }, hosts });

test('derive.workload.gateway: a Gateway selecting the workload gives its servers and one route table per bound VirtualService host, most specific first, destinations resolved', () => {
  const state = meshOf(
    [[
      service('default', 'reviews', 'reviews'),
      gateway('istio-system', 'public', [httpServer(['*/*.example.com', 'default/bookinfo.com']), { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls: { mode: 'SIMPLE', credentialName: 'cert' } }]),
      vs('default', 'wild', { hosts: ['*.example.com'], gateways: ['istio-system/public'], http: [{ route: [{ destination: { host: 'reviews' } }] }] }),
      vs('default', 'exact', { hosts: ['a.example.com', 'bookinfo.com'], gateways: ['istio-system/public', 'mesh'], http: [{ match: [{ uri: { prefix: '/x' }, gateways: ['mesh'] }], route: [{ destination: { host: 'reviews' } }] }, { route: [{ destination: { host: 'reviews' } }] }] }),
      vs('prod', 'not-bound', { hosts: ['c.example.com'], gateways: ['public'], http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] }] }),
      vs('prod', 'bookinfo-from-prod', { hosts: ['bookinfo.com'], gateways: ['istio-system/public'], http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] }] }),
    ]],
    [ingress, reviews],
  );
  const s = snapshot(state, 'istio-system/ingress-1');
  assert.equal(s.gateways.length, 1);
  const [g] = s.gateways;
  assert.equal(g?.source, 'istio-system/public');
  assert.deepEqual(g?.servers.map((x) => [x.port.number, x.hosts]), [[80, ['*.example.com', 'bookinfo.com']], [443, ['*']]]);
  assert.deepEqual(g?.routeTables.map((t) => [t.host, t.virtualService, t.ports, t.routes.length]), [
    ['a.example.com', 'default/exact', [80, 443], 1],
    ['bookinfo.com', 'default/exact', [80, 443], 1],
    // prod may not bind bookinfo.com on port 80 (the server says default/), only on 443's `*`.
    ['bookinfo.com', 'prod/bookinfo-from-prod', [443], 1],
    ['*.example.com', 'default/wild', [80, 443], 1],
  ]);
  const route = g?.routeTables[0]?.routes[0];
  assert.deepEqual(route?.match, []);
  assert.deepEqual(route?.destinations.map((d) => [d.cluster, d.endpoints.map((e) => e.address)]), [['outbound|9080||reviews.default.svc.cluster.local', ['10.0.0.1']]]);
  // The sidecar of reviews is selected by no Gateway.
  assert.deepEqual(snapshot(state, 'default/reviews-v1').gateways, []);
});

test('derive.workload.gateway: a gateway named without namespace is looked up in the VirtualService’s; a wildcard VS host under an exact server host gives the server host', () => {
  const state = meshOf(
    [[
      service('default', 'reviews', 'reviews'),
      gateway('default', 'edge', [httpServer(['shop.example.com'])]),
      vs('default', 'shop', { hosts: ['*.example.com'], gateways: ['edge'], http: [{ route: [{ destination: { host: 'reviews' } }] }] }),
      vs('prod', 'shop', { hosts: ['*.example.com'], gateways: ['edge'], http: [{ route: [{ destination: { host: 'reviews.default.svc.cluster.local' } }] }] }),
    ]],
    [registered('default', 'edge-1', { istio: 'ingressgateway' })],
  );
  const tables = snapshot(state, 'default/edge-1').gateways[0]?.routeTables;
  assert.deepEqual(tables?.map((t) => [t.host, t.virtualService]), [['shop.example.com', 'default/shop']]);
});

test('derive.workload.gateway: a Gateway without selector applies to no workload (a snapshot cannot tell gateways from sidecars)', () => {
  const state = meshOf([[gateway('istio-system', 'any', [httpServer(['*'])], {})]], [ingress]);
  assert.deepEqual(snapshot(state, 'istio-system/ingress-1').gateways, []);
});

test('derive.workload.performance: 2,000 workloads and 60 policies derive well under 50 ms', () => {
  const policies: MeshResource[] = [];
  for (let i = 0; i < 20; i++) {
    const ns = ['default', 'prod', 'istio-system'][i % 3] as string;
    policies.push(ap(ns, `ap-${i}`, { selector: { matchLabels: { app: `app-${i % 10}` } }, rules: [{ from: [{ source: { namespaces: ['default'] } }] }] }));
    policies.push(pa(ns, `pa-${i}`, i % 2 === 0 ? { mtls: { mode: 'STRICT' } } : { selector: { matchLabels: { app: `app-${i % 10}` } }, mtls: { mode: 'PERMISSIVE' } }));
    policies.push(ap(ns, `ns-${i}`, { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }));
  }
  const workloads = Array.from({ length: 2000 }, (_, i) => registered(i % 2 === 0 ? 'default' : 'prod', `w-${i}`, { app: `app-${i % 10}`, version: 'v1' }, `10.1.${Math.floor(i / 250)}.${i % 250}`));
  const state = meshOf([policies], workloads);
  // Warm, best of several: pilot runs it on every batch, so the steady state is what matters.
  let ms = Infinity;
  for (let i = 0; i < 8; i++) {
    const started = performance.now();
    const all = deriveWorkloadSnapshots(state);
    ms = Math.min(ms, performance.now() - started);
    assert.equal(all.size, 2000);
  }
  assert.ok(ms < 50, `took ${ms.toFixed(1)} ms`);
});
