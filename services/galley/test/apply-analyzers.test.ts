import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { bookinfoYaml, failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';
import { istioFixturesDir } from './model-test-support.js';

const routeToV4 = [
  'apiVersion: networking.istio.io/v1',
  'kind: VirtualService',
  'metadata: {name: reviews-route}',
  'spec:',
  '  hosts: [reviews]',
  '  http:',
  '  - route: [{destination: {host: reviews, subset: v4}}]',
  '',
].join('\n');
const IST0101_V4 = 'Referenced host+subset in destinationrule not found: "reviews+v4"';

describe('apply.analyzers', () => {
  let h: GalleyHarness;
  let seeded: number;
  before(async () => {
    h = await startGalleyHarness();
    seeded = (await h.client.apply({ yaml: bookinfoYaml() })).sequence;
  });
  after(() => h.dispose());

  test('apply.analyzers: Bookinfo applies without warnings', async () => {
    const res = await h.client.apply({ yaml: bookinfoYaml(), dryRun: true });
    assert.deepEqual(res.warnings, []);
  });

  test('apply.analyzers: a dry run reports what would change and what the analyzers find, publishing nothing', async () => {
    const res = await h.client.apply({ yaml: routeToV4, dryRun: true });
    assert.deepEqual(res.changes.map((c) => [c.ref?.name, c.action]), [['reviews-route', 'configured']]);
    assert.deepEqual(res.warnings, [`Warning [IST0101] (VirtualService default/reviews-route) ${IST0101_V4}`]);
    assert.deepEqual(res.diagnostics, [
      {
        code: 'IST0101',
        name: 'ReferencedResourceNotFound',
        level: 'Warning',
        ref: { kind: 'VirtualService', namespace: 'default', name: 'reviews-route' },
        path: 'spec.http[0].route[0].destination.subset',
        message: IST0101_V4,
      },
    ]);
    assert.equal(await h.lastSequence(), seeded);
  });

  test('apply.analyzers: --strict turns the warning into an error and publishes nothing', async () => {
    const failure = await failureOf(h.client.apply({ yaml: routeToV4, strict: true }));
    assert.deepEqual(failure, { code: status.INVALID_ARGUMENT, lines: [`Error [IST0101] (VirtualService default/reviews-route) ${IST0101_V4} (--strict)`] });
    assert.equal(await h.lastSequence(), seeded);
  });

  test('apply.analyzers: --strict on a dry run refuses the same way', async () => {
    const failure = await failureOf(h.client.apply({ yaml: routeToV4, strict: true, dryRun: true }));
    assert.equal(failure.code, status.INVALID_ARGUMENT);
  });

  test('apply.analyzers: without --strict the change is applied and the warning returned', async () => {
    const res = await h.client.apply({ yaml: routeToV4 });
    assert.ok(res.sequence > seeded);
    assert.deepEqual(res.warnings, [`Warning [IST0101] (VirtualService default/reviews-route) ${IST0101_V4}`]);
  });

  test('apply.analyzers: what Istio’s webhook only warns about is applied, and the answer carries the warning (IST0133)', async () => {
    const policy = 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: whole-namespace}\nspec:\n  selector: {}\n  mtls: {mode: PERMISSIVE}\n';
    const line = 'Warning [IST0133] (PeerAuthentication default/whole-namespace) Schema validation warning: spec.selector: workload selector specified without labels';
    const dry = await h.client.apply({ yaml: policy, dryRun: true });
    assert.deepEqual(dry.warnings, [line]);
    const strict = await failureOf(h.client.apply({ yaml: policy, strict: true }));
    assert.equal(strict.code, status.INVALID_ARGUMENT, '--strict refuses what would be a warning');
    const res = await h.client.apply({ yaml: policy });
    assert.ok(res.sequence > 0);
    assert.deepEqual(res.warnings, [line]);
    // The later analyze scenarios expect a live state with nothing to report.
    await h.client.delete({ yaml: policy });
  });

  test('apply.analyzers: --strict accepts a change the analyzers have nothing to say about', async () => {
    const res = await h.client.apply({ yaml: bookinfoYaml(), strict: true });
    assert.deepEqual(res.warnings, []);
    assert.ok(res.sequence > 0);
  });

  test('analyze: the live state alone, and with proposed documents laid over it', async () => {
    const clean = await h.client.analyze({});
    assert.deepEqual(clean.diagnostics, []);
    assert.equal(clean.sequence, await h.lastSequence());
    const proposed = await h.client.analyze({ yaml: routeToV4 });
    assert.deepEqual(proposed.diagnostics.map((d) => [d.code, d.ref?.name, d.message]), [['IST0101', 'reviews-route', IST0101_V4]]);
    assert.equal(proposed.sequence, await h.lastSequence(), 'nothing published');
  });

  test('analyze: Kubernetes objects beside the config are registry facts for the analysis, never stored', async () => {
    const route = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: to-payments}\nspec:\n  hosts: [payments]\n  http:\n  - route:\n    - destination: {host: payments}\n';
    const alone = await h.client.analyze({ yaml: route });
    assert.deepEqual(alone.diagnostics.map((d) => [d.code, d.message]), [['IST0101', 'Referenced host not found: "payments"']]);
    const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: payments}\nspec:\n  selector: {app: payments}\n  ports: [{name: http, port: 80}]\n';
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: payments-1, labels: {app: payments}}\n';
    const before = await h.lastSequence();
    const withFacts = await h.client.analyze({ yaml: `${route}---\n${service}---\n${pod}` });
    assert.deepEqual(withFacts.diagnostics, []);
    assert.equal(await h.lastSequence(), before, 'nothing published');
    const applied = await failureOf(h.client.apply({ yaml: service }));
    assert.equal(applied.code, status.INVALID_ARGUMENT, 'apply still serves only Istio kinds');
  });

  test('analyze: the istio ConfigMap’s mesh config and a ServiceEntry’s status.addresses say addresses are allocated (no IST0134)', async () => {
    const entry = 'apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: db}\nspec:\n  hosts: [db.example.com]\n  resolution: DNS\n  ports: [{number: 5432, name: tcp-pg, protocol: TCP}]\n';
    const codes = async (yaml: string): Promise<string[]> => (await h.client.analyze({ yaml })).diagnostics.map((d) => `${d.code} ${d.ref?.name}`);
    assert.deepEqual(await codes(entry), ['IST0134 db']);
    assert.deepEqual(await codes(`${entry}status:\n  addresses: [{host: db.example.com, value: 240.240.0.1}]\n`), []);
    const mesh = (capture: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    defaultConfig:\n      proxyMetadata:\n        ISTIO_META_DNS_CAPTURE: "${capture}"\n        ISTIO_META_DNS_AUTO_ALLOCATE: "true"\n`;
    assert.deepEqual(await codes(`${entry}---\n${mesh('true')}`), []);
    assert.deepEqual(await codes(`${entry}---\n${mesh('false')}`), ['IST0134 db']);
  });

  test('analyze: a document apply would refuse is analyzed as far as it reads, its refusal an IST0106 error (as istioctl analyze); nothing published', async () => {
    const before = await h.lastSequence();
    const res = await h.client.analyze({ yaml: routeToV4.replace('hosts: [reviews]', 'hosts: ["*"]') });
    assert.deepEqual(
      res.diagnostics.map((d) => [d.code, d.level, d.ref?.name, d.path, d.message]),
      [
        ['IST0106', 'Error', 'reviews-route', 'spec.hosts[0]', 'Schema validation error: spec.hosts[0]: "*" is not allowed for VirtualServices bound to the mesh'],
        ['IST0101', 'Warning', 'reviews-route', 'spec.http[0].route[0].destination.subset', IST0101_V4],
      ],
    );
    assert.equal(await h.lastSequence(), before, 'nothing published');
  });

  test('analyze: what cannot be read at all (an unknown kind) is INVALID_ARGUMENT', async () => {
    const failure = await failureOf(h.client.analyze({ yaml: routeToV4.replace('kind: VirtualService', 'kind: VirtualRoute') }));
    assert.equal(failure.code, status.INVALID_ARGUMENT);
    assert.match(failure.lines.join('\n'), /^document 1 \(VirtualRoute default\/reviews-route\): kind: unknown kind "VirtualRoute"/);
  });
});

describe('apply.istio-compat', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness();
  });
  after(() => h.dispose());

  for (const file of readdirSync(istioFixturesDir).filter((f) => f.endsWith('.yaml')).sort()) {
    test(`apply.istio-compat: ${file} is accepted through the config API`, async () => {
      const res = await h.client.apply({ yaml: readFileSync(join(istioFixturesDir, file), 'utf8') });
      assert.ok(res.changes.length > 0);
      assert.ok(res.changes.every((c) => c.action !== 'unchanged' || c.resourceVersion > 0));
    });
  }
});
