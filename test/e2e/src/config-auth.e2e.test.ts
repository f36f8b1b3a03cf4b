import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Bus, Streams, connectBus, streamLastSequence } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { type MeshProcesses, startMeshProcesses } from '@jetmesh/testing';

const vs = (namespace: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-route, namespace: ${namespace}}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews}}]}]
`;

describe('config auth (galley with JETMESH_GALLEY_AUTH=required, citadel and the CLI as processes)', () => {
  let mesh: MeshProcesses;
  let bus: Bus;
  const cli = (args: string[], env: Record<string, string> = {}, input?: string) => mesh.cli(args, input, env);

  before(async () => {
    mesh = await startMeshProcesses({ services: ['galley', 'citadel'], galleyAuth: 'required' });
    bus = await connectBus(mesh.nats.url, createLogger('e2e', 'silent'));
  });
  after(async () => {
    await bus?.close();
    await mesh?.stop();
  });

  it('token create --actor mints a scoped token: it applies in its namespace, is refused elsewhere, and no token is refused', async () => {
    const both = await cli(['token', 'create', '--actor', 'ci@e2e', '--namespace', 'default', '--service-account', 'web']);
    assert.equal(both.code, 2, both.stderr);

    const minted = await cli(['token', 'create', '--actor', 'ci@e2e', '--namespaces', 'team-a', '--verbs', 'apply,read', '--ttl', '8h']);
    assert.equal(minted.code, 0, minted.stderr);
    assert.match(minted.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'the token alone on stdout');
    const token = minted.stdout.trim();

    const applied = await cli(['apply', '-f', '-'], { JETMESH_TOKEN: token }, vs('team-a'));
    assert.equal(applied.code, 0, applied.stderr);
    const seq = await streamLastSequence(bus, Streams.config);

    const elsewhere = await cli(['apply', '-f', '-'], { JETMESH_TOKEN: token }, vs('team-b'));
    assert.equal(elsewhere.code, 1, elsewhere.stderr);
    assert.match(elsewhere.stderr, /ci@e2e may not apply in namespace team-b/);

    const anonymous = await cli(['apply', '-f', '-'], {}, vs('team-a'));
    assert.equal(anonymous.code, 1, anonymous.stderr);
    assert.match(anonymous.stderr, /config token is required/);
    assert.equal(await streamLastSequence(bus, Streams.config), seq, 'nothing recorded for the refused applies');

  });
});
