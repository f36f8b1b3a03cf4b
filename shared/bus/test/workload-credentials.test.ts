import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Empty } from '@nats-io/transport-node';
import { eventually, repoRoot, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import {
  Buckets,
  bucketStream,
  BusPermissionError,
  BusUnavailableError,
  connectBus,
  createMeshAccount,
  formatCreds,
  meshAccountServerConfig,
  mintNatsUser,
  natsUserClaims,
  openSnapshotStore,
  parseCreds,
  parseMeshUserPermissions,
  provisionMesh,
  snapshotKeyForHost,
  snapshotKeyForWorkload,
  Subjects,
  workloadInboxPrefix,
  workloadPermissions,
  type Bus,
  type MeshAccountKeys,
  type SnapshotEntry,
} from '../src/index.js';
import { RecordingLogger } from './bus-fixture.js';

const keyA = snapshotKeyForWorkload('default', 'reviews-a');
const keyB = snapshotKeyForWorkload('default', 'ratings-b');
const hostKey = snapshotKeyForHost('ratings.default.svc.cluster.local');

async function refusedPublish(subject: string, action: () => Promise<unknown>): Promise<void> {
  const err = await action().then(
    () => assert.fail(`proxy A was allowed ${subject}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof BusPermissionError, `expected a BusPermissionError, got ${String(err)}`);
  assert.equal(err.user, 'proxy default/reviews-a');
  assert.equal(err.subject, subject);
}

describe('workload credentials (operator mode: one NATS user JWT per workload)', () => {
  let dir: string;
  let server: NatsServerHandle;
  let keys: MeshAccountKeys;
  let owner: Bus;
  let proxyA: Bus;
  const logA = new RecordingLogger();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jetmesh-jwt-'));
    keys = createMeshAccount();
    const operatorFile = join(dir, 'operator.jwt');
    await writeFile(operatorFile, keys.operatorJwt);
    await writeFile(join(dir, 'accounts.conf'), meshAccountServerConfig(keys, operatorFile));
    server = await startNatsServer({ configFile: join(dir, 'accounts.conf') });
    // The control plane's side here is one broad user: these tests are about what a workload may do.
    const ownerCreds = mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: 'owner', permissions: { publish: ['>'], subscribe: ['>'], responses: true } });
    owner = await connectBus(server.url, new RecordingLogger(), { credentials: ownerCreds, timeoutMs: 2_000 });
    await provisionMesh(owner, 'pilot');
    await provisionMesh(owner, 'citadel');
    const store = await openSnapshotStore(owner);
    await store.put(keyA, { for: 'a', n: 1 }, 'absent');
    await store.put(keyB, { for: 'b', n: 1 }, 'absent');
    await store.put(hostKey, { host: 'ratings', n: 1 }, 'absent');
    await owner.js.publish(`$KV.${Buckets.ca}.authority`, new TextEncoder().encode('{"secret":true}'));
    const credsA = mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: 'proxy default/reviews-a', permissions: workloadPermissions('default', 'reviews-a') });
    proxyA = await connectBus(server.url, logA, { credentials: parseCreds(formatCreds(credsA)), timeoutMs: 2_000 });
  });

  after(async () => {
    await proxyA?.close();
    await owner?.close();
    await server?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('workload.happy: proxy A gets and follows its own snapshot and the host snapshots', async () => {
    assert.equal(proxyA.user, 'proxy default/reviews-a');
    const store = await openSnapshotStore(proxyA);
    assert.deepEqual((await store.get(keyA))?.value, { for: 'a', n: 1 });
    assert.deepEqual((await store.get(hostKey))?.value, { host: 'ratings', n: 1 });
    const seen: Array<SnapshotEntry | undefined> = [];
    const watch = store.watchKey(keyA, (entry) => seen.push(entry));
    await eventually(() => seen.length > 0 || undefined, 'the first value of its own key');
    const current = await (await openSnapshotStore(owner)).get(keyA);
    await (await openSnapshotStore(owner)).put(keyA, { for: 'a', n: 2 }, current?.revision ?? 0);
    await eventually(() => seen.some((e) => (e?.value as { n?: number } | undefined)?.n === 2) || undefined, 'the update of its own key');
    watch.stop();
  });

  test('workload.security: proxy A may not get or follow proxy B\'s snapshot', async () => {
    const store = await openSnapshotStore(proxyA);
    await refusedPublish(`$JS.API.DIRECT.GET.${bucketStream(Buckets.snapshots)}.${Subjects.snapshotKey(keyB)}`, () => store.get(keyB));
    // A message get carries the subject in its payload, where permissions cannot look: refused as a whole.
    await refusedPublish(`$JS.API.STREAM.MSG.GET.${bucketStream(Buckets.snapshots)}`, () => proxyA.jsm.streams.getMessage(bucketStream(Buckets.snapshots), { last_by_subj: Subjects.snapshotKey(keyB) }));
    await refusedPublish(`$JS.API.CONSUMER.CREATE.${bucketStream(Buckets.snapshots)}`, () => proxyA.jsm.consumers.add(bucketStream(Buckets.snapshots), { filter_subject: Subjects.snapshotKey(keyB) }));
    const heard: string[] = [];
    const sub = proxyA.nc.subscribe(Subjects.snapshotUpdates(keyB), { callback: (err, msg) => void (err === null && heard.push(msg.subject)) });
    const wildcard = proxyA.nc.subscribe(Subjects.snapshotUpdatesAll, { callback: (err, msg) => void (err === null && heard.push(msg.subject)) });
    await eventually(
      () => logA.messages('error').filter((m) => m.includes(`may not subscribe to "${Subjects.snapshotUpdates(keyB)}"`) || m.includes(`may not subscribe to "${Subjects.snapshotUpdatesAll}"`)).length === 2 || undefined,
      'both refused subscriptions logged',
    );
    const ownerStore = await openSnapshotStore(owner);
    const current = await ownerStore.get(keyB);
    await ownerStore.put(keyB, { for: 'b', n: 2 }, current?.revision ?? 0);
    await sleep(300);
    assert.deepEqual(heard, [], 'no update of B reached A');
    sub.unsubscribe();
    wildcard.unsubscribe();
  });

  test('workload.security: proxy A may not publish config, read mesh_ca or another workload\'s replies', async () => {
    await refusedPublish(Subjects.config, () => proxyA.js.publish(Subjects.config, Empty));
    const heard: string[] = [];
    await refusedPublish(`$JS.API.STREAM.INFO.${bucketStream(Buckets.ca)}`, () => proxyA.jsm.streams.info(bucketStream(Buckets.ca)));
    await refusedPublish(`$JS.API.DIRECT.GET.${bucketStream(Buckets.ca)}.$KV.${Buckets.ca}.authority`, () => proxyA.nc.request(`$JS.API.DIRECT.GET.${bucketStream(Buckets.ca)}.$KV.${Buckets.ca}.authority`, Empty, { timeout: 2_000 }));
    await refusedPublish(Subjects.telemetry('default', 'ratings-b'), () => proxyA.nc.request(Subjects.telemetry('default', 'ratings-b'), Empty, { timeout: 2_000 }));
    proxyA.nc.subscribe(`$KV.${Buckets.ca}.>`, { callback: (err, msg) => void (err === null && heard.push(msg.subject)) });
    proxyA.nc.subscribe(`${workloadInboxPrefix('default', 'ratings-b')}.>`, { callback: (err, msg) => void (err === null && heard.push(msg.subject)) });
    await eventually(() => logA.messages('error').some((m) => m.includes(`may not subscribe to "$KV.${Buckets.ca}.>"`)) || undefined, 'the mesh_ca subscription refused');
    await eventually(() => logA.messages('error').some((m) => m.includes(`may not subscribe to "${workloadInboxPrefix('default', 'ratings-b')}.>"`)) || undefined, 'B\'s inbox refused');
    assert.deepEqual(heard, []);
  });

  test('workload.security: a JWT signed by another account\'s key, or expired, does not connect', async () => {
    const stranger = createMeshAccount();
    const forged = mintNatsUser(keys.accountPublicKey, stranger.signingKeySeed, { name: 'forged', permissions: { publish: ['>'], subscribe: ['>'], responses: false } });
    await assert.rejects(connectBus(server.url, new RecordingLogger(), { credentials: forged, timeoutMs: 2_000 }), (err: unknown) => err instanceof BusUnavailableError && /Authorization Violation/i.test(err.message));
    const expired = mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: 'expired', permissions: workloadPermissions('default', 'reviews-a'), expiresAt: new Date(Date.now() - 60_000) });
    await assert.rejects(connectBus(server.url, new RecordingLogger(), { credentials: expired, timeoutMs: 2_000 }), (err: unknown) => err instanceof BusUnavailableError);
  });

  test('workload.claims: the JWT names its user, inbox and expiry; a user may bring its own key', () => {
    const expiresAt = new Date('2030-01-01T00:00:00Z');
    const own = mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: 'proxy default/reviews-a', permissions: workloadPermissions('default', 'reviews-a'), expiresAt, userPublicKey: 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4' });
    assert.equal(own.seed, '');
    assert.deepEqual(natsUserClaims(own.jwt), { name: 'proxy default/reviews-a', inboxPrefix: '_INBOX.proxy.default.reviews-a', expiresAt: expiresAt.getTime() / 1000 });
    assert.throws(() => mintNatsUser(keys.accountPublicKey, keys.signingKeySeed, { name: 'x', permissions: workloadPermissions('default', 'a'), userPublicKey: keys.accountPublicKey }), /not a user public nkey/);
    assert.throws(() => parseCreds('nothing here'), /no NATS user JWT/);
  });

  test('workload.claims: deploy/nats/mesh-users.conf\'s allow lists are what the JWT users of the components get', async () => {
    const users = parseMeshUserPermissions(await readFile(join(repoRoot, 'deploy', 'nats', 'mesh-users.conf'), 'utf8'));
    assert.deepEqual([...users.keys()], ['galley', 'pilot', 'citadel', 'telemetry', 'proxy', 'admin']);
    assert.ok(users.get('galley')?.publish.includes(Subjects.config));
    assert.ok(!(users.get('pilot')?.publish.includes(Subjects.config) ?? true));
    assert.deepEqual(users.get('telemetry')?.publish, ['$JS.API.INFO']);
    assert.ok(users.get('citadel')?.subscribe.includes('_INBOX.citadel.>'));
    assert.ok([...users.values()].every((u) => u.responses));
    assert.ok([...users.values()].every((u) => u.publish.every((subject) => !subject.includes('#') && subject.trim() === subject)), 'comments and blanks are not subjects');
    assert.throws(() => parseMeshUserPermissions('X_PERMISSIONS = {\n  subscribe: { allow: ["a"] }\n}\n'), /X_PERMISSIONS has no publish allow list/);
  });
});
