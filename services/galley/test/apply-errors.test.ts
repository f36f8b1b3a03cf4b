import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { bookinfoYaml, failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const vs = (name: string, spec: string): string =>
  `apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: ${name}}\nspec:\n${spec}`;

const goodVs = vs('good', '  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n');

describe('apply.errors', () => {
  let h: GalleyHarness;
  let seeded: number;
  before(async () => {
    h = await startGalleyHarness();
    seeded = (await h.client.apply({ yaml: bookinfoYaml() })).sequence;
  });
  after(() => h.dispose());

  /** Every bad apply: INVALID_ARGUMENT with exactly these lines, and nothing published. */
  const rejects = async (yaml: string, lines: string[], extra: { defaultNamespace?: string } = {}): Promise<void> => {
    const failure = await failureOf(h.client.apply({ yaml, ...extra }));
    assert.deepEqual(failure, { code: status.INVALID_ARGUMENT, lines });
    assert.equal(await h.lastSequence(), seeded, 'nothing may be published');
  };

  test('apply.errors: malformed YAML names the document and line', async () => {
    await rejects(`${goodVs}---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: broken\nspec: {}\n`, [
      'document 2 (line 13): Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  test('apply.errors: an unknown kind lists the kinds Jetmesh serves', async () => {
    await rejects('apiVersion: networking.istio.io/v1beta1\nkind: VirtualRouter\nmetadata: {name: gw}\nspec: {servers: []}\n', [
      'document 1 (VirtualRouter default/gw): kind: unknown kind "VirtualRouter": expected one of VirtualService, DestinationRule, ServiceEntry, WorkloadEntry, WorkloadGroup, Gateway, Sidecar, PeerAuthentication, AuthorizationPolicy, RequestAuthentication',
    ]);
  });

  test('apply.errors: a delegate VirtualService (no spec.hosts) that names a gateway', async () => {
    await rejects(vs('nohosts', '  gateways: [ingress]\n  http:\n  - route:\n    - destination: {host: reviews}\n'), [
      'document 1 (VirtualService default/nohosts): spec.gateways: must not be set: a VirtualService without hosts is a delegate; the root VirtualService names the gateways',
    ]);
  });

  test('apply.errors: a negative weight names its exact path', async () => {
    const spec = '  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews, subset: v1}, weight: 100}\n    - {destination: {host: reviews, subset: v2}, weight: -5}\n';
    await rejects(vs('negative', spec), ['document 1 (VirtualService default/negative): spec.http[0].route[1].weight: must be >= 0']);
  });

  test('apply.errors: subset labels that are not a map', async () => {
    const yaml = 'apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {name: dr, namespace: prod}\nspec:\n  host: reviews\n  subsets:\n  - {name: v1, labels: [version, v1]}\n';
    await rejects(yaml, ['document 1 (DestinationRule prod/dr): spec.subsets[0].labels: must be a map of strings (label: value)']);
  });

  test('apply.errors: a 2 MiB document is refused by size, naming its size and the limit', async () => {
    const padding = `# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    const huge = `${goodVs}${padding}`;
    // The document is counted from its `---` line, which opens it at line 9.
    const bytes = Buffer.byteLength(`---\n${huge}`);
    await rejects(`${goodVs}---\n${huge}`, [`document 2 (line 9): is ${bytes} bytes (2.0 MiB), over the limit of 524288 bytes (512.0 KiB) per document`]);
  });

  test('apply.errors: a change too big for one event is refused naming its size and the limit', async () => {
    // Each document is under the per-document limit; together they exceed MESH_CONFIG's 1 MiB per message.
    const annotated = (name: string): string =>
      `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata:\n  name: ${name}\n  annotations: {note: "${'n'.repeat(400 * 1024)}"}\nspec: {address: 10.0.0.1}\n`;
    const failure = await failureOf(h.client.apply({ yaml: ['big-1', 'big-2', 'big-3'].map(annotated).join('---\n') }));
    assert.equal(failure.code, status.INVALID_ARGUMENT);
    assert.equal(failure.lines.length, 1);
    assert.match(failure.lines[0] ?? '', /^the change is \d+ bytes encoded; the limit is 1048576 bytes: apply it in smaller parts$/);
    assert.equal(await h.lastSequence(), seeded);
  });

  test('apply.errors: when only the 2nd of 3 documents is bad, nothing is published', async () => {
    const bad = vs('second', '  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews}, weight: -1}\n    - {destination: {host: ratings}, weight: 1}\n');
    const third = vs('third', '  hosts: [ratings]\n  http:\n  - route:\n    - destination: {host: ratings}\n');
    await rejects(`${goodVs}---\n${bad}---\n${third}`, ['document 2 (VirtualService default/second): spec.http[0].route[0].weight: must be >= 0']);
    const missing = await failureOf(h.client.get({ ref: { kind: 'VirtualService', namespace: 'default', name: 'good' } }));
    assert.equal(missing.code, status.NOT_FOUND);
  });

  test('apply.errors: every error of every document is reported at once', async () => {
    await rejects(`kind: VirtualRouter\nmetadata: {name: gw}\n---\na: [\n---\n${vs('x', '  http: []\n')}`, [
      'document 1 (VirtualRouter default/gw): kind: unknown kind "VirtualRouter": expected one of VirtualService, DestinationRule, ServiceEntry, WorkloadEntry, WorkloadGroup, Gateway, Sidecar, PeerAuthentication, AuthorizationPolicy, RequestAuthentication',
      'document 2 (line 4): Flow sequence in block collection must be sufficiently indented and end with a ]',
      'document 3 (VirtualService default/x): spec: must set at least one of http, tcp, tls',
    ]);
  });

  test('apply.errors: an apply with no documents', async () => {
    await rejects('# only a comment\n---\n', ['yaml: no resources: the request holds no YAML documents']);
  });

  test('apply.errors: the same resource twice in one apply', async () => {
    await rejects(`${goodVs}---\n${goodVs}`, [
      'document 2 (VirtualService default/good): VirtualService default/good is also in document 1 (VirtualService default/good); name each resource once per request',
    ]);
  });

  test('apply.errors: a defaultNamespace that is not a DNS label', async () => {
    await rejects(goodVs, ['defaultNamespace: must be a DNS-1123 label (lower-case letters, digits and "-")'], { defaultNamespace: 'Prod_1' });
  });

  test('apply.errors: no stack trace or internal detail reaches the client', async () => {
    const failure = await failureOf(h.client.apply({ yaml: '[1, 2, 3]\n' }));
    assert.deepEqual(failure, { code: status.INVALID_ARGUMENT, lines: ['document 1 (line 1): a resource must be a YAML/JSON object'] });
  });
});
