import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { MeshNatsUsers, type MeshNatsUser } from '@jetmesh/runtime';
import { eventually, startMeshNatsServer, startNatsServer, type MeshNatsServerHandle } from '@jetmesh/testing';
import * as t from 'io-ts';
import {
  Buckets,
  bucketStream,
  BusPermissionError,
  BusUnavailableError,
  bootstrapPermissions,
  connectBus,
  createMeshAccount,
  followTrustKey,
  Limits,
  mintNatsUser,
  openCheckpointStore,
  openJsonBucket,
  openSnapshotStore,
  provisionMesh,
  QueueGroups,
  readStream,
  snapshotKeyForHost,
  Streams,
  Subjects,
  TrustKeys,
  type BucketEntry,
  type Bus,
  type SnapshotEntry,
} from '../src/index.js';
import { RecordingLogger } from './bus-fixture.js';

const Doc = t.type({ n: t.number });
const CA_KEY = 'authority';
type Doc = t.TypeOf<typeof Doc>;

/** Every stream and bucket of the mesh. */
const allStreams = [Streams.config, Streams.registry, Streams.audit, ...[Buckets.snapshots, Buckets.trust, Buckets.ca, Buckets.checkpoints].map(bucketStream)];
const notCitadel: MeshNatsUser[] = MeshNatsUsers.filter((u) => u !== 'citadel');

