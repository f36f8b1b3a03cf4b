import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Streams } from '@jetmesh/bus';
import type { RegistrationReply } from '@jetmesh/model';
import { ask, counterValue, heartbeat, signedRequest, startRegistrarHarness, workloadFor, type RegistrarHarness, type TestIdentity } from './registrar-harness.js';

const refusal = (reply: RegistrationReply): { code: string; reason: string } => {
  assert.equal(reply.ok, false, `expected a refusal, got ${JSON.stringify(reply)}`);
  return reply.ok ? assert.fail() : { code: reply.code, reason: reply.reason };
};

describe('registrar.security', () => {
  let h: RegistrarHarness;
  let reviews: TestIdentity;
  let ratings: TestIdentity;
  let lastSeq: () => Promise<number>;

  before(async () => {
    h = await startRegistrarHarness({ graceMs: 30_000 });
    reviews = await h.identity('default', 'reviews');
    ratings = await h.identity('default', 'ratings');
    lastSeq = async () => (await h.bus.jsm.streams.info(Streams.registry)).state.last_seq;
  });
  after(() => h?.dispose());

  test('a workload naming another service account than its certificate is refused PERMISSION_DENIED, and nothing is written', async () => {
    const before = await lastSeq();
    const r = refusal(await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'db-1', workload: workloadFor('db') })));
    assert.equal(r.code, 'PERMISSION_DENIED');
    assert.equal(r.reason, 'workload.serviceAccount: spiffe://cluster.local/ns/default/sa/reviews may register only service account "reviews", the workload says "db"');
    assert.equal(await lastSeq(), before);
    assert.equal(await counterValue(h.replicas[0]!.registry, 'galley_registration_rejections_total', { op: 'register', code: 'PERMISSION_DENIED' }), 1);
  });

  test('a workload in another namespace than its certificate is refused', async () => {
    const r = refusal(await ask(h.bus, signedRequest('register', reviews, { namespace: 'prod', name: 'reviews-1', workload: workloadFor('reviews') })));
    assert.equal(r.code, 'PERMISSION_DENIED');
    assert.match(r.reason, /^namespace: spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews may register workloads only in namespace "default", not "prod"$/);
  });

  test('a request changed after signing (or signed by another key) is refused UNAUTHENTICATED', async () => {
    const tampered = signedRequest('register', reviews, { namespace: 'default', name: 'reviews-1', workload: workloadFor('reviews') }, { name: 'reviews-2' });
    const r = refusal(await ask(h.bus, tampered));
    assert.equal(r.code, 'UNAUTHENTICATED');
    assert.match(r.reason, /^signature: does not verify with the key of the certificate of spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews$/);
    // ratings' key with reviews' chain
    const wrongKey = signedRequest('register', { keyPem: ratings.keyPem, chainPem: reviews.chainPem }, { namespace: 'default', name: 'reviews-1', workload: workloadFor('reviews') });
    assert.equal(refusal(await ask(h.bus, wrongKey)).code, 'UNAUTHENTICATED');
  });

  test('a certificate from a CA the trust bundle does not hold is refused', async () => {
    const rogue = h.untrustedIdentity('default', 'reviews');
    const r = refusal(await ask(h.bus, signedRequest('register', rogue, { namespace: 'default', name: 'reviews-1', workload: workloadFor('reviews') })));
    assert.equal(r.code, 'UNAUTHENTICATED');
    assert.equal(r.reason, 'certChain: does not chain to a root of the trust bundle of cluster.local');
    // Its leaf alone, too.
    const leafOnly = { keyPem: rogue.keyPem, chainPem: rogue.chainPem.slice(0, rogue.chainPem.indexOf('-----END CERTIFICATE-----') + 25) };
    assert.equal(refusal(await ask(h.bus, signedRequest('register', leafOnly, { namespace: 'default', name: 'reviews-1', workload: workloadFor('reviews') }))).code, 'UNAUTHENTICATED');
  });

  test('a request signed more than 60 s ago (or ahead) is refused as stale', async () => {
    const old = new Date(Date.now() - 61_000).toISOString();
    const r = refusal(await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'reviews-1', workload: workloadFor('reviews'), at: old })));
    assert.equal(r.code, 'UNAUTHENTICATED');
    assert.match(r.reason, /^at: signed at .+, 61 s before galley's clock \(at most 60 s\)$/);
    const ahead = new Date(Date.now() + 90_000).toISOString();
    assert.match(refusal(await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'reviews-1', workload: workloadFor('reviews'), at: ahead }))).reason, /after galley's clock/);
  });

  test('a name registered by one identity cannot be registered, heartbeated or deregistered by another', async () => {
    const owned = await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'shared-name', workload: workloadFor('reviews') }));
    assert.ok(owned.ok);
    const taken = refusal(await ask(h.bus, signedRequest('register', ratings, { namespace: 'default', name: 'shared-name', workload: workloadFor('ratings') })));
    assert.equal(taken.code, 'ALREADY_EXISTS');
    assert.equal(taken.reason, 'name: workload default/shared-name is registered by spiffe://cluster.local/ns/default/sa/reviews; spiffe://cluster.local/ns/default/sa/ratings may not register it');
    const removal = refusal(await ask(h.bus, signedRequest('deregister', ratings, { namespace: 'default', name: 'shared-name', workload: workloadFor('ratings') })));
    assert.equal(removal.code, 'ALREADY_EXISTS');
    const beats = await heartbeat(h.bus, signedRequest('heartbeat', ratings, { namespace: 'default', name: 'shared-name', workload: workloadFor('ratings') }));
    assert.equal(beats[0]?.ok === false && beats[0].code, 'ALREADY_EXISTS');
    const events = (await h.events()).filter((e) => e.event.name === 'shared-name');
    assert.deepEqual(events.map((e) => [e.seq, e.event.actor]), [[owned.ok ? owned.sequence : 0, 'spiffe://cluster.local/ns/default/sa/reviews']]);
  });

  test("a captured request replayed (another's deregister, after the owner registered again) is refused", async () => {
    const workload = workloadFor('reviews');
    assert.ok((await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'replayed', workload }))).ok);
    const deregister = signedRequest('deregister', reviews, { namespace: 'default', name: 'replayed', workload });
    assert.ok((await ask(h.bus, deregister)).ok);
    const back = await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'replayed', workload }));
    assert.ok(back.ok);
    const replay = refusal(await ask(h.bus, deregister));
    assert.equal(replay.code, 'UNAUTHENTICATED');
    assert.equal(replay.reason, 'nonce: this request was already acted on (a replay)');
    // A second replica never saw the nonce: the stream's msg-id de-duplication refuses it there too.
    const second = await h.addReplica();
    await h.replicas[0]!.registrar.stop();
    h.replicas.shift();
    assert.equal(refusal(await ask(h.bus, deregister)).reason, 'nonce: this request was already acted on (a replay)');
    const stored = (await h.events()).filter((e) => e.event.name === 'replayed');
    assert.deepEqual(stored.map((e) => e.event.type), ['WorkloadRegistered']);
    assert.ok(second);
  });

  test('malformed requests are refused INVALID naming every bad field', async () => {
    const r = refusal(await ask(h.bus, { op: 'register', namespace: 'Bad_NS', name: 'x', workload: { address: '' }, at: 'now', nonce: 'n', certChain: '', signature: '', extra: 1 }));
    assert.equal(r.code, 'INVALID');
    assert.match(r.reason, /namespace: /);
    assert.match(r.reason, /workload\.address: required/);
    assert.match(r.reason, /extra: unknown field/);
    const beatAsRequest = refusal(await ask(h.bus, signedRequest('heartbeat', reviews, { namespace: 'default', name: 'reviews-1', workload: workloadFor('reviews') })));
    assert.equal(beatAsRequest.reason, 'op: heartbeat is sent to mesh.registrar.heartbeats');
    assert.equal(refusal(await ask(h.bus, 'not json')).code, 'INVALID');
  });
});
