import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import {
  type ChangeSet,
  type LogEvent,
  type MeshState,
  ChainVerification,
  ChangeSetCodec,
  GENESIS_HASH,
  configLogEvent,
  contentHash,
  decodeChangeSet,
  unrepairedForks,
  CHECKPOINT_VERSION,
  HistoryFold,
  PointInTimeFold,
  canonicalJson,
  checkpointOf,
  decodeCheckpoint,
  decodeRegistryCheckpoint,
  deriveSnapshots,
  diffConfig,
  diffRouting,
  diffValues,
  emptyMeshState,
  encodeCheckpoint,
  encodeRegistryCheckpoint,
  encodeResource,
  getResource,
  matchesHistoryFilter,
  parseTimePoint,
  reduce,
  refOf,
  replay,
  registryCheckpointOf,
  REGISTRY_CHECKPOINT_VERSION,
  stateFromCheckpoint,
  withoutWorkloads,
  withRegistryCheckpoint,
} from '../src/index.js';
import { configLog, twoStreams } from './arbitraries.js';
import { applying, chainConfigLog, deleting, mustDecode, registryLog } from './event-log.js';
import { sha256Hex as contentSha } from '../src/canonical-json.js';

const snapshotBytes = (s: MeshState): string => canonicalJson([...deriveSnapshots(s)]);

/** Events split where a checkpoint could have been taken. */
const withCut = <A>(items: fc.Arbitrary<A[]>) => items.chain((es) => fc.tuple(fc.constant(es), fc.integer({ min: 0, max: es.length })));

/** A checkpoint as pilot makes it: the config part, encoded, stored, decoded. */
const throughCheckpoint = (s: MeshState): MeshState => {
  const decoded = decodeCheckpoint(encodeCheckpoint(checkpointOf(s)));
  if (isLeft(decoded)) throw new Error(`checkpoint did not decode: ${decoded.left.reason}`);
  return stateFromCheckpoint(decoded.right);
};

const BASE_MS = Date.parse('2024-05-01T12:00:00.000Z');

/** Gives events increasing `at` times in the order a live pilot saw them (the merge order). */
const timed = (merged: readonly LogEvent[]): LogEvent[] =>
  merged.map((e, i) => {
    const at = new Date(BASE_MS + i * 1000).toISOString();
    return e.stream === 'config' ? { ...e, event: { ...e.event, at } } : { ...e, event: { ...e.event, at } };
  });

/** What `jetmesh at` computes: the fold the CLI drives, fed stream by stream. */
const pointInTime = (events: readonly LogEvent[], fold: PointInTimeFold) => {
  for (const e of events) if (e.stream === 'config' && !fold.config(e.seq, e.event)) break;
  for (const e of events) if (e.stream === 'registry') fold.registry(e.seq, e.event);
  return fold.result();
};

/** MESH_REGISTRY after compaction: only each workload's latest event survives, at its sequence. */
const compacted = (events: readonly LogEvent[]): LogEvent[] => {
  const last = new Map<string, number>();
  for (const e of events) if (e.stream === 'registry') last.set(`${e.event.namespace}/${e.event.name}`, e.seq);
  return events.filter((e) => e.stream !== 'registry' || last.get(`${e.event.namespace}/${e.event.name}`) === e.seq);
};

test('checkpoint.property: a checkpoint at N plus the config tail and the whole registry equals the full replay', () => {
  fc.assert(
    fc.property(withCut(twoStreams().map((s) => s.merged)), ([events, cut]) => {
      const full = replay(emptyMeshState, events);
      const config = events.filter((e) => e.stream === 'config');
      const registry = events.filter((e) => e.stream === 'registry');
      const atN = replay(emptyMeshState, config.slice(0, Math.min(cut, config.length)));
      const resumed = replay(replay(throughCheckpoint(atN), config.slice(cut)), registry);
      assert.deepStrictEqual(resumed, full);
      assert.deepStrictEqual([...resumed.resources.keys()], [...full.resources.keys()]);
      assert.equal(snapshotBytes(resumed), snapshotBytes(full));
    }),
  );
});

test('checkpoint.property: a checkpoint holds only the config part, whatever the registry says', () => {
  fc.assert(
    fc.property(twoStreams(), ({ merged }) => {
      const state = replay(emptyMeshState, merged);
      const restored = throughCheckpoint(state);
      assert.equal(restored.workloads.size, 0);
      assert.equal(restored.registrySeq, 0);
      assert.deepStrictEqual(restored.resources, state.resources);
      assert.equal(restored.lastChangeSetHash, state.lastChangeSetHash);
    }),
  );
});

