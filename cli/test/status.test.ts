import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ServiceStatus } from '@jetmesh/bus';
import { renderStatus, statusView, type NatsView, type StreamPeer, type StreamView } from '../src/commands/status.js';

const healthyNats: NatsView = {
  server: 'n0',
  version: '2.9.10',
  cluster: 'c',
  knownServers: 3,
  jetstream: { ok: true, streams: 5, consumers: 4, storageBytes: 2048, memoryBytes: 0, apiRequests: 10, apiErrors: 0 },
};

const stream = (name: string, lastSeq: number, peers: readonly StreamPeer[] = [
  { name: 'n1', current: true, offline: false },
  { name: 'n2', current: true, offline: false },
]): StreamView => ({ name, found: true, wantedReplicas: 3, messages: lastSeq, lastSeq, leader: 'n0', clustered: true, peers });

const replica = (service: string, name: string, positions: Record<string, number>, ready = true): ServiceStatus => ({
  service,
  replica: name,
  version: '0.1.0',
  host: 'h',
  pid: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  ready,
  positions,
  ...(ready ? {} : { reason: 'replaying MESH_CONFIG' }),
});

test('status.lag: a replica lags by what the stream holds past its position, never below 0', () => {
  fc.assert(
    fc.property(fc.nat(10_000), fc.nat(10_000), (lastSeq, position) => {
      const view = statusView([replica('pilot', 'p1', { MESH_CONFIG: position })], healthyNats, [stream('MESH_CONFIG', lastSeq)]);
      assert.equal(view.replicas[0]?.lag.MESH_CONFIG, Math.max(0, lastSeq - position));
    }),
  );
});

test('status.healthy: every replica ready and every copy current is no problem, whatever the order replicas answer in', () => {
  const services = ['galley', 'pilot', 'citadel', 'telemetry', 'console'];
  fc.assert(
    fc.property(fc.shuffledSubarray(services.flatMap((s) => [`${s}/1`, `${s}/2`]), { minLength: 1 }), (picked) => {
      const statuses = picked.map((p) => {
        const [service = '', n = ''] = p.split('/');
        return replica(service, `${service}-${n}`, service === 'pilot' || service === 'galley' ? { MESH_CONFIG: 7 } : {});
      });
      const view = statusView(statuses, healthyNats, [stream('MESH_CONFIG', 7), stream('MESH_AUDIT', 2)]);
      assert.deepEqual(view.problems, []);
      // Grouped by service in the mesh's order, each replica once.
      const order = view.replicas.map((r) => services.indexOf(r.service));
      assert.deepEqual(order, [...order].sort((a, b) => a - b));
      assert.equal(view.replicas.length, picked.length);
      const lines = renderStatus(view);
      for (const s of statuses) assert.ok(lines.some((l) => l.startsWith(s.service) && l.includes(s.replica)), `${s.replica} has a row`);
    }),
  );
});

test('status.problems: a replica not ready, a copy offline or behind, a stream without leader, a missing stream and a shrunken cluster are each named', () => {
  const view = statusView(
    [replica('galley', 'g1', { MESH_CONFIG: 3 }), replica('pilot', 'p1', { MESH_CONFIG: 1 }, false)],
    { ...healthyNats, knownServers: 2 },
    [
      stream('MESH_CONFIG', 3, [{ name: 'n1', current: true, offline: false }, { name: 'n2', current: false, offline: false, lag: 2, lastSeenMs: 12_000 }]),
      stream('MESH_REGISTRY', 0, [{ name: 'n1', current: true, offline: false }, { name: 'n2', current: false, offline: true }]),
      { ...(stream('MESH_AUDIT', 1) as Extract<StreamView, { found: true }>), leader: undefined },
      { name: 'KV_mesh_trust', found: false, error: 'stream not found' },
    ],
  );
  assert.deepEqual(view.problems, [
    'pilot p1 is not ready: replaying MESH_CONFIG',
    'NATS cluster c lists 2 servers, fewer than the 3 replicas its streams keep',
    'stream MESH_CONFIG: replica on n2 is not current (2 behind)',
    'stream MESH_REGISTRY has 2 of 3 replicas online',
    'stream MESH_REGISTRY: replica on n2 is offline',
    'stream MESH_AUDIT has no leader',
    'stream MESH_AUDIT has 2 of 3 replicas online',
    'stream KV_mesh_trust: stream not found',
  ]);
  const lines = renderStatus(view).join('\n');
  assert.match(lines, /^pilot\s+p1\s+0\.1\.0\s+no: replaying MESH_CONFIG\s+1\s+h\s+-\s+MESH_CONFIG 1 \(lag 2\)$/m);
  assert.match(lines, /^MESH_CONFIG\s+3\s+n0\s+2\/3\s+3\s+3\s+n1 current, n2 behind 2, seen 12s ago$/m);
  assert.match(lines, /^control plane: galley 1\/1 ready, pilot 0\/1 ready$/m);
});

test('status.none: no replica answering is a problem that says what to check', () => {
  const view = statusView([], { ...healthyNats, cluster: undefined, knownServers: 1 }, []);
  assert.deepEqual(view.problems, ['no service answered on mesh.status: is the control plane running?']);
  assert.match(renderStatus(view).join('\n'), /^NATS: connected to n0 \(nats-server 2\.9\.10\), single server$/m);
});
