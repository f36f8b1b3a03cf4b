import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type LogEvent,
  type MeshState,
  GENESIS_HASH,
  canonicalJson,
  deriveSnapshots,
  emptyMeshState,
  getResource,
  reduce,
  replay,
} from '../src/index.js';
import { configLog, mergeOrder, registryLogOf, twoStreams } from './arbitraries.js';
import { applying, chainConfigLog, deleting, mustDecode, registryLog } from './event-log.js';

const snapshotBytes = (s: MeshState): string => canonicalJson([...deriveSnapshots(s)]);

const deepFreeze = <T>(v: T): T => {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
};

/** A Map whose mutators throw: Object.freeze alone does not stop Map.prototype.set. */
const lockedMap = <K, V>(m: ReadonlyMap<K, V>): ReadonlyMap<K, V> => {
  const locked = new Map([...m].map(([k, v]) => [k, deepFreeze(v)] as const));
  for (const method of ['set', 'delete', 'clear']) {
    Object.defineProperty(locked, method, {
      value: () => {
        throw new Error(`the reducer mutated its input state (Map.${method})`);
      },
    });
  }
  return Object.freeze(locked);
};

const locked = (s: MeshState): MeshState => Object.freeze({ ...s, resources: lockedMap(s.resources), workloads: lockedMap(s.workloads) });

/** Events split where a checkpoint could have been taken. */
const withCut = (events: fc.Arbitrary<LogEvent[]>) => events.chain((es) => fc.tuple(fc.constant(es), fc.integer({ min: 0, max: es.length })));

test('replay.property: replaying the same log twice gives equal states and byte-identical snapshots', () => {
  fc.assert(
    fc.property(twoStreams(), ({ merged }) => {
      const first = replay(emptyMeshState, merged);
      // The second replay reads its own copy of the log, as a second pilot replica would.
      const second = replay(emptyMeshState, structuredClone(merged));
      assert.deepStrictEqual(second, first);
      assert.equal(snapshotBytes(second), snapshotBytes(first));
    }),
  );
});

test('replay.property: replay equals folding reduce one event at a time', () => {
  fc.assert(
    fc.property(twoStreams(), ({ merged }) => {
      assert.deepStrictEqual(merged.reduce(reduce, emptyMeshState), replay(emptyMeshState, merged));
    }),
  );
});

test('reduce.property: reduce and replay never modify the state they are given', () => {
  fc.assert(
    fc.property(withCut(twoStreams().map((s) => s.merged)), ([events, cut]) => {
      const before = locked(replay(emptyMeshState, events.slice(0, cut)));
      const copy = structuredClone(before);
      const tail = deepFreeze(events.slice(cut));
      for (const e of tail) reduce(before, e);
      replay(before, tail);
      assert.deepStrictEqual(before, copy);
    }),
  );
});

test('reduce.property: events at or below the state position are ignored (redelivery)', () => {
  fc.assert(
    fc.property(
      twoStreams().chain(({ merged }) =>
        fc.tuple(fc.constant(merged), merged.length === 0 ? fc.constant([]) : fc.array(fc.constantFrom(...merged), { maxLength: 10 })),
      ),
      ([events, redelivered]) => {
        const state = replay(emptyMeshState, events);
        assert.deepStrictEqual(replay(state, redelivered), state);
        assert.deepStrictEqual(redelivered.reduce(reduce, state), state);
      },
    ),
  );
});

test('replay.property: a log with events delivered again after a reconnect folds to the same state', () => {
  fc.assert(
    fc.property(twoStreams(), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }), ({ merged }, repeats) => {
      const withRepeats: LogEvent[] = [];
      merged.forEach((e, i) => {
        withRepeats.push(e);
        for (const [at, which] of repeats) if (at % merged.length === i) withRepeats.push(merged[which % (i + 1)]!);
      });
      assert.deepStrictEqual(replay(emptyMeshState, withRepeats), replay(emptyMeshState, merged));
    }),
  );
});

test('replay.property: replaying the tail on a checkpoint equals the full replay', () => {
  fc.assert(
    fc.property(withCut(twoStreams().map((s) => s.merged)), ([events, cut]) => {
      const checkpoint = replay(emptyMeshState, events.slice(0, cut));
      const full = replay(emptyMeshState, events);
      assert.deepStrictEqual(replay(checkpoint, events.slice(cut)), full);
      // A checkpoint is stored and read back before it is used.
      const restored = replay(structuredClone(checkpoint), events.slice(cut));
      assert.deepStrictEqual(restored, full);
      assert.equal(snapshotBytes(restored), snapshotBytes(full));
    }),
  );
});