const STREAM_CREATED = '2024-05-01T00:00:00.000Z';

/** A registry checkpoint as pilot makes it: the registry part, encoded, stored, decoded, put beside `config`. */
const throughRegistryCheckpoint = (s: MeshState, config: MeshState): MeshState => {
  const decoded = decodeRegistryCheckpoint(encodeRegistryCheckpoint(registryCheckpointOf(s, STREAM_CREATED)));
  if (isLeft(decoded)) throw new Error(`registry checkpoint did not decode: ${decoded.left.reason}`);
  assert.equal(decoded.right.streamCreated, STREAM_CREATED);
  return withRegistryCheckpoint(config, decoded.right);
};

/** Workloads as proxies are served them: the key order of a Map compaction may reorder is not part of a workload's state. */
const workloadsOf = (s: MeshState) => new Map([...s.workloads].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

test('checkpoint.property: config checkpoint at N + registry checkpoint at M + both tails, read after compaction, equals the full replay of the compacted log', () => {
  fc.assert(
    fc.property(
      twoStreams().chain((s) => fc.tuple(fc.constant(s.merged), fc.nat({ max: s.config.length }), fc.nat({ max: s.registry.length }))),
      ([events, configCut, registryCut]) => {
        const config = events.filter((e) => e.stream === 'config');
        const registry = events.filter((e) => e.stream === 'registry');
        // The checkpoints are taken while the log is whole; the cold start reads it compacted since.
        const atN = throughCheckpoint(replay(emptyMeshState, config.slice(0, configCut)));
        const resumedFrom = throughRegistryCheckpoint(replay(emptyMeshState, registry.slice(0, registryCut)), atN);
        const retained = compacted(events);
        const full = replay(emptyMeshState, retained);
        const resumed = replay(resumedFrom, retained);
        assert.equal(resumed.registrySeq, full.registrySeq);
        assert.deepStrictEqual(resumed.resources, full.resources);
        assert.deepStrictEqual(workloadsOf(resumed), workloadsOf(full));
        assert.equal(snapshotBytes(resumed), snapshotBytes(full));
      },
    ),
  );
});

test('checkpoint.property: a registry checkpoint minus the workloads whose events were purged since equals the replay of the purged log', () => {
  fc.assert(
    fc.property(
      twoStreams().chain((s) => fc.tuple(fc.constant(s.merged), fc.nat({ max: s.registry.length }), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }))),
      ([events, registryCut, purge]) => {
        const registry = events.filter((e) => e.stream === 'registry');
        const atM = throughRegistryCheckpoint(replay(emptyMeshState, registry.slice(0, registryCut)), emptyMeshState);
        // An operator purges some subjects outright (no event says so); the rest compacts as usual.
        const subjects = [...new Set(registry.map((e) => (e.stream === 'registry' ? `${e.event.namespace}/${e.event.name}` : '')))];
        const purged = new Set(subjects.filter((_, i) => purge[i % purge.length]));
        const retained = compacted(events).filter((e) => e.stream !== 'registry' || !purged.has(`${e.event.namespace}/${e.event.name}`));
        const full = replay(emptyMeshState, retained);
        const resumed = replay(atM, retained);
        // What pilot's check finds: checkpoint workloads untouched by the tail whose subject is empty now.
        const gone = [...resumed.workloads].filter(([key, w]) => w.registrySeq <= atM.registrySeq && purged.has(key)).map(([key]) => key);
        assert.deepStrictEqual(workloadsOf(withoutWorkloads(resumed, gone)), workloadsOf(full));
      },
    ),
  );
});

