import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { followStream, Streams } from '@jetmesh/bus';
import { RegistryEventCodec, type RegistryEvent } from '@jetmesh/model';
import { eventually } from '@jetmesh/testing';
import { SWEEPER_ACTOR } from '../src/registrar/registrar.js';
import { ask, counterValue, heartbeat, signedRequest, startRegistrarHarness, workloadFor, type RegistrarHarness, type TestIdentity } from './registrar-harness.js';

const GRACE_MS = 1_000;

describe('registrar.sweeper (two galley replicas)', () => {
  let h: RegistrarHarness;
  let reviews: TestIdentity;
  const seen: Array<{ seq: number; event: RegistryEvent }> = [];
  let stopFollowing: () => Promise<void>;

  before(async () => {
    h = await startRegistrarHarness({ graceMs: GRACE_MS, replicas: 2 });
    reviews = await h.identity('default', 'reviews');
    const follower = await followStream(h.bus, { stream: Streams.registry, codec: RegistryEventCodec, fromSequence: 1, onEvent: (event, meta) => void seen.push({ seq: meta.seq, event }) });
    stopFollowing = () => follower.stop();
  });
  after(async () => {
    await stopFollowing?.();
    await h?.dispose();
  });

  test('a proxy that goes silent is removed after the grace period, once, though both replicas sweep', async () => {
    const registered = await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'silent', workload: workloadFor('reviews') }));
    assert.ok(registered.ok);
    await sleep(GRACE_MS / 2);
    assert.equal(seen.filter((e) => e.event.name === 'silent' && e.event.type === 'WorkloadRemoved').length, 0, 'not before the grace period');
    await eventually(async () => (seen.some((e) => e.event.name === 'silent' && e.event.type === 'WorkloadRemoved') ? true : undefined), 'the removal', 5_000);
    await sleep(GRACE_MS * 2);
    const removals = seen.filter((e) => e.event.name === 'silent' && e.event.type === 'WorkloadRemoved');
    assert.equal(removals.length, 1);
    assert.equal(removals[0]?.event.actor, SWEEPER_ACTOR);
    const sweeps = (await counterValue(h.replicas[0]!.registry, 'galley_registry_sweeps_total')) + (await counterValue(h.replicas[1]!.registry, 'galley_registry_sweeps_total'));
    assert.equal(sweeps, 1);
  });

  test('heartbeats heard by every replica keep a workload though only one answered its register', async () => {
    const workload = workloadFor('reviews');
    assert.ok((await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'alive', workload }))).ok);
    const until = Date.now() + GRACE_MS * 3;
    while (Date.now() < until) {
      await heartbeat(h.bus, signedRequest('heartbeat', reviews, { namespace: 'default', name: 'alive', workload }), 0);
      await sleep(GRACE_MS / 4);
    }
    assert.deepEqual(seen.filter((e) => e.event.name === 'alive').map((e) => e.event.type), ['WorkloadRegistered']);
  });

  test('a re-registration after the removal is a fresh WorkloadRegistered', async () => {
    const back = await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'silent', workload: workloadFor('reviews') }));
    assert.ok(back.ok);
    assert.deepEqual(seen.filter((e) => e.event.name === 'silent').map((e) => e.event.type), ['WorkloadRegistered', 'WorkloadRemoved', 'WorkloadRegistered']);
  });

  test('a fresh replica waits a grace period before removing anything, and sweeps only what the registrar registered', async () => {
    // Registered by an operator (not a spiffe:// actor): never swept.
    await h.bus.js.publish(
      'mesh.registry.default.vm-1',
      JSON.stringify({ id: 'op-1', type: 'WorkloadRegistered', at: new Date().toISOString(), actor: 'ops@example.com', namespace: 'default', name: 'vm-1', workload: { address: '10.0.0.9' } }),
    );
    for (const r of h.replicas.splice(0)) await r.registrar.stop();
    assert.ok((await ask(h.bus, signedRequest('register', reviews, { namespace: 'default', name: 'late', workload: workloadFor('reviews') })).catch(() => undefined)) === undefined, 'no registrar is listening');
    const fresh = await h.addReplica();
    await sleep(GRACE_MS * 0.7);
    assert.equal(await counterValue(fresh.registry, 'galley_registry_sweeps_total'), 0, 'nothing removed in its first grace period');
    await eventually(async () => ((await counterValue(fresh.registry, 'galley_registry_sweeps_total')) >= 2 ? true : undefined), 'the silent ones removed', 5_000);
    await sleep(GRACE_MS);
    const removed = seen.filter((e) => e.event.type === 'WorkloadRemoved').map((e) => e.event.name).sort();
    assert.deepEqual(removed, ['alive', 'silent', 'silent']);
    assert.ok(!seen.some((e) => e.event.name === 'vm-1' && e.event.type === 'WorkloadRemoved'), 'the operator-registered entry stays');
  });
});
