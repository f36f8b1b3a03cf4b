import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { canonicalJson, deriveMesh, deriveMeshIncrementally, deriveSnapshots, replay, type MeshResource } from '../src/index.js';
import { applying, chainConfigLog, mustDecode, stateAfter } from './event-log.js';

const BOOKINFO = new URL('../../../../examples/bookinfo-reviews.yaml', import.meta.url);
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/istio/', import.meta.url));
const ROUTING_KINDS = new Set(['VirtualService', 'DestinationRule', 'ServiceEntry', 'WorkloadEntry']);

const read = (path: string | URL): MeshResource[] => parseAllDocuments(readFileSync(path, 'utf8')).map((d) => mustDecode(d.toJS()));
/** Gateways, Sidecars, WorkloadGroups and the security kinds of the compatibility fixtures. */
const otherKinds = (): MeshResource[] =>
  readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => read(`${FIXTURES}${f}`))
    .filter((r) => !ROUTING_KINDS.has(r.kind));

test('derive.other-kinds: Gateways, Sidecars, WorkloadGroups and security policies leave the routing snapshots unchanged', () => {
  const others = otherKinds();
  assert.ok(others.length >= 10, `only ${others.length} resources of the other kinds`);
  const routing = stateAfter(applying(read(BOOKINFO)));
  const withOthers = stateAfter(applying(read(BOOKINFO)), applying(others));
  assert.equal(canonicalJson([...deriveSnapshots(withOthers)]), canonicalJson([...deriveSnapshots(routing)]));
});

test('derive.other-kinds: applying them re-derives no host incrementally', () => {
  const before = stateAfter(applying(read(BOOKINFO)));
  const after = replay(before, chainConfigLog([applying(otherKinds())], before.configSeq + 1, before.lastChangeSetHash));
  const step = deriveMeshIncrementally(deriveMesh(before), after);
  assert.deepEqual([...step.rederived], []);
  assert.deepEqual([...step.removed], []);
});
