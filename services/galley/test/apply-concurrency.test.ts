import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GENESIS_HASH, changeSetHash, type ChangeSet } from '@jetmesh/model';
import { isServiceError } from '@jetmesh/rpc';
import { startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const WRITERS = 4;
const VERSIONS_PER_WRITER = 8;

/** One version of the shared VirtualService, told apart by the header its route sets. */
const sharedVs = (tag: string): string =>
  [
    'apiVersion: networking.istio.io/v1beta1',
    'kind: VirtualService',
    'metadata: {name: shared}',
    'spec:',
    '  hosts: [reviews]',
    '  http:',
    '  - route: [{destination: {host: reviews}}]',
    `    headers: {request: {set: {x-version: "${tag}"}}}`,
    '',
  ].join('\n');

const tagsIn = (cs: ChangeSet): string[] =>
  cs.changes.flatMap((c) =>
    c.op === 'apply' && c.resource.kind === 'VirtualService' ? [c.resource.spec.http?.[0]?.headers?.request?.set?.['x-version'] ?? '?'] : [],
  );

describe('apply.concurrency', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness({ replicas: 2 });
  });
  after(() => h.dispose());

  test('apply.concurrency: 4 writers on 2 replicas: every acknowledged write is logged once, last one wins, chain intact', async () => {
    const acked: Array<{ tag: string; seq: number }> = [];
    const aborted: string[] = [];
    const writer = async (w: number): Promise<void> => {
      const client = h.clients[w % h.clients.length]!;
      for (let v = 0; v < VERSIONS_PER_WRITER; v++) {
        const tag = `w${w}-v${v}`;
        try {
          const res = await client.apply({ yaml: sharedVs(tag), reason: tag });
          assert.ok(res.sequence > 0, `${tag} must publish (every version differs)`);
          acked.push({ tag, seq: res.sequence });
        } catch (err) {
          // A write may lose the race too often; it must then be absent from the log.
          if (isServiceError(err) && err.code === status.ABORTED) aborted.push(tag);
          else throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    const log = await h.changeSets();
    const logged = new Map<string, number[]>();
    for (const { seq, changeSet } of log) for (const tag of tagsIn(changeSet)) logged.set(tag, [...(logged.get(tag) ?? []), seq]);
    for (const { tag, seq } of acked) assert.deepEqual(logged.get(tag), [seq], `${tag} acknowledged at ${seq}`);
    for (const tag of aborted) assert.equal(logged.get(tag), undefined, `${tag} was aborted yet logged`);
    assert.equal(log.length, acked.length, 'the log holds exactly the acknowledged writes');
    assert.ok(acked.length >= WRITERS * VERSIONS_PER_WRITER - 2, `most writes succeed (aborted: ${aborted.join(', ')})`);

    let expectedPrev = GENESIS_HASH;
    for (const { seq, changeSet } of log) {
      assert.equal(changeSet.prev, expectedPrev, `prev of seq ${seq}`);
      expectedPrev = changeSetHash(changeSet);
    }

    const last = acked.reduce((a, b) => (b.seq > a.seq ? b : a));
    for (const client of h.clients) {
      const got = JSON.parse((await client.get({ ref: { kind: 'VirtualService', namespace: 'default', name: 'shared' } })).resourceJson) as {
        metadata: { resourceVersion: string };
        spec: { http: Array<{ headers: { request: { set: Record<string, string> } } }> };
      };
      assert.equal(got.spec.http[0]?.headers.request.set['x-version'], last.tag);
      assert.equal(got.metadata.resourceVersion, String(last.seq));
    }
  });

  test('apply.concurrency: a write through one replica is visible at once through the other', async () => {
    const [a, b] = h.clients;
    const res = await a!.apply({ yaml: sharedVs('read-your-writes') });
    const got = JSON.parse((await b!.get({ ref: { kind: 'vs', namespace: 'default', name: 'shared' } })).resourceJson) as { metadata: { resourceVersion: string } };
    assert.equal(got.metadata.resourceVersion, String(res.sequence));
    const listed = await b!.list({ kind: 'VirtualService' });
    assert.equal(listed.sequence, res.sequence);
  });
});