/** The refusal of `action`, which must come at once (no timeout) and name the user and the subject. */
async function refused(user: MeshNatsUser, subject: string | RegExp, action: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  const err = await action().then(
    () => assert.fail(`${user} was allowed what it must not do (${String(subject)})`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof BusPermissionError, `${user}: expected a BusPermissionError, got ${String(err)}`);
  assert.equal(err.user, user);
  assert.equal(err.code, 'PERMISSION_DENIED');
  if (typeof subject === 'string') assert.equal(err.subject, subject);
  else assert.match(err.subject, subject);
  assert.match(err.message, new RegExp(`^NATS user "${user}" may not publish to "`));
  assert.ok(Date.now() - started < 2_000, 'a refusal is an answer, not a timeout');
}

describe('nats-permissions (deploy/nats/mesh-users.conf as NATS JWT users)', () => {
  let server: MeshNatsServerHandle;
  const buses = new Map<MeshNatsUser, Bus>();
  const logs = new Map<MeshNatsUser, RecordingLogger>();
  const as = (user: MeshNatsUser): Bus => buses.get(user) ?? assert.fail(`${user} is not connected`);

  before(async () => {
    server = await startMeshNatsServer();
    for (const user of MeshNatsUsers) {
      const log = new RecordingLogger();
      buses.set(user, await connectBus(server.url, log, { name: `${user}-test`, ...server.credentials(user), timeoutMs: 2_000 }));
      logs.set(user, log);
    }
    // Pilot first: it creates the log streams it reads (galley owns them), then its own bucket.
    await provisionMesh(as('pilot'), 'pilot');
    await provisionMesh(as('citadel'), 'citadel');
    await provisionMesh(as('galley'), 'galley');
    // What citadel keeps: a CA state nobody else may read, a trust bundle everybody may.
    await openJsonBucket(as('citadel'), Buckets.ca, Doc).then((ca) => ca.create(CA_KEY, { n: 42 }));
    await openJsonBucket(as('citadel'), Buckets.trust, Doc).then((trust) => trust.create(TrustKeys.roots, { n: 1 }));
  });

  after(async () => {
    for (const bus of buses.values()) await bus.close();
    await server.dispose();
  });

  test('each service provisions what it needs, whichever starts first (pilot, citadel, galley here)', async () => {
    const owners = [
      ['galley', Streams.config],
      ['galley', Streams.registry],
      ['galley', Streams.audit],
      ['pilot', bucketStream(Buckets.snapshots)],
      ['citadel', bucketStream(Buckets.trust)],
      ['citadel', bucketStream(Buckets.ca)],
    ] as const;
    for (const [user, stream] of owners) assert.equal((await as(user).jsm.streams.info(stream)).config.name, stream);
    for (const user of ['galley', 'pilot', 'citadel'] as const) {
      assert.deepEqual(logs.get(user)?.messages('error'), [], `${user} hit no refusal`);
    }
  });

  test('a drifted stream is corrected by its owner; a reader leaves it alone without failing', async () => {
    await as('galley').jsm.streams.update(Streams.config, { max_msg_size: 512 });
    await provisionMesh(as('pilot'), 'pilot');
    assert.equal((await as('galley').jsm.streams.info(Streams.config)).config.max_msg_size, 512);
    await provisionMesh(as('galley'), 'galley');
    assert.equal((await as('galley').jsm.streams.info(Streams.config)).config.max_msg_size, 1024 * 1024);
  });

  test('galley writes the config log and its audit, follows the log, watches the token keys', async () => {
    const galley = as('galley');
    const ack = await galley.js.publish(Subjects.config, JSON.stringify({ n: 1 }), { msgID: randomUUID() });
    await galley.js.publish('mesh.audit.config.denied', JSON.stringify({ n: 2 }), { msgID: randomUUID() });
    const read: number[] = [];
    for await (const entry of readStream(galley, { stream: Streams.config, codec: Doc, fromSequence: ack.seq })) read.push(entry.value.n);
    assert.deepEqual(read, [1]);
    const seen: (BucketEntry<Doc> | undefined)[] = [];
    const follow = await followTrustKey(galley, TrustKeys.jwks, Doc, (entry) => seen.push(entry));
    await openJsonBucket(as('citadel'), Buckets.trust, Doc).then((b) => b.create(TrustKeys.jwks, { n: 7 }));
    await eventually(() => seen.some((e) => e?.value.n === 7) || undefined, 'the keys citadel wrote');
    follow.stop();
    // Galley follows the keys without a server-side consumer, so it has no right to create one.
    await assert.rejects(openJsonBucket(galley, Buckets.trust, Doc).then((keys) => keys.watch(TrustKeys.jwks, () => undefined)), { code: 'PERMISSION_DENIED' });
  });

  test('pilot follows both logs, writes snapshots and checkpoints, answers proxy-status', async () => {
    const pilot = as('pilot');
    const written = await as('galley').js.publish(Subjects.config, JSON.stringify({ n: 1 }), { msgID: randomUUID() });
    const config: number[] = [];
    for await (const entry of readStream(pilot, { stream: Streams.config, codec: Doc, fromSequence: written.seq })) config.push(entry.value.n);
    assert.deepEqual(config, [1]);
    const registered = await as('admin').js.publish(Subjects.registry('default', 'vm-1'), JSON.stringify({ n: 3 }), { msgID: randomUUID() });
    const registry: number[] = [];
    for await (const entry of readStream(pilot, { stream: Streams.registry, codec: Doc, fromSequence: registered.seq })) registry.push(entry.value.n);
    assert.deepEqual(registry, [3]);
    assert.ok((await pilot.jsm.streams.getMessage(Streams.config, { seq: written.seq })) !== null);

    const store = await openSnapshotStore(pilot);
    const key = snapshotKeyForHost('reviews.default.svc.cluster.local');
    assert.equal((await store.put(key, { routes: ['v1'] }, 'absent'))._tag, 'Right');
    assert.ok((await store.keys()).includes(key));

    const checkpoints = await openCheckpointStore(pilot);
    assert.equal((await checkpoints.write(1, new Uint8Array([1, 2, 3])))._tag, 'Right');
    // A second checkpoint purges the first one's chunks.
    assert.equal((await checkpoints.write(2, new Uint8Array([4, 5])))._tag, 'Right');
    const latest = await checkpoints.readLatest();
    assert.ok(latest._tag === 'Right' && latest.right?.manifest.position === 2);

    const responder = pilot.nc.subscribe(Subjects.pilotStatus, { callback: (_err, msg) => void msg.respond('{"streams":[]}') });
    await pilot.nc.flush();
    const answers = await as('admin').nc.requestMany(Subjects.pilotStatus, '', { strategy: 'timer', maxWait: 500 });
    const bodies: string[] = [];
    for await (const answer of answers) bodies.push(answer.string());
    assert.deepEqual(bodies, ['{"streams":[]}']);
    responder.unsubscribe();
    assert.deepEqual(logs.get('pilot')?.messages('error'), []);
  });

  test('citadel reads and writes mesh_ca and mesh_trust, and writes its audit', async () => {
    const citadel = as('citadel');
    const ca = await openJsonBucket(citadel, Buckets.ca, Doc);
    const current = await ca.get(CA_KEY);
    assert.ok(current !== undefined);
    assert.equal((await ca.update(CA_KEY, { n: current.value.n + 1 }, current.revision))._tag, 'Right');
    const seen: (BucketEntry<Doc> | undefined)[] = [];
    const watch = await ca.watch(CA_KEY, (entry) => seen.push(entry));
    await eventually(() => (seen.length > 0) || undefined, 'the CA state through a watch');
    watch.stop();
    const trust = await openJsonBucket(citadel, Buckets.trust, Doc);
    assert.equal((await trust.create('scratch', { n: 1 }))._tag, 'Right');
    await citadel.js.publish('mesh.audit.ca.root', JSON.stringify({ n: 5 }), { msgID: randomUUID() });
    assert.deepEqual(logs.get('citadel')?.messages('error'), []);
  });

  for (const user of notCitadel) {
    test(`${user} cannot read mesh_ca: get, direct get, watch, consumer create and its subjects are all refused`, async () => {
      const bus = as(user);
      const caStream = bucketStream(Buckets.ca);
      await refused(user, `$JS.API.STREAM.MSG.GET.${caStream}`, async () => (await new Kvm(bus.js).open(Buckets.ca)).get(CA_KEY));
      await refused(user, `$JS.API.DIRECT.GET.${caStream}.$KV.${Buckets.ca}.${CA_KEY}`, async () =>
        (await new Kvm(bus.js).open(Buckets.ca, { allow_direct: true })).get(CA_KEY),
      );
      await refused(user, new RegExp(`^\\$JS\\.API\\.CONSUMER\\.CREATE\\.${caStream}\\.`), async () => (await new Kvm(bus.js).open(Buckets.ca)).watch({ key: CA_KEY }));
      await refused(user, new RegExp(`^\\$JS\\.API\\.CONSUMER\\.(DURABLE\\.)?CREATE\\.${caStream}`), () =>
        bus.jsm.consumers.add(caStream, { durable_name: `${user}-peek`, ack_policy: AckPolicy.None }),
      );
      await refused(user, `$JS.API.STREAM.INFO.${caStream}`, () => bus.jsm.streams.info(caStream));
      await refused(user, `$JS.API.STREAM.SNAPSHOT.${caStream}`, () => bus.nc.request(`$JS.API.STREAM.SNAPSHOT.${caStream}`, '{}'));

      // Core subscriptions: the bucket's own subjects and citadel's replies (where its reads of mesh_ca arrive).
      const log = logs.get(user) ?? assert.fail('no log');
      const leaked: string[] = [];
      const subs = [`$KV.${Buckets.ca}.>`, '_INBOX.citadel.>', '_INBOX.>', '>'].map((subject) =>
        bus.nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err === null) leaked.push(msg.subject);
          },
        }),
      );
      await bus.nc.flush();
      const ca = await openJsonBucket(as('citadel'), Buckets.ca, Doc);
      const current = await ca.get(CA_KEY);
      await ca.update(CA_KEY, { n: (current?.value.n ?? 0) + 1 }, current?.revision ?? 0);
      await sleep(200);
      assert.deepEqual(leaked, []);
      for (const subject of [`$KV.${Buckets.ca}.>`, '_INBOX.citadel.>', '_INBOX.>', '>']) {
        assert.ok(
          log.messages('error').includes(`NATS permission denied: NATS user "${user}" may not subscribe to "${subject}"`),
          `${user}: the refused subscription to ${subject} is logged by name; got ${JSON.stringify(log.messages('error'))}`,
        );
      }
      for (const sub of subs) sub.unsubscribe();
    });
  }

  test('citadel alone reads mesh_ca, directly too', async () => {
    const kv = await new Kvm(as('citadel').js).open(Buckets.ca, { allow_direct: true });
    assert.ok((await kv.get(CA_KEY)) !== null);
  });

  test('the proxy reads snapshots and the trust bundle the cheap way and publishes telemetry', async () => {
    const proxy = as('proxy');
    const refusalsBefore = logs.get('proxy')?.messages('error').length ?? 0;
    const key = snapshotKeyForHost('ratings.default.svc.cluster.local');
    const snapshots = await openSnapshotStore(proxy);
    const seen: (SnapshotEntry | undefined)[] = [];
    const watch = snapshots.watchKey(key, (entry) => seen.push(entry));
    const roots: (BucketEntry<Doc> | undefined)[] = [];
    const trustFollow = await followTrustKey(proxy, TrustKeys.roots, Doc, (entry) => roots.push(entry));
    try {
      await eventually(() => (seen.length === 1 && roots.length === 1) || undefined, 'the current snapshot and roots');
      assert.equal(seen[0], undefined);
      assert.deepEqual(roots[0]?.value, { n: 1 });
      const pilotStore = await openSnapshotStore(as('pilot'));
      await pilotStore.put(key, { routes: ['v2'] }, 'absent');
      await eventually(() => (seen.length === 2) || undefined, 'the snapshot pilot wrote');
      assert.deepEqual(seen[1]?.value, { routes: ['v2'] });
      assert.deepEqual((await snapshots.get(key))?.value, { routes: ['v2'] });
      const trust = await openJsonBucket(as('citadel'), Buckets.trust, Doc);
      const current = await trust.get(TrustKeys.roots);
      await trust.update(TrustKeys.roots, { n: 2 }, current?.revision ?? 0);
      await eventually(() => (roots.length === 2) || undefined, 'the rotated roots');
      assert.deepEqual(roots[1]?.value, { n: 2 });
    } finally {
      watch.stop();
      trustFollow.stop();
    }

    const received: string[] = [];
    const telemetry = as('telemetry').nc.subscribe(Subjects.telemetryAll, {
      callback: (_err, msg) => {
        received.push(`${msg.subject} ${msg.string()}`);
      },
    });
    await as('telemetry').nc.flush();
    proxy.nc.publish(Subjects.telemetry('default', 'productpage-v1'), '{"requests":1}');
    await proxy.nc.flush();
    await eventually(() => (received.length === 1) || undefined, 'the report at telemetry');
    assert.deepEqual(received, ['mesh.telemetry.default.productpage-v1 {"requests":1}']);
    telemetry.unsubscribe();
    assert.deepEqual(logs.get('proxy')?.messages('error').slice(refusalsBefore), []);
  });

  test('the proxy publishes its access log and the operator hears it; a proxy hears no access log', async () => {
    const proxy = as('proxy');
    const admin = as('admin');
    const refusalsBefore = logs.get('proxy')?.messages('error').length ?? 0;
    const received: string[] = [];
    const tail = admin.nc.subscribe(Subjects.accessLogAll, { callback: (_err, msg) => void received.push(`${msg.subject} ${msg.string()}`) });
    await admin.nc.flush();
    proxy.nc.publish(Subjects.accessLog('default', 'productpage-v1'), '{"records":[]}');
    await proxy.nc.flush();
    await eventually(() => (received.length === 1) || undefined, 'the access log at the operator');
    assert.deepEqual(received, ['mesh.accesslog.default.productpage-v1 {"records":[]}']);
    tail.unsubscribe();
    assert.deepEqual(logs.get('proxy')?.messages('error').slice(refusalsBefore), [], 'the publish was allowed');

    const overheard = proxy.nc.subscribe(Subjects.accessLogAll, { callback: () => undefined });
    await proxy.nc.flush();
    await eventually(() => (logs.get('proxy')?.messages('error').includes(`NATS permission denied: NATS user "proxy" may not subscribe to "${Subjects.accessLogAll}"`) === true) || undefined, 'the refused subscription');
    overheard.unsubscribe();
  });

  test('the proxy publishes its trace spans and telemetry takes them in its queue group; a proxy hears no spans', async () => {
    const proxy = as('proxy');
    const telemetry = as('telemetry');
    const proxyErrorsBefore = logs.get('proxy')?.messages('error').length ?? 0;
    const telemetryErrorsBefore = logs.get('telemetry')?.messages('error').length ?? 0;
    const received: string[] = [];
    const spans = telemetry.nc.subscribe(Subjects.spansAll, { queue: QueueGroups.telemetry, callback: (_err, msg) => void received.push(`${msg.subject} ${msg.string()}`) });
    await telemetry.nc.flush();
    proxy.nc.publish(Subjects.spans('default', 'productpage-v1'), '{"spans":[]}');
    await proxy.nc.flush();
    await eventually(() => (received.length === 1) || undefined, 'the spans at telemetry');
    assert.deepEqual(received, ['mesh.spans.default.productpage-v1 {"spans":[]}']);
    spans.unsubscribe();
    assert.deepEqual(logs.get('proxy')?.messages('error').slice(proxyErrorsBefore), [], 'the publish was allowed');
    assert.deepEqual(logs.get('telemetry')?.messages('error').slice(telemetryErrorsBefore), [], 'the subscription was allowed');

    const overheard = proxy.nc.subscribe(Subjects.spansAll, { callback: () => undefined });
    await proxy.nc.flush();
    await eventually(() => (logs.get('proxy')?.messages('error').includes(`NATS permission denied: NATS user "proxy" may not subscribe to "${Subjects.spansAll}"`) === true) || undefined, 'the refused subscription');
    overheard.unsubscribe();
  });

  test('telemetry takes reports in its queue group and answers jetmesh top to the operator; a proxy cannot ask top', async () => {
    const telemetry = as('telemetry');
    const errorsBefore = logs.get('telemetry')?.messages('error').length ?? 0;
    const received: string[] = [];
    const reports = telemetry.nc.subscribe(Subjects.telemetryAll, { queue: QueueGroups.telemetry, callback: (_err, msg) => void received.push(msg.subject) });
    const top = telemetry.nc.subscribe(Subjects.telemetryTop, { callback: (_err, msg) => void msg.respond('{"services":[]}') });
    await telemetry.nc.flush();
    as('proxy').nc.publish(Subjects.telemetry('default', 'reviews-v1'), '{}');
    await as('proxy').nc.flush();
    await eventually(() => (received.length === 1) || undefined, 'the report in the queue group');
    const answers = await as('admin').nc.requestMany(Subjects.telemetryTop, '', { strategy: 'timer', maxWait: 500 });
    const bodies: string[] = [];
    for await (const answer of answers) bodies.push(answer.string());
    assert.deepEqual(bodies, ['{"services":[]}']);
    assert.deepEqual(logs.get('telemetry')?.messages('error').slice(errorsBefore), [], 'subscriptions and the answer were allowed');
    as('proxy').nc.publish(Subjects.telemetryTop, '');
    await as('proxy').nc.flush();
    await eventually(() => (logs.get('proxy')?.messages('error').includes(`NATS permission denied: NATS user "proxy" may not publish to "${Subjects.telemetryTop}"`) === true) || undefined, 'the refused question');
    reports.unsubscribe();
    top.unsubscribe();
  });

  test('telemetry answers the per-edge traffic question to the operator (the console); a proxy cannot ask it', async () => {
    const telemetry = as('telemetry');
    const errorsBefore = logs.get('telemetry')?.messages('error').length ?? 0;
    const edges = telemetry.nc.subscribe(Subjects.telemetryEdges, { callback: (_err, msg) => void msg.respond('{"edges":[]}') });
    await telemetry.nc.flush();
    const bodies: string[] = [];
    for await (const answer of await as('admin').nc.requestMany(Subjects.telemetryEdges, '', { strategy: 'timer', maxWait: 500 })) bodies.push(answer.string());
    assert.deepEqual(bodies, ['{"edges":[]}']);
    assert.deepEqual(logs.get('telemetry')?.messages('error').slice(errorsBefore), [], 'the subscription and the answer were allowed');
    as('proxy').nc.publish(Subjects.telemetryEdges, '');
    await as('proxy').nc.flush();
    await eventually(() => (logs.get('proxy')?.messages('error').includes(`NATS permission denied: NATS user "proxy" may not publish to "${Subjects.telemetryEdges}"`) === true) || undefined, 'the refused question');
    edges.unsubscribe();
  });

  test('a proxy answers the operator\'s status request (proxy-status, the console) but cannot ask another proxy', async () => {
    const proxy = as('proxy');
    const errorsBefore = logs.get('proxy')?.messages('error').length ?? 0;
    const status = proxy.nc.subscribe(Subjects.proxyStatus, { callback: (_err, msg) => void msg.respond('{"keys":[]}') });
    await proxy.nc.flush();
    const bodies: string[] = [];
    for await (const answer of await as('admin').nc.requestMany(Subjects.proxyStatus, '', { strategy: 'timer', maxWait: 500 })) bodies.push(answer.string());
    assert.deepEqual(bodies, ['{"keys":[]}']);
    assert.deepEqual(logs.get('proxy')?.messages('error').slice(errorsBefore), [], 'the subscription and the answer were allowed');
    proxy.nc.publish(Subjects.proxyStatus, '');
    await proxy.nc.flush();
    await eventually(() => (logs.get('proxy')?.messages('error').includes(`NATS permission denied: NATS user "proxy" may not publish to "${Subjects.proxyStatus}"`) === true) || undefined, 'the refused question');
    status.unsubscribe();
  });

  test('the proxy cannot write config, snapshots or trust, open consumers, or change any stream or bucket', async () => {
    const proxy = as('proxy');
    const before = (await as('galley').jsm.streams.info(Streams.config)).state.last_seq;
    await refused('proxy', Subjects.config, () => proxy.js.publish(Subjects.config, '{}', { msgID: randomUUID() }));
    // A plain publish gets no answer to reject: the refusal is logged, and nothing is stored.
    proxy.nc.publish(Subjects.config, '{}');
    await proxy.nc.flush();
    await eventually(() => (logs.get('proxy')?.messages('error').includes('NATS permission denied: NATS user "proxy" may not publish to "mesh.config"') === true) || undefined, 'the logged refusal');
    assert.equal((await as('galley').jsm.streams.info(Streams.config)).state.last_seq, before);

    await refused('proxy', `$KV.${Buckets.snapshots}.host.x`, async () => (await new Kvm(proxy.js).open(Buckets.snapshots)).put('host.x', '{}'));
    await refused('proxy', `$KV.${Buckets.trust}.roots`, async () => (await new Kvm(proxy.js).open(Buckets.trust)).put('roots', '{}'));
    await refused('proxy', /^\$JS\.API\.CONSUMER\.CREATE\.KV_mesh_snapshots\./, async () => (await new Kvm(proxy.js).open(Buckets.snapshots)).watch({ key: 'host.x' }));
    // Raw API requests, so each verb is tried as such (the client's update would stop at its info first).
    const api = (verb: string, stream: string, body: object) => () => proxy.nc.request(`$JS.API.STREAM.${verb}.${stream}`, JSON.stringify(body));
    for (const stream of allStreams) {
      for (const verb of ['UPDATE', 'CREATE']) await refused('proxy', `$JS.API.STREAM.${verb}.${stream}`, api(verb, stream, { name: stream, subjects: [`proxy.${stream}`] }));
      for (const verb of ['DELETE', 'PURGE']) await refused('proxy', `$JS.API.STREAM.${verb}.${stream}`, api(verb, stream, {}));
    }
    await refused('proxy', '$JS.API.STREAM.CREATE.COPY', api('CREATE', 'COPY', { name: 'COPY', mirror: { name: bucketStream(Buckets.ca) } }));
  });

  test("the proxy reaches galley's registrar (request and heartbeat, answers to its inbox); galley writes and follows MESH_REGISTRY and the roots", async () => {
    const galley = as('galley');
    const proxy = as('proxy');
    const refusalsBefore = { galley: logs.get('galley')?.messages('error').length ?? 0, proxy: logs.get('proxy')?.messages('error').length ?? 0 };
    const requests = galley.nc.subscribe(Subjects.registryRequests, { queue: QueueGroups.registrar, callback: (_err, msg) => void msg.respond(`ok ${msg.string()}`) });
    const heartbeats = galley.nc.subscribe(Subjects.registryHeartbeats, { callback: (_err, msg) => void msg.respond(`unknown ${msg.string()}`) });
    await galley.nc.flush();
    try {
      assert.equal((await proxy.nc.request(Subjects.registryRequests, 'register', { timeout: 2_000 })).string(), 'ok register');
      const inbox = `_INBOX.proxy.${randomUUID().replaceAll('-', '')}`;
      const answers: string[] = [];
      const sub = proxy.nc.subscribe(inbox, { callback: (_err, msg) => void answers.push(msg.string()) });
      proxy.nc.publish(Subjects.registryHeartbeats, 'beat', { reply: inbox });
      await proxy.nc.flush();
      await eventually(() => (answers.length === 1) || undefined, "galley's answer to the heartbeat");
      assert.deepEqual(answers, ['unknown beat']);
      sub.unsubscribe();
    } finally {
      requests.unsubscribe();
      heartbeats.unsubscribe();
    }
    const written = await galley.js.publish(Subjects.registry('default', 'reviews-1'), JSON.stringify({ n: 4 }), { msgID: randomUUID(), expect: { lastSubjectSequence: 0 } });
    const read: number[] = [];
    for await (const entry of readStream(galley, { stream: Streams.registry, codec: Doc, fromSequence: written.seq })) read.push(entry.value.n);
    assert.deepEqual(read, [4]);
    assert.ok((await galley.jsm.streams.getMessage(Streams.registry, { last_by_subj: Subjects.registry('default', 'reviews-1') })) !== null);
    // Citadel checks who holds a workload name before it mints that workload's NATS user.
    assert.ok((await as('citadel').jsm.streams.getMessage(Streams.registry, { last_by_subj: Subjects.registry('default', 'reviews-1') })) !== null);
    const roots: (BucketEntry<Doc> | undefined)[] = [];
    const follow = await followTrustKey(galley, TrustKeys.roots, Doc, (entry) => roots.push(entry));
    await eventually(() => (roots.length === 1) || undefined, 'the roots at galley');
    follow.stop();
    assert.deepEqual(logs.get('galley')?.messages('error').slice(refusalsBefore.galley), []);
    assert.deepEqual(logs.get('proxy')?.messages('error').slice(refusalsBefore.proxy), []);
  });

  test('the proxy cannot write MESH_REGISTRY itself, nor hear other proxies\' registrations', async () => {
    const proxy = as('proxy');
    const before = (await as('galley').jsm.streams.info(Streams.registry)).state.last_seq;
    await refused('proxy', Subjects.registry('default', 'reviews-1'), () => proxy.js.publish(Subjects.registry('default', 'reviews-1'), '{}', { msgID: randomUUID() }));
    await refused('proxy', 'mesh.registry.x.y', () => proxy.js.publish('mesh.registry.x.y', '{}'));
    await refused('proxy', /^\$JS\.API\.CONSUMER\.CREATE\.MESH_REGISTRY/, () => proxy.jsm.consumers.add(Streams.registry, { ack_policy: AckPolicy.None }));
    assert.equal((await as('galley').jsm.streams.info(Streams.registry)).state.last_seq, before);
    const subs = [Subjects.registryRequests, Subjects.registryHeartbeats].map((subject) => proxy.nc.subscribe(subject, { callback: () => undefined }));
    await proxy.nc.flush();
    for (const subject of [Subjects.registryRequests, Subjects.registryHeartbeats]) {
      await eventually(() => (logs.get('proxy')?.messages('error').includes(`NATS permission denied: NATS user "proxy" may not subscribe to "${subject}"`) === true) || undefined, `the refused subscription to ${subject}`);
    }
    for (const sub of subs) sub.unsubscribe();
  });

  test('only galley and the operator may write mesh.config', async () => {
    for (const user of MeshNatsUsers) {
      const publish = () => as(user).js.publish(Subjects.config, JSON.stringify({ n: 9 }), { msgID: randomUUID() });
      if (user === 'galley' || user === 'admin') assert.equal((await publish()).stream, Streams.config, `${user} may write the config log`);
      else await refused(user, Subjects.config, publish);
    }
  });

  test('a wrong password is refused at connect, naming the user', async () => {
    // A user signed by another account's key: what a wrong password was before NATS JWT users.
    const stranger = createMeshAccount();
    const forged = mintNatsUser(stranger.accountPublicKey, stranger.signingKeySeed, { name: 'proxy', permissions: bootstrapPermissions() });
    const err = await connectBus(server.url, new RecordingLogger(), { credentials: forged, timeoutMs: 2_000, maxReconnectAttempts: 0 }).then(
      () => assert.fail('connected as a user of another account'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BusUnavailableError);
    assert.match(err.message, new RegExp(`^cannot reach NATS at ${server.url.replaceAll('.', '\\.')} as user "proxy": .*Authorization Violation`, 'i'));
  });
});