test('checkpoint: a registry checkpoint torn, of an unknown version, with a workload today\'s rules reject, or past its own sequence is refused with the reason', () => {
  const state = replay(emptyMeshState, registryLog([{ id: 'r-1', at: '2024-05-01T12:00:00.000Z', actor: 'agent', type: 'WorkloadRegistered', namespace: 'default', name: 'vm-1', workload: { address: '10.0.0.7', labels: { app: 'reviews' } } }]));
  const text = encodeRegistryCheckpoint(registryCheckpointOf(state, STREAM_CREATED));
  assert.ok(isRight(decodeRegistryCheckpoint(text)));
  const torn = decodeRegistryCheckpoint(text.slice(0, -5));
  assert.ok(isLeft(torn) && torn.left.code === 'DIGEST_MISMATCH', JSON.stringify(torn));
  const future = decodeRegistryCheckpoint(text.replace(`"version":${REGISTRY_CHECKPOINT_VERSION}`, '"version":99'));
  assert.ok(isLeft(future) && future.left.code === 'UNKNOWN_VERSION' && /99/.test(future.left.reason));
  const reencoded = (body: object): string => {
    const b = JSON.stringify(body);
    return `${JSON.stringify({ format: 'jetmesh.registry-checkpoint', version: REGISTRY_CHECKPOINT_VERSION, sha256: contentSha(b), registrySeq: 1 })}\n${b}`;
  };
  const bad = decodeRegistryCheckpoint(reencoded({ registrySeq: 1, streamCreated: STREAM_CREATED, workloads: [{ namespace: 'default', name: 'vm-1', workload: { address: 'not an address!' }, registrySeq: 1 }] }));
  assert.ok(isLeft(bad) && bad.left.code === 'INVALID' && /workloads\[0\]\.workload/.test(bad.left.reason), JSON.stringify(bad));
  const ahead = decodeRegistryCheckpoint(reencoded({ registrySeq: 1, streamCreated: STREAM_CREATED, workloads: [{ namespace: 'default', name: 'vm-1', workload: { address: '10.0.0.7' }, registrySeq: 2 }] }));
  assert.ok(isLeft(ahead) && ahead.left.code === 'MALFORMED' && /past the checkpoint/.test(ahead.left.reason), JSON.stringify(ahead));
  const config = decodeRegistryCheckpoint(encodeCheckpoint(checkpointOf(state)));
  assert.ok(isLeft(config) && config.left.code === 'MALFORMED', 'a config checkpoint is not a registry checkpoint');
});

test('checkpoint: a torn body, an unknown version or garbage is refused with the reason', () => {
  const state = replay(emptyMeshState, chainConfigLog([applying([vs(90)])]));
  const text = encodeCheckpoint(checkpointOf(state));
  const torn = decodeCheckpoint(text.slice(0, -5));
  assert.ok(isLeft(torn) && torn.left.code === 'DIGEST_MISMATCH', JSON.stringify(torn));
  const future = decodeCheckpoint(text.replace(`"version":${CHECKPOINT_VERSION}`, '"version":99'));
  assert.ok(isLeft(future) && future.left.code === 'UNKNOWN_VERSION' && /99/.test(future.left.reason));
  const garbage = decodeCheckpoint('\u0000\u0001 not a checkpoint');
  assert.ok(isLeft(garbage) && garbage.left.code === 'MALFORMED');
  assert.ok(isRight(decodeCheckpoint(text)));
});

test('at.property: the state at config sequence S equals the state a live pilot had right after folding S', () => {
  fc.assert(
    fc.property(twoStreams(), ({ merged }) => {
      const events = timed(merged);
      let live = emptyMeshState;
      for (const e of events) {
        live = reduce(live, e);
        if (e.stream !== 'config') continue;
        const at = pointInTime(events, new PointInTimeFold({ kind: 'sequence', seq: e.seq }));
        assert.deepStrictEqual(at.state, live);
        // By time: the moment that ChangeSet was recorded names the same state.
        const byTime = pointInTime(events, new PointInTimeFold({ kind: 'time', at: e.event.at }));
        assert.deepStrictEqual(byTime.state, live);
      }
    }),
  );
});

test('at.property: with a compacted registry, every workload not reported unknown is exactly as a live pilot had it', () => {
  fc.assert(
    fc.property(twoStreams(), ({ merged }) => {
      const events = timed(merged);
      const retained = compacted(events);
      let live = emptyMeshState;
      for (const e of events) {
        live = reduce(live, e);
        if (e.stream !== 'config') continue;
        const at = pointInTime(retained, new PointInTimeFold({ kind: 'sequence', seq: e.seq }));
        assert.deepStrictEqual(at.state.resources, live.resources);
        const unknown = new Set(at.unknownWorkloads);
        for (const key of new Set([...live.workloads.keys(), ...at.state.workloads.keys()])) {
          if (unknown.has(key)) assert.equal(at.state.workloads.has(key), false);
          else assert.deepStrictEqual(at.state.workloads.get(key)?.workload, live.workloads.get(key)?.workload, key);
        }
      }
    }),
  );
});

