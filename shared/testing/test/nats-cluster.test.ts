import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startNatsCluster, type NatsClusterHandle } from '../src/index.js';

describe('nats-cluster', () => {
  let cluster: NatsClusterHandle;

  before(async () => {
    cluster = await startNatsCluster({ meshUsers: true });
  });
  after(async () => {
    await cluster?.dispose();
  });

  test('cluster.start: three named nodes, each with its own store, agree on a JetStream meta leader', async () => {
    assert.deepEqual(cluster.nodes.map((n) => n.name), ['n0', 'n1', 'n2']);
    assert.equal(new Set(cluster.nodes.map((n) => n.server.storeDir)).size, 3);
    assert.equal(cluster.urls, cluster.nodes.map((n) => n.url).join(','));
    const leader = await cluster.waitForMetaLeader();
    assert.ok(cluster.nodes.some((n) => n.name === leader), leader);
    assert.deepEqual(await Promise.all(cluster.nodes.map((n) => n.metaLeader())), [leader, leader, leader]);
  });

  test('cluster.users: a component gets every node and its own user\'s creds (a JWT of the mesh account); a sidecar the bootstrap user\'s; citadel the account', () => {
    const env = cluster.envFor('pilot');
    assert.equal(env.JETMESH_NATS_URL, cluster.urls);
    assert.equal(env.JETMESH_NATS_USER, undefined);
    assert.equal(env.JETMESH_NATS_CREDS, cluster.credentials('pilot').credsFile);
    assert.match(readFileSync(cluster.credentials('pilot').credsFile, 'utf8'), /BEGIN NATS USER JWT[\s\S]*BEGIN USER NKEY SEED/);
    assert.equal(statSync(cluster.credentials('pilot').credsFile).mode & 0o777, 0o600);
    assert.match(cluster.envFor('proxy').JETMESH_NATS_CREDS ?? '', /proxy-bootstrap\.creds$/);
    assert.match(cluster.envFor('citadel').JETMESH_CITADEL_NATS_ACCOUNT ?? '', /^A[A-Z2-7]{55}$/);
    assert.equal(cluster.envFor('galley').JETMESH_CITADEL_NATS_SIGNING_KEY, undefined, 'only citadel holds the signing key');
  });

  test('cluster.kill-restart: the others elect a new meta leader; the restarted node rejoins on its store', async () => {
    const leader = await cluster.waitForMetaLeader();
    await cluster.kill(leader);
    assert.equal(cluster.node(leader).running, false);
    const next = await cluster.waitForMetaLeader();
    assert.notEqual(next, leader);
    await cluster.restart(leader);
    assert.equal(cluster.node(leader).running, true);
    assert.ok(existsSync(cluster.node(leader).server.storeDir));
    assert.equal(await cluster.node(leader).metaLeader(), next);
  });

  test('cluster.node: an unknown name is an error listing the nodes', () => {
    assert.throws(() => cluster.node('n9'), /no cluster node named "n9" \(nodes: n0, n1, n2\)/);
  });
});

test('cluster.no-users: asking for credentials of a cluster without users says how to get them', async () => {
  const cluster = await startNatsCluster();
  try {
    assert.throws(() => cluster.envFor('pilot'), /start it with \{ meshUsers: true \}/);
  } finally {
    await cluster.dispose();
  }
});
