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