test('at: sequence 0 is the empty mesh and stops at the first change', () => {
  const events = timed(chainConfigLog([applying([vs(90)])]));
  const fold = new PointInTimeFold({ kind: 'sequence', seq: 0 });
  const first = events[0];
  assert.ok(first?.stream === 'config');
  assert.equal(fold.config(first.seq, first.event), false);
  assert.deepStrictEqual(fold.result().state, emptyMeshState);
});

test('time-point: sequences, RFC 3339 times and relative times parse; anything else says what is accepted', () => {
  const now = new Date('2024-05-01T14:00:00.000Z');
  assert.deepStrictEqual(parseTimePoint('12', now), { _tag: 'Right', right: { kind: 'sequence', seq: 12 } });
  assert.deepStrictEqual(parseTimePoint('2024-05-01T12:02:00+02:00', now), { _tag: 'Right', right: { kind: 'time', at: '2024-05-01T10:02:00.000Z' } });
  assert.deepStrictEqual(parseTimePoint('-2h', now), { _tag: 'Right', right: { kind: 'time', at: '2024-05-01T12:00:00.000Z' } });
  assert.deepStrictEqual(parseTimePoint('-1d1h30m', now), { _tag: 'Right', right: { kind: 'time', at: '2024-04-30T12:30:00.000Z' } });
  const bad = parseTimePoint('yesterday', now);
  assert.ok(isLeft(bad));
  assert.match(bad.left[0]?.reason ?? '', /change sequence .* RFC 3339 .* relative time/);
});

test('time-point.property: any instant printed as RFC 3339 parses back to itself', () => {
  fc.assert(
    fc.property(fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (d) => {
      assert.deepStrictEqual(parseTimePoint(d.toISOString(), new Date()), { _tag: 'Right', right: { kind: 'time', at: d.toISOString() } });
    }),
  );
});

test('history.property: a resource is "created" exactly when it did not exist before the change', () => {
  fc.assert(
    fc.property(configLog(), (events) => {
      const fold = new HistoryFold();
      let state = emptyMeshState;
      for (const e of events) {
        if (e.stream !== 'config') continue;
        const entry = fold.entry(e.seq, e.event);
        e.event.changes.forEach((ch, i) => {
          const ref = ch.op === 'apply' ? refOf(ch.resource) : ch.ref;
          // A ChangeSet may name one resource twice; only the first mention sees the state before it.
          const earlier = e.event.changes.slice(0, i).some((c) => canonicalJson(c.op === 'apply' ? refOf(c.resource) : c.ref) === canonicalJson(ref));
          const action = entry.resources[i]?.action;
          if (ch.op === 'delete') assert.equal(action, 'deleted');
          else if (!earlier) assert.equal(action, getResource(state, ref) === undefined ? 'created' : 'configured');
        });
        state = reduce(state, e);
      }
    }),
  );
});

test('history: filters by resource, namespace, actor and range; a rollback is labelled with its target', () => {
  const fold = new HistoryFold();
  const log = chainConfigLog([
    applying([vs(90)]),
    { ...applying([vs(50)]), actor: 'user:bob', reason: 'canary' },
    { ...deleting(vs(50)), rollbackOf: 1, reason: 'undo' },
  ]);
  const entries = log.map((e) => (e.stream === 'config' ? fold.entry(e.seq, e.event) : undefined)).filter((e) => e !== undefined);
  assert.deepStrictEqual(
    entries.map((e) => [e.seq, e.action, e.resources.map((r) => r.action).join(','), e.rollbackOf]),
    [
      [1, 'apply', 'created', undefined],
      [2, 'apply', 'configured', undefined],
      [3, 'rollback', 'deleted', 1],
    ],
  );
  const seqs = (f: Parameters<typeof matchesHistoryFilter>[0]) => entries.filter((e) => matchesHistoryFilter(f, e)).map((e) => e.seq);
  assert.deepStrictEqual(seqs({ actor: 'user:bob' }), [2]);
  assert.deepStrictEqual(seqs({ kind: 'VirtualService', name: 'reviews-route', namespace: 'default' }), [1, 2, 3]);
  assert.deepStrictEqual(seqs({ kind: 'DestinationRule' }), []);
  assert.deepStrictEqual(seqs({ namespace: 'prod' }), []);
  assert.deepStrictEqual(seqs({ since: { kind: 'sequence', seq: 2 }, until: { kind: 'sequence', seq: 2 } }), [2]);
});

