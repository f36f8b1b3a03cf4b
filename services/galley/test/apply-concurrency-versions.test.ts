import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { isServiceError } from '@jetmesh/rpc';
import { startGalleyHarness, type GalleyHarness } from './galley-harness.js';

const WRITERS = 4;
const ROUNDS = 6;
const REF = { kind: 'VirtualService', namespace: 'default', name: 'shared' };

const version = (tag: string): string =>
  ['apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'metadata: {name: shared}', 'spec:', '  hosts: [reviews]', '  http:', '  - route: [{destination: {host: reviews}}]', `    headers: {request: {set: {x-version: "${tag}"}}}`, ''].join('\n');

describe('apply.concurrency.versions', () => {
  let h: GalleyHarness;
  before(async () => {
    h = await startGalleyHarness({ replicas: 2 });
    await h.client.apply({ yaml: version('initial') });
  });
  after(() => h.dispose());

  test('apply.concurrency: 4 writers editing the version they read — acknowledged writes logged once, losers ABORTED, last write wins', async () => {
    const acked: Array<{ tag: string; seq: number }> = [];
    const aborted: string[] = [];
    const writer = async (w: number): Promise<void> => {
      const client = h.clients[w % h.clients.length]!;
      for (let r = 0; r < ROUNDS; r++) {
        const tag = `w${w}-r${r}`;
        // Read, edit, write back with the version read: kubectl's optimistic lost-update protection.
        const read = JSON.parse((await client.get({ ref: REF })).resourceJson) as { metadata: { resourceVersion: string } };
        try {
          const res = await client.apply({ yaml: version(tag), expectVersion: read.metadata.resourceVersion });
          acked.push({ tag, seq: res.sequence });
        } catch (err) {
          assert.ok(isServiceError(err) && err.code === status.ABORTED, `${tag}: ${String(err)}`);
          assert.match(err.details, /is at resourceVersion \d+; get it again and reapply your change/);
          aborted.push(tag);
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    assert.equal(acked.length + aborted.length, WRITERS * ROUNDS);
    assert.ok(acked.length > 0 && aborted.length > 0, `acked ${acked.length}, aborted ${aborted.length}: writers must really conflict`);
    const log = await h.changeSets();
    const tagsAt = new Map<string, number[]>();
    for (const { seq, changeSet } of log.slice(1)) {
      for (const c of changeSet.changes) {
        if (c.op !== 'apply' || c.resource.kind !== 'VirtualService') continue;
        const tag = c.resource.spec.http?.[0]?.headers?.request?.set?.['x-version'] ?? '?';
        tagsAt.set(tag, [...(tagsAt.get(tag) ?? []), seq]);
      }
    }
    for (const { tag, seq } of acked) assert.deepEqual(tagsAt.get(tag), [seq], `${tag} acknowledged at ${seq} is logged exactly once, there`);
    for (const tag of aborted) assert.equal(tagsAt.get(tag), undefined, `${tag} was ABORTED yet logged`);
    assert.equal(log.length - 1, acked.length, 'the log holds the acknowledged writes and nothing else');

    const last = acked.reduce((a, b) => (b.seq > a.seq ? b : a));
    for (const client of h.clients) {
      const got = JSON.parse((await client.get({ ref: REF })).resourceJson) as { metadata: { resourceVersion: string }; spec: { http: Array<{ headers: { request: { set: Record<string, string> } } }> } };
      assert.equal(got.spec.http[0]?.headers.request.set['x-version'], last.tag);
      assert.equal(got.metadata.resourceVersion, String(last.seq));
    }
  });
});