describe('nats-permissions.upgrade', () => {
  test('a mesh that ran without users keeps its log when they are turned on (its store adopted by the mesh account)', async () => {
    const open = await startNatsServer();
    let secured: MeshNatsServerHandle | undefined;
    try {
      const before = await connectBus(open.url, new RecordingLogger(), { name: 'no-user', timeoutMs: 2_000 });
      await provisionMesh(before);
      const ack = await before.js.publish(Subjects.config, JSON.stringify({ n: 1 }), { msgID: randomUUID() });
      await before.close();
      await open.stop();
      secured = await startMeshNatsServer({ storeDir: open.storeDir });
      const galley = await connectBus(secured.url, new RecordingLogger(), { name: 'galley-after', ...secured.credentials('galley'), timeoutMs: 2_000 });
      try {
        assert.equal((await galley.jsm.streams.info(Streams.config)).state.last_seq, ack.seq);
      } finally {
        await galley.close();
      }
    } finally {
      await secured?.dispose();
      await open.dispose();
    }
  });

  test("citadel, as its own user, recreates an older mesh's trust bucket to add its republish", async () => {
    const server = await startMeshNatsServer();
    const citadel = await connectBus(server.url, new RecordingLogger(), { name: 'citadel-upgrade', ...server.credentials('citadel'), timeoutMs: 2_000 });
    try {
      // mesh_trust as the previous version created it: no republish.
      const old = await new Kvm(citadel.js).create(Buckets.trust, { history: Limits.trustHistory, maxValueSize: Limits.trustMaxValueBytes, storage: StorageType.File, replicas: 1 });
      await old.put(TrustKeys.roots, JSON.stringify({ n: 1 }));
      await provisionMesh(citadel, 'citadel');
      const { config } = await citadel.jsm.streams.info(bucketStream(Buckets.trust));
      assert.deepEqual(config.republish, { src: Subjects.trustKeyAll, dest: Subjects.trustUpdatesAll });
      assert.deepEqual((await openJsonBucket(citadel, Buckets.trust, Doc).then((b) => b.get(TrustKeys.roots)))?.value, { n: 1 });
    } finally {
      await citadel.close();
      await server.dispose();
    }
  });
});
