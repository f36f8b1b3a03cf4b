import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { nanos } from '@nats-io/transport-node';
import { Buckets, bucketStream, Limits, provisionMesh, Streams, Subjects, type Bus } from '../src/index.js';
import { connectTestBus, type RecordingLogger } from './bus-fixture.js';

const MiB = 1024 * 1024;

describe('provision', () => {
  let server: NatsServerHandle;
  let bus: Bus;
  let log: RecordingLogger;
  let other: Bus;

  before(async () => {
    server = await startNatsServer();
    ({ bus, log } = await connectTestBus(server.url));
    ({ bus: other } = await connectTestBus(server.url));
  });

  after(async () => {
    await bus.close();
    await other.close();
    await server.dispose();
  });

  test('two processes provisioning at once both succeed', async () => {
    await Promise.all([provisionMesh(bus), provisionMesh(other), provisionMesh(bus), provisionMesh(other)]);
    const names = (await bus.jsm.streams.names().next()).sort();
    assert.deepEqual(names, [Streams.audit, Streams.config, Streams.registry, ...[Buckets.snapshots, Buckets.trust, Buckets.ca, Buckets.checkpoints].map(bucketStream)].sort());
  });

  test('provisioning again changes nothing', async () => {
    const streams = [Streams.config, Streams.registry, Streams.audit, ...[Buckets.snapshots, Buckets.trust, Buckets.ca].map(bucketStream)];
    const before = await Promise.all(streams.map((name) => bus.jsm.streams.info(name)));
    await provisionMesh(bus);
    const afterInfo = await Promise.all(streams.map((name) => bus.jsm.streams.info(name)));
    assert.deepEqual(afterInfo.map((info) => info.config), before.map((info) => info.config));
    assert.deepEqual(afterInfo.map((info) => info.created), before.map((info) => info.created));
    assert.deepEqual(log.messages('warn'), []);
  });

  test('the config stream is never trimmed and is append-only', async () => {
    const { config } = await bus.jsm.streams.info(Streams.config);
    assert.deepEqual(config.subjects, [Subjects.config]);
    assert.equal(config.retention, 'limits');
    assert.equal(config.storage, 'file');
    assert.equal(config.max_age, 0);
    assert.equal(config.max_msgs, -1);
    assert.equal(config.max_bytes, -1);
    assert.equal(config.max_msgs_per_subject, -1);
    assert.equal(config.max_msg_size, MiB);
    assert.equal(config.duplicate_window, nanos(2 * 60 * 1000));
    assert.equal(config.discard, 'old');
    assert.equal(config.num_replicas, 1);
    assert.equal(config.deny_delete, true);
    assert.equal(config.deny_purge, true);
  });

  test('the registry keeps one message per workload; audit is append-only', async () => {
    const registry = (await bus.jsm.streams.info(Streams.registry)).config;
    assert.deepEqual(registry.subjects, [Subjects.registryAll]);
    assert.equal(registry.max_msgs_per_subject, 1);
    assert.equal(registry.storage, 'file');
    const audit = (await bus.jsm.streams.info(Streams.audit)).config;
    assert.deepEqual(audit.subjects, [Subjects.auditAll]);
    assert.equal(audit.max_age, 0);
    assert.equal(audit.deny_delete, true);
    assert.equal(audit.deny_purge, true);
  });

  test('the snapshot bucket keeps one revision per key and republishes writes', async () => {
    const { config } = await bus.jsm.streams.info(bucketStream(Buckets.snapshots));
    assert.equal(config.max_msgs_per_subject, Limits.snapshotHistory);
    assert.equal(config.max_msg_size, Limits.snapshotMaxValueBytes);
    assert.equal(config.storage, 'file');
    assert.deepEqual(config.republish, { src: Subjects.snapshotKeyAll, dest: Subjects.snapshotUpdatesAll });
  });

  test('the trust bucket republishes its writes for proxies; the CA bucket never republishes', async () => {
    const trust = (await bus.jsm.streams.info(bucketStream(Buckets.trust))).config;
    assert.deepEqual(trust.republish, { src: Subjects.trustKeyAll, dest: Subjects.trustUpdatesAll });
    assert.equal(trust.allow_direct, true);
    const ca = (await bus.jsm.streams.info(bucketStream(Buckets.ca))).config;
    assert.equal(ca.republish, undefined);
    assert.equal(ca.max_msgs_per_subject, Limits.caHistory);
  });

  test('a drifted limit is put back and the fix is logged', async () => {
    await bus.jsm.streams.update(Streams.config, { duplicate_window: nanos(30_000), max_msg_size: 512 });
    await provisionMesh(bus);
    const { config } = await bus.jsm.streams.info(Streams.config);
    assert.equal(config.duplicate_window, nanos(Limits.duplicateWindowMs));
    assert.equal(config.max_msg_size, Limits.configMaxMsgBytes);
    const warnings = log.entries.filter((entry) => entry.msg === 'stream config drifted, updating');
    assert.deepEqual(warnings.map((entry) => entry.obj), [{ stream: Streams.config, fields: ['duplicate_window', 'max_msg_size'] }]);
  });
});
