import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLeft } from 'fp-ts/lib/Either.js';
import { snapshotKeyForWorkload } from '@jetmesh/bus';
import { decodeVersionedWorkloadSnapshot, type VersionedWorkloadSnapshot } from '@jetmesh/model';
import { eventually } from '@jetmesh/testing';
import { addresses, bookinfo, publishedAt, refOf, resourcesOf, startPilotHarness, startPilotInstance, type PilotHarness, type PilotInstance } from './pilot-harness.js';

const policies = () =>
  resourcesOf(`
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: strict, namespace: shop}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: only-frontend, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  rules: [{from: [{source: {principals: [cluster.local/ns/shop/sa/frontend]}}], to: [{operation: {methods: [GET]}}]}]
`);

const edge = () =>
  resourcesOf(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ['*']}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-edge, namespace: default}
spec:
  hosts: [bookinfo.example.com]
  gateways: [istio-system/public]
  http: [{route: [{destination: {host: reviews, subset: v1}}]}]
`);

describe('workload snapshots', () => {
  let h: PilotHarness;
  let pilot: PilotInstance;

  before(async () => {
    h = await startPilotHarness();
    pilot = await startPilotInstance(h.nats.url);
  });
  after(async () => {
    await pilot.stop();
    await h.dispose();
  });

  /** The stored value of workload.<ns>.<name> once it satisfies `ready`, checked the way a proxy checks it. */
  const workloadSnapshot = (namespace: string, name: string, ready: (v: VersionedWorkloadSnapshot) => boolean) =>
    eventually(async () => {
      const entry = await h.store.get(snapshotKeyForWorkload(namespace, name));
      if (entry === undefined) return undefined;
      const decoded = decodeVersionedWorkloadSnapshot(entry.value, { namespace, name });
      if (isLeft(decoded)) throw new Error(`a proxy would refuse it: ${decoded.left.join('; ')}`);
      return ready(decoded.right) ? decoded.right : undefined;
    }, `workload.${namespace}.${name}`);

  test('workload.snapshot: a registered workload’s key shows the STRICT PeerAuthentication and the AuthorizationPolicy selecting it; removing it removes the key', async () => {
    const registrySeq = await h.log.register('shop', 'cart.v1', { address: '10.2.0.1', labels: { app: 'cart' }, serviceAccount: 'cart' });
    const first = await workloadSnapshot('shop', 'cart.v1', (v) => v.version.registry >= registrySeq);
    assert.deepEqual(first.snapshot.mtls, { mode: 'PERMISSIVE', ports: {}, sources: [] });

    const configSeq = await h.log.apply(policies());
    const { snapshot } = await workloadSnapshot('shop', 'cart.v1', (v) => v.version.config >= configSeq);
    assert.deepEqual(snapshot.workload, { namespace: 'shop', name: 'cart.v1', labels: { app: 'cart' }, serviceAccount: 'cart' });
    assert.deepEqual(snapshot.mtls, { mode: 'STRICT', ports: {}, sources: ['shop/strict'] });
    assert.deepEqual(snapshot.authorization.map((p) => [p.source, p.action, p.rules.length]), [['shop/only-frontend', 'ALLOW', 1]]);

    const removedSeq = await h.log.unregister('shop', 'cart.v1');
    await publishedAt(pilot, configSeq, removedSeq);
    assert.equal(await h.store.get(snapshotKeyForWorkload('shop', 'cart.v1')), undefined);
  });

  test('workload.snapshot: a Gateway selecting a registered workload and a VirtualService bound to it give that workload a route table with resolved endpoints', async () => {
    await h.log.apply(bookinfo());
    const registrySeq = await h.log.register('istio-system', 'ingress-1', { address: '10.2.0.9', labels: { istio: 'ingressgateway' } });
    const configSeq = await h.log.apply(edge());
    const { snapshot } = await workloadSnapshot('istio-system', 'ingress-1', (v) => v.version.config >= configSeq && v.version.registry >= registrySeq);
    assert.equal(snapshot.gateways.length, 1);
    const [gateway] = snapshot.gateways;
    assert.equal(gateway?.source, 'istio-system/public');
    assert.deepEqual(gateway?.routeTables.map((t) => [t.host, t.virtualService, t.ports]), [['bookinfo.example.com', 'default/reviews-edge', [8080]]]);
    const destination = gateway?.routeTables[0]?.routes[0]?.destinations[0];
    assert.equal(destination?.cluster, 'outbound|9080|v1|reviews.default.svc.cluster.local');
    assert.deepEqual(addresses(destination?.endpoints ?? []), ['127.0.0.1:19081']);

    // The sidecars of reviews are selected by no Gateway, and the edge VirtualService does not shape their routing.
    await publishedAt(pilot, configSeq, registrySeq);
    const reviews = await workloadSnapshot('default', 'reviews-v1', () => true);
    assert.deepEqual(reviews.snapshot.gateways, []);
    const host = await h.snapshot('reviews.default.svc.cluster.local');
    assert.equal(host?.value.snapshot.sources.virtualService, 'default/reviews-route');

    const deletedSeq = await h.log.delete(edge().filter((r) => r.kind === 'VirtualService').map(refOf));
    const after = await workloadSnapshot('istio-system', 'ingress-1', (v) => v.version.config >= deletedSeq);
    assert.deepEqual(after.snapshot.gateways[0]?.routeTables, []);
  });
});
