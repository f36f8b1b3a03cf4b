import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { clusterNodeLaunches, natsServerArgs } from '../src/index.js';

const launch = (size: number) => ({ binary: '/usr/sbin/nats-server', size, clusterName: 'c', dir: '/tmp/c' });

test('cluster.plan: every node routes to every other node and never to itself, each on its own ports and store', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), (size) => {
      const ports = Array.from({ length: size * 3 }, (_, i) => 20_000 + i);
      const nodes = clusterNodeLaunches(launch(size), ports);
      assert.equal(nodes.length, size);
      const routeOf = nodes.map((n) => `nats://127.0.0.1:${n.cluster?.port}`);
      for (const [i, node] of nodes.entries()) {
        assert.deepEqual([...(node.cluster?.routes ?? [])].sort(), routeOf.filter((_, j) => j !== i).sort());
      }
      const used = nodes.flatMap((n) => [n.port, n.monitorPort, n.cluster?.port]);
      assert.equal(new Set(used).size, size * 3);
      assert.equal(new Set(nodes.map((n) => n.storeDir)).size, size);
      assert.equal(new Set(nodes.map((n) => n.serverName)).size, size);
    }),
  );
});

test('cluster.args: loopback, JetStream, the node name, route listener and routes on the command line', () => {
  const [node] = clusterNodeLaunches(launch(3), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(node !== undefined);
  const args = natsServerArgs(node, '/tmp/c/n0/nats-server.conf');
  assert.deepEqual(args, [
    '-c', '/tmp/c/n0/nats-server.conf', '-js', '-a', '127.0.0.1', '-p', '1', '-sd', '/tmp/c/n0/store', '-m', '3', '-n', 'n0',
    '--cluster_name', 'c', '--cluster', 'nats://127.0.0.1:2', '--routes', 'nats://127.0.0.1:5,nats://127.0.0.1:8',
  ]);
});
