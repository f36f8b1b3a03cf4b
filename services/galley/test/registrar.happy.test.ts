import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Streams, Subjects } from '@jetmesh/bus';
import { ask, counterValue, heartbeat, signedRequest, startRegistrarHarness, workloadFor, type RegistrarHarness, type TestIdentity } from './registrar-harness.js';

const GRACE_MS = 1_200;
const REVIEWS = 'spiffe://cluster.local/ns/default/sa/reviews';

describe('registrar.happy', () => {
  let h: RegistrarHarness;
  let reviews: TestIdentity;

  before(async () => {
    h = await startRegistrarHarness({ graceMs: GRACE_MS });
    reviews = await h.identity('default', 'reviews');
  });
  after(() => h?.dispose());

  test('a register is written to MESH_REGISTRY as WorkloadRegistered, with the SPIFFE ID as actor, and answered with its sequence', async () => {
    const workload = workloadFor('reviews');
    const reply = await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'reviews-v1', workload }));
    assert.ok(reply.ok, JSON.stringify(reply));
    const stored = await h.bus.jsm.streams.getMessage(Streams.registry, { last_by_subj: Subjects.registry('default', 'reviews-v1') });
    assert.equal(stored?.seq, reply.sequence);
    const event = stored?.json<Record<string, unknown>>();
    assert.equal(event?.type, 'WorkloadRegistered');
    assert.equal(event?.actor, REVIEWS);
    assert.deepEqual(event?.workload, workload);
    assert.equal(await counterValue(h.replicas[0]!.registry, 'galley_registrations_total', { op: 'register' }), 1);
  });

  test('registering the same workload again writes nothing and answers the same sequence; changed labels are a WorkloadUpdated', async () => {
    const first = await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'reviews-v2', workload: workloadFor('reviews') }));
    const again = await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'reviews-v2', workload: workloadFor('reviews') }));
    assert.ok(first.ok && again.ok);
    assert.equal(again.sequence, first.sequence);
    const changed = await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'reviews-v2', workload: workloadFor('reviews', { app: 'reviews', version: 'v2' }) }));
    assert.ok(changed.ok && changed.sequence > first.sequence);
    const events = (await h.events()).filter((e) => e.event.name === 'reviews-v2');
    assert.deepEqual(events.map((e) => e.event.type), ['WorkloadUpdated']);
    assert.equal(events[0]?.event.type === 'WorkloadUpdated' && events[0].event.workload.labels?.version, 'v2');
  });

  test('heartbeats keep a workload past the grace period; a deregister removes it', async () => {
    const workload = workloadFor('reviews');
    const registered = await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'reviews-v3', workload }));
    assert.ok(registered.ok);
    for (let i = 0; i < 6; i++) {
      assert.deepEqual(await heartbeat(h.bus, signedRequest('heartbeat', reviews, { namespace: 'default', name: 'reviews-v3', workload }), 0), []);
      await sleep(GRACE_MS / 3);
    }
    // Two grace periods later it is still there, untouched.
    const held = await h.bus.jsm.streams.getMessage(Streams.registry, { last_by_subj: Subjects.registry('default', 'reviews-v3') });
    assert.equal(held?.seq, registered.sequence);

    const removed = await ask(h.bus, signedRequest('deregister', reviews, { namespace: 'default', name: 'reviews-v3', workload }));
    assert.ok(removed.ok && removed.sequence > registered.sequence);
    const last = (await h.events()).filter((e) => e.event.name === 'reviews-v3');
    assert.deepEqual(last.map((e) => [e.event.type, e.event.actor]), [['WorkloadRemoved', REVIEWS]]);
    // A second deregister is answered with the removal, not an error.
    const again = await ask(h.bus, signedRequest('deregister', reviews, { namespace: 'default', name: 'reviews-v3', workload }));
    assert.deepEqual(again, { ok: true, sequence: removed.sequence });
  });

  test('a heartbeat for a workload galley does not hold is answered NOT_FOUND, so the proxy registers again', async () => {
    const replies = await heartbeat(h.bus, signedRequest('heartbeat', reviews, { namespace: 'default', name: 'never-registered', workload: workloadFor('reviews') }));
    assert.equal(replies.length, 1);
    assert.equal(replies[0]?.ok === false && replies[0].code, 'NOT_FOUND');
  });
});
