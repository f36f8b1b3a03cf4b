import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import {
  configServiceDefinition,
  createConfigClient,
  errorLinesOf,
  invalidArgument,
  isServiceError,
  metadataActor,
  type ApplyRequest,
  type ConfigServiceHandlers,
  type RollbackRequest,
} from '../src/index.js';

async function startServer(handlers: ConfigServiceHandlers): Promise<{ address: string; stop(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(configServiceDefinition, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

const reviews = { kind: 'VirtualService', namespace: 'default', name: 'reviews' };

test('rpc.happy: every ConfigService method round-trips through createConfigClient', async (t) => {
  const seen: { applies: ApplyRequest[]; actors: Array<string | undefined>; rollbacks: RollbackRequest[] } = { applies: [], actors: [], rollbacks: [] };
  const server = await startServer({
    Apply: (call, done) => {
      seen.applies.push(call.request);
      seen.actors.push(metadataActor(call));
      done(null, { sequence: 42, changes: [{ ref: reviews, action: 'created', resourceVersion: 42 }], warnings: ['w1'], diagnostics: [] });
    },
    Delete: (call, done) => {
      done(null, { sequence: 43, changes: call.request.refs.map((ref) => ({ ref, action: 'deleted', resourceVersion: 43 })) });
    },
    Get: (call, done) => {
      if (call.request.ref?.name !== 'reviews') return done({ code: grpc.status.NOT_FOUND, details: 'not found' });
      done(null, { resourceJson: JSON.stringify({ metadata: { name: 'reviews', resourceVersion: '42' } }) });
    },
    List: (call, done) => {
      done(null, { resourcesJson: [`{"kind":"${call.request.kind}"}`], sequence: call.request.allNamespaces ? 43 : 0 });
    },
    Rollback: (call, done) => {
      seen.rollbacks.push(call.request);
      done(null, { sequence: 44, targetSequence: call.request.toSequence ?? 0, changes: [{ ref: reviews, action: 'configured', resourceVersion: 44 }], warnings: [] });
    },
    RepairChain: (call, done) => {
      const fork = { sequence: 7, actor: 'bob', predecessorSequence: 5, orphanSequence: 6, orphanActor: 'alice', orphanHash: 'a'.repeat(64), repairedBy: 46 };
      done(null, { sequence: call.request.dryRun ? 0 : 46, forks: [fork] });
    },
    Analyze: (call, done) => {
      done(null, { sequence: 45, diagnostics: [{ code: 'IST0101', name: 'ReferencedResourceNotFound', level: 'Warning', ref: reviews, path: 'spec.hosts[0]', message: call.request.yaml }] });
    },
  });
  t.after(() => server.stop());
  const client = createConfigClient(server.address, { actor: 'alice@laptop' });
  t.after(() => client.close());

  const applied = await client.apply({ yaml: 'kind: VirtualService', reason: 'canary' });
  assert.deepEqual(applied, {
    sequence: 42,
    changes: [{ ref: reviews, action: 'created', resourceVersion: 42 }],
    warnings: ['w1'],
    diagnostics: [],
  });
  // Unset request fields reach the handler with their proto3 defaults.
  assert.deepEqual(seen.applies, [{ yaml: 'kind: VirtualService', defaultNamespace: '', reason: 'canary', dryRun: false, strict: false, expectVersion: '', requestId: '' }]);
  assert.deepEqual(seen.actors, ['alice@laptop']);

  const deleted = await client.delete({ refs: [reviews] });
  assert.deepEqual(deleted, { sequence: 43, changes: [{ ref: reviews, action: 'deleted', resourceVersion: 43 }] });

  const got = await client.get({ ref: reviews });
  assert.equal(JSON.parse(got.resourceJson).metadata.resourceVersion, '42');

  const listed = await client.list({ kind: 'VirtualService', allNamespaces: true });
  assert.deepEqual(listed, { resourcesJson: ['{"kind":"VirtualService"}'], sequence: 43 });

  const rolledBack = await client.rollback({ toSequence: 0, reason: 'undo' });
  assert.deepEqual(rolledBack, { sequence: 44, targetSequence: 0, changes: [{ ref: reviews, action: 'configured', resourceVersion: 44 }], warnings: [] });
  // A oneof says which target was sent, so sequence 0 (before the first change) is not "unset".
  assert.deepEqual(seen.rollbacks, [{ target: 'toSequence', toSequence: 0, only: [], reason: 'undo', dryRun: false }]);

  const repaired = await client.repairChain({ reason: 'fork after failover' });
  assert.deepEqual(repaired, {
    sequence: 46,
    forks: [{ sequence: 7, actor: 'bob', predecessorSequence: 5, orphanSequence: 6, orphanActor: 'alice', orphanHash: 'a'.repeat(64), repairedBy: 46 }],
  });

  const analyzed = await client.analyze({ yaml: 'x' });
  assert.deepEqual(analyzed, {
    sequence: 45,
    diagnostics: [{ code: 'IST0101', name: 'ReferencedResourceNotFound', level: 'Warning', ref: reviews, path: 'spec.hosts[0]', message: 'x' }],
  });

  await assert.rejects(client.get({ ref: { ...reviews, name: 'ratings' } }), (err) => {
    assert.ok(isServiceError(err));
    assert.equal(err.code, grpc.status.NOT_FOUND);
    return true;
  });
});

test('rpc.errors: INVALID_ARGUMENT carries one validation error per line', async (t) => {
  const lines = [
    'VirtualService/default/reviews: spec.http[0].route[1].weight: must be >= 0',
    'DestinationRule/default/reviews: spec.subsets[0].name: must not be empty',
  ];
  const server = await startServer({
    Apply: (_call, done) => done(invalidArgument(lines)),
    Delete: (_call, done) => done(invalidArgument([])),
    Get: (_call, done) => done(invalidArgument([])),
    List: (_call, done) => done(invalidArgument([])),
    Rollback: (_call, done) => done(invalidArgument([])),
    RepairChain: (_call, done) => done(invalidArgument([])),
    Analyze: (_call, done) => done(invalidArgument([])),
  });
  t.after(() => server.stop());
  const client = createConfigClient(server.address);
  t.after(() => client.close());

  await assert.rejects(client.apply({ yaml: 'x' }), (err) => {
    assert.ok(isServiceError(err));
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.deepEqual(errorLinesOf(err), lines);
    return true;
  });
});

test('rpc.actor: the default actor is user@host', async (t) => {
  let actor: string | undefined;
  const server = await startServer({
    Apply: (call, done) => {
      actor = metadataActor(call);
      done(null, { sequence: 0, changes: [], warnings: [], diagnostics: [] });
    },
    Delete: (_call, done) => done(null, { sequence: 0, changes: [] }),
    Get: (_call, done) => done(null, { resourceJson: '{}' }),
    List: (_call, done) => done(null, { resourcesJson: [], sequence: 0 }),
    Rollback: (_call, done) => done(null, { sequence: 0, targetSequence: 0, changes: [], warnings: [] }),
    RepairChain: (_call, done) => done(null, { sequence: 0, forks: [] }),
    Analyze: (_call, done) => done(null, { diagnostics: [], sequence: 0 }),
  });
  t.after(() => server.stop());
  const client = createConfigClient(server.address);
  t.after(() => client.close());
  await client.apply({ yaml: '' });
  assert.match(actor ?? '', /^[^@\s]+@[^@\s]+$/);
});

test('rpc.unavailable: a client of a server that is not there rejects with UNAVAILABLE', async (t) => {
  const server = await startServer({} as ConfigServiceHandlers);
  const { address } = server;
  await server.stop();
  const client = createConfigClient(address, { deadlineMs: 2000 });
  t.after(() => client.close());
  await assert.rejects(client.list({ kind: 'VirtualService' }), (err) => {
    assert.ok(isServiceError(err));
    assert.equal(err.code, grpc.status.UNAVAILABLE);
    return true;
  });
});