/** MESH_CONFIG as stored: each ChangeSet's JSON as galley publishes it. */
const stored = (events: readonly LogEvent[]): unknown[] =>
  events.map((e) => JSON.parse(JSON.stringify(ChangeSetCodec.encode(e.event as ChangeSet))) as unknown);

test('audit.property: an untouched log verifies as an intact chain of all its changes', () => {
  fc.assert(
    fc.property(configLog(undefined, 6), (events) => {
      const verify = new ChainVerification();
      stored(events).forEach((json, i) => verify.message(i + 1, json));
      const verdict = verify.verdict();
      assert.equal(verdict.intact, true);
      assert.equal(verdict.changes, events.length);
      // The head is the hash the next ChangeSet will carry as prev.
      if (verdict.intact) assert.equal(verdict.headHash, replay(emptyMeshState, events).lastChangeSetHash);
    }),
  );
});

test('audit.property: rewriting any stored ChangeSet that has a successor breaks the chain right after it', () => {
  fc.assert(
    fc.property(
      configLog(undefined, 6)
        .filter((es) => es.length >= 2)
        .chain((es) => fc.tuple(fc.constant(es), fc.integer({ min: 0, max: es.length - 2 }), fc.constantFrom('actor', 'reason', 'changes'))),
      ([events, k, field]) => {
        const messages = stored(events) as Array<Record<string, unknown>>;
        const original = messages[k]!;
        messages[k] = { ...original, [field]: field === 'changes' ? [] : `${String(original[field] ?? '')}!` };
        const verify = new ChainVerification();
        messages.forEach((json, i) => verify.message(i + 1, json));
        const verdict = verify.verdict();
        assert.equal(verdict.intact, false);
        if (!verdict.intact) {
          assert.equal(verdict.firstBreak?.seq, k + 2);
          assert.equal(verdict.firstBreak?.previousSeq, k + 1);
          assert.equal(verdict.firstBreak?.found, (messages[k + 1] as { prev: string }).prev);
        }
      },
    ),
  );
});

test('audit.property: a ChangeSet stored on the same predecessor as the one before it is a fork, left out until a repair names its hash', () => {
  fc.assert(
    fc.property(
      configLog(undefined, 6).filter((es) => es.length >= 1),
      fc.boolean(),
      (events, withRepair) => {
        const messages = stored(events) as Array<Record<string, unknown>>;
        const n = messages.length;
        const last = messages[n - 1]!;
        // A second writer's change, planned against the same state as the last one.
        const sibling = { ...last, id: 'racing-writer', actor: 'user:racer', prev: last.prev };
        // Later writers chain on what they folded last: the sibling.
        const next = { ...last, id: 'after', actor: 'user:next', prev: contentHash(sibling) };
        const log: unknown[] = [...messages, sibling, next];
        const orphanHash = contentHash(last);
        if (withRepair) log.push({ id: 'repair', type: 'ChangeSet', at: '2026-12-02T00:00:00Z', actor: 'user:admin', prev: contentHash(next), repairs: [{ seq: n, hash: orphanHash }], changes: [] });
        const verify = new ChainVerification();
        log.forEach((json, i) => verify.message(i + 1, json));
        const verdict = verify.verdict();
        assert.equal(verdict.intact, withRepair);
        assert.equal(verdict.intact ? undefined : verdict.firstBreak, undefined, 'a fork is not a break');
        assert.deepStrictEqual(verdict.forks, [
          { seq: n + 1, actor: 'user:racer', predecessorSeq: n - 1, orphanSeq: n, orphanActor: last.actor, orphanHash, ...(withRepair ? { repairedBy: n + 3 } : {}) },
        ]);
        assert.deepStrictEqual(unrepairedForks(verdict).map((f) => f.orphanSeq), withRepair ? [] : [n]);
      },
    ),
  );
});

test('audit: a repair naming the wrong hash of the ChangeSet a fork left out is a break at the repair', () => {
  const [first, second] = stored(chainConfigLog([applying([vs(90)]), applying([vs(80)])])) as Array<Record<string, unknown>>;
  const sibling = { ...second!, id: 'racing', prev: second!.prev };
  const repair = { id: 'repair', type: 'ChangeSet', at: '2026-12-02T00:00:00Z', actor: 'user:admin', prev: contentHash(sibling), repairs: [{ seq: 2, hash: 'f'.repeat(64) }], changes: [] };
  const verify = new ChainVerification();
  [first, second, sibling, repair].forEach((json, i) => verify.message(i + 1, json));
  const verdict = verify.verdict();
  assert.ok(!verdict.intact);
  assert.deepStrictEqual(verdict.firstBreak, { seq: 4, previousSeq: 2, expected: contentHash(second), found: 'f'.repeat(64), reason: 'repair-mismatch' });
});

