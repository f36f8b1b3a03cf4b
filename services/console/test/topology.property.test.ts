import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { EdgeRow, Endpoint, RoutingSnapshot, TopRow, WeightedDestination } from '@jetmesh/model';
import { buildTopology } from '../src/topology.js';

const hosts = ['reviews.default.svc.cluster.local', 'ratings.default.svc.cluster.local', 'details.shop.svc.cluster.local'];
const endpoint: fc.Arbitrary<Endpoint> = fc.record({
  address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
  port: fc.constant(9080),
  labels: fc.record({ version: fc.constantFrom('v1', 'v2') }),
  workload: fc.constantFrom('WorkloadEntry default/a', 'WorkloadEntry default/b', 'ServiceEntry shop/details#0'),
});
const destination: fc.Arbitrary<WeightedDestination> = fc.record({
  host: fc.constantFrom(...hosts),
  subset: fc.option(fc.constantFrom('v1', 'v2'), { nil: undefined }),
  weight: fc.integer({ min: 0, max: 100 }),
  cluster: fc.constant('outbound|9080||x'),
  endpoints: fc.array(endpoint, { maxLength: 3 }),
}).map((d) => (d.subset === undefined ? { host: d.host, weight: d.weight, cluster: d.cluster, endpoints: d.endpoints } : d));
const snapshot = (host: string): fc.Arbitrary<RoutingSnapshot> =>
  fc.array(fc.record({ match: fc.constant([]), destinations: fc.array(destination, { minLength: 1, maxLength: 3 }) }), { maxLength: 3 }).map((routes) => ({
    host,
    ports: [],
    sources: {},
    routes,
    subsets: [],
    endpoints: [],
    warnings: [],
  }));
const snapshots = fc.subarray(hosts).chain((hs) => fc.tuple(...hs.map(snapshot)));
const rows: fc.Arbitrary<TopRow[]> = fc.array(
  fc.record({ namespace: fc.constant('default'), service: fc.constantFrom(...hosts), reporter: fc.constant('destination' as const), requests: fc.nat(), rps: fc.double({ min: 0, max: 1e4, noNaN: true }), successRate: fc.double({ min: 0, max: 1, noNaN: true }), p50Ms: fc.nat(), p95Ms: fc.nat(), p99Ms: fc.nat() }),
  { maxLength: 3 },
);

const calls: fc.Arbitrary<EdgeRow[]> = fc
  .uniqueArray(
    fc.record({
      sourceNamespace: fc.constantFrom('default', 'shop'),
      sourceWorkload: fc.constantFrom('productpage-v1-15006', 'unknown', 'a'),
      sourceService: fc.constant('productpage'),
      destinationNamespace: fc.constant('default'),
      destinationService: fc.constantFrom(...hosts, 'nowhere.default.svc.cluster.local'),
      reporter: fc.constantFrom('source' as const, 'destination' as const),
      requests: fc.integer({ min: 1, max: 1000 }),
      rps: fc.double({ min: 0, max: 1e4, noNaN: true }),
      errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
      p99Ms: fc.nat(),
      mutualTls: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    }),
    { selector: (r) => `${r.sourceNamespace}/${r.sourceWorkload}->${r.destinationService}`, maxLength: 4 },
  )
  .map((rows) => rows.map((r) => (r.sourceWorkload === 'unknown' ? { ...r, sourceNamespace: 'default' } : r)))
  .map((rows) => rows.filter((r, i) => rows.findIndex((o) => o.sourceWorkload === r.sourceWorkload && o.sourceNamespace === r.sourceNamespace && o.destinationService === r.destinationService) === i))
  .map((rows) => rows.map(({ mutualTls, ...r }) => (mutualTls === undefined ? r : { ...r, mutualTls })));

describe('buildTopology (property)', () => {
  it('topology.closed: every edge joins two nodes, ids are unique, and node order does not depend on the order snapshots come in', () => {
    fc.assert(
      fc.property(snapshots, rows, calls, (list, top, seen) => {
        const graph = buildTopology(new Map(list.map((s) => [s.host, s])), new Map(), top, seen);
        const ids = new Set(graph.nodes.map((n) => n.id));
        assert.equal(ids.size, graph.nodes.length);
        assert.equal(new Set(graph.edges.map((e) => e.id)).size, graph.edges.length);
        for (const e of graph.edges) assert.ok(ids.has(e.source) && ids.has(e.target), `${e.id} has both ends`);
        const reversed = buildTopology(new Map([...list].reverse().map((s) => [s.host, s])), new Map(), top, [...seen].reverse());
        assert.deepEqual(reversed.nodes.map((n) => n.id), graph.nodes.map((n) => n.id));
      }),
    );
  });

  it("topology.weights: the edges of a host's last route carry that route's weights, summed per workload", () => {
    fc.assert(
      fc.property(snapshot(hosts[0]!), (s) => {
        const graph = buildTopology(new Map([[s.host, s]]), new Map());
        const last = s.routes.at(-1);
        const expected = new Map<string, number>();
        for (const d of last?.destinations ?? []) {
          if (d.host !== s.host) continue;
          for (const e of d.endpoints) expected.set(`workload:${e.workload}`, (expected.get(`workload:${e.workload}`) ?? 0) + d.weight);
        }
        for (const [target, weight] of expected) assert.equal(graph.edges.find((e) => e.source === `service:${s.host}` && e.target === target)?.weight, weight);
      }),
    );
  });

  it('topology.calls: each caller → service row of telemetry is one call edge with its figures, from the caller\'s node; route edges carry none', () => {
    fc.assert(
      fc.property(snapshots, calls, (list, seen) => {
        const graph = buildTopology(new Map(list.map((s) => [s.host, s])), new Map(), [], seen);
        const callEdges = graph.edges.filter((e) => e.kind === 'call');
        assert.equal(callEdges.length, seen.length);
        for (const r of seen) {
          const source = r.sourceWorkload === 'unknown' ? 'workload:unknown' : `workload:registry ${r.sourceNamespace}/${r.sourceWorkload}`;
          const e = callEdges.find((c) => c.source === source && c.target === `service:${r.destinationService}`);
          assert.deepEqual(e?.traffic, { rps: r.rps, errorRate: r.errorRate, p99Ms: r.p99Ms });
          assert.equal(e?.observedMtls, r.mutualTls);
        }
        assert.ok(graph.edges.filter((e) => e.kind === 'route').every((e) => e.traffic === undefined));
      }),
    );
  });
});