test('replay.property: config and registry events interleaved in any order give the same final state', () => {
  fc.assert(
    fc.property(
      fc.tuple(configLog(), registryLogOf()).chain(([c, r]) => fc.tuple(mergeOrder(c, r), mergeOrder(c, r))),
      ([one, other]) => {
        const a = replay(emptyMeshState, one);
        const b = replay(emptyMeshState, other);
        assert.deepStrictEqual(a, b);
        assert.equal(snapshotBytes(a), snapshotBytes(b));
      },
    ),
  );
});

test('replay.property: the state after any prefix depends only on each stream’s own prefix', () => {
  fc.assert(
    fc.property(withCut(twoStreams().map((s) => s.merged)), ([events, cut]) => {
      const prefix = events.slice(0, cut);
      const config = prefix.filter((e) => e.stream === 'config');
      const registry = prefix.filter((e) => e.stream === 'registry');
      const state = replay(emptyMeshState, prefix);
      assert.deepStrictEqual(state, replay(replay(emptyMeshState, registry), config));
      assert.equal(state.configSeq, config.at(-1)?.seq ?? 0);
      assert.equal(state.registrySeq, registry.at(-1)?.seq ?? 0);
    }),
  );
});

test('reduce.property: the state names the hash the next ChangeSet must carry as prev', () => {
  fc.assert(
    fc.property(configLog(), (events) => {
      let state = emptyMeshState;
      for (const e of events) {
        assert.equal(e.stream, 'config');
        if (e.stream === 'config') assert.equal(e.event.prev, state.lastChangeSetHash);
        state = reduce(state, e);
      }
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// Scenarios.

const reviewsVs = mustDecode({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews-route', namespace: 'default' },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] },
});
const reviewsVsV2 = mustDecode({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews-route', namespace: 'default' },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v2' } }] }] },
});
const ref = { kind: 'VirtualService', namespace: 'default', name: 'reviews-route' } as const;

test('reduce: an empty state starts the chain at the genesis hash', () => {
  assert.equal(emptyMeshState.lastChangeSetHash, GENESIS_HASH);
  assert.equal(emptyMeshState.configSeq, 0);
  assert.equal(emptyMeshState.registrySeq, 0);
});

test('reduce: a ChangeSet delivered again after a later delete does not bring the resource back', () => {
  const log = chainConfigLog([applying([reviewsVs]), deleting(reviewsVs)]);
  const state = replay(emptyMeshState, log);
  assert.equal(getResource(state, ref), undefined);
  assert.equal(getResource(reduce(state, log[0]!), ref), undefined);
});

test('reduce: resourceVersion follows the last change while createdAt keeps the first apply', () => {
  const state = replay(emptyMeshState, chainConfigLog([applying([reviewsVs]), applying([reviewsVsV2])], 7));
  const stored = getResource(state, ref);
  assert.deepEqual({ resourceVersion: stored?.resourceVersion, createdAt: stored?.createdAt }, { resourceVersion: 8, createdAt: 7 });
  assert.deepEqual(stored?.resource, reviewsVsV2);
});

test('reduce: a resource deleted and applied again counts as created anew', () => {
  const state = replay(emptyMeshState, chainConfigLog([applying([reviewsVs]), deleting(reviewsVs), applying([reviewsVsV2])]));
  assert.deepEqual(getResource(state, ref)?.createdAt, 3);
});

test('reduce: a WorkloadRemoved event removes the registration, and its sequence is still recorded', () => {
  const base = { at: '2024-05-01T12:00:00.000Z', actor: 'agent', namespace: 'default', name: 'vm-1' };
  const state = replay(
    emptyMeshState,
    registryLog([
      { ...base, id: 'r1', type: 'WorkloadRegistered', workload: { address: '10.0.0.1', labels: { app: 'reviews' } } },
      { ...base, id: 'r2', type: 'WorkloadRemoved' },
    ]),
  );
  assert.deepEqual([...state.workloads.keys()], []);
  assert.equal(state.registrySeq, 2);
});