test('audit: a repair decodes as a ChangeSet that changes nothing; an empty change list without repairs does not', () => {
  const repair = { id: 'r', type: 'ChangeSet', at: '2026-12-02T00:00:00Z', actor: 'user:admin', prev: GENESIS_HASH, repairs: [{ seq: 2, hash: 'a'.repeat(64) }], changes: [] };
  const decoded = decodeChangeSet(repair);
  assert.ok(isRight(decoded), JSON.stringify(decoded));
  assert.deepStrictEqual(replay(emptyMeshState, [configLogEvent(1, decoded.right)]).resources.size, 0);
  const empty = decodeChangeSet({ ...repair, repairs: undefined });
  assert.ok(isLeft(empty) && empty.left.some((e) => e.path === 'changes' && e.reason === 'must not be empty'), JSON.stringify(empty));
  const both = decodeChangeSet({ ...repair, changes: (stored(chainConfigLog([applying([vs(90)])]))[0] as { changes: unknown }).changes });
  assert.ok(isLeft(both) && both.left.some((e) => e.path === 'changes' && /empty on a chain repair/.test(e.reason)), JSON.stringify(both));
});

test('audit: a message that is not a ChangeSet breaks the chain at itself', () => {
  const verify = new ChainVerification();
  const [first] = stored(chainConfigLog([applying([vs(90)])]));
  verify.message(1, first);
  verify.message(2, { hello: 'world' });
  const verdict = verify.verdict();
  assert.ok(!verdict.intact && verdict.firstBreak?.seq === 2 && verdict.firstBreak?.reason === 'not-a-changeset');
});

test('diff.property: two values differ in exactly the leaves the diff names', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
      const changes = diffValues(a, b);
      assert.equal(changes.length === 0, canonicalJson(a) === canonicalJson(b));
      assert.deepStrictEqual(diffValues(a, a), []);
    }),
  );
});

test('diff.property: the config diff names exactly the resources whose stored form differs', () => {
  fc.assert(
    fc.property(withCut(configLog()), ([events, cut]) => {
      const from = replay(emptyMeshState, events.slice(0, cut));
      const to = replay(emptyMeshState, events);
      const named = new Set(diffConfig(from, to).map((d) => `${d.ref.kind}/${d.ref.namespace}/${d.ref.name}`));
      for (const key of new Set([...from.resources.keys(), ...to.resources.keys()])) {
        const a = from.resources.get(key);
        const b = to.resources.get(key);
        const differs = canonicalJson(a && encodeResource(a.resource)) !== canonicalJson(b && encodeResource(b.resource));
        assert.equal(named.has(key), differs, key);
      }
      assert.deepStrictEqual(diffConfig(to, to), []);
      assert.deepStrictEqual(diffRouting(deriveSnapshots(to), deriveSnapshots(to)), []);
    }),
  );
});

test('diff: reweighting a route shows the weight paths in both the config and the routing diff', () => {
  const se = mustDecode({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { hosts: ['reviews'], ports: [{ number: 9080, name: 'http' }] },
  });
  const before = replay(emptyMeshState, chainConfigLog([applying([se, vs(90)])]));
  const after = replay(before, chainConfigLog([applying([vs(50)])], 2, before.lastChangeSetHash));
  const config = diffConfig(before, after);
  assert.deepStrictEqual(
    config.map((d) => [d.change, d.ref.name, d.fromVersion, d.toVersion, d.fields.map((f) => `${f.path}: ${String(f.before)} → ${String(f.after)}`)]),
    [['changed', 'reviews-route', 1, 2, ['spec.http[0].route[0].weight: 90 → 50', 'spec.http[0].route[1].weight: 10 → 50']]],
  );
  const routing = diffRouting(deriveSnapshots(before), deriveSnapshots(after));
  assert.deepStrictEqual(routing.map((h) => h.host), ['reviews.default.svc.cluster.local']);
  assert.deepStrictEqual(
    routing[0]?.fields.map((f) => f.path),
    ['routes[0].destinations[0].weight', 'routes[0].destinations[1].weight'],
  );
});

function vs(v1: number) {
  return mustDecode({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews-route', namespace: 'default' },
    spec: {
      hosts: ['reviews'],
      http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: v1 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 100 - v1 }] }],
    },
  });
}

