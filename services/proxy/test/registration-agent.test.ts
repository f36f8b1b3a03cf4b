import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectBus, followStream, Streams, Subjects, type Bus, type StreamFollower } from '@jetmesh/bus';
import { buildCertificateRequest } from '@jetmesh/citadel';
import { createLogger, type Logger } from '@jetmesh/log';
import { RegistryEventCodec, type RegistryEvent, type WorkloadEntrySpec } from '@jetmesh/model';
import { caChannelCredentials, createCaClient } from '@jetmesh/rpc';
import { eventually, startMeshProcesses, type MeshProcesses } from '@jetmesh/testing';
import { startRegistration, type Registration, type RegistrationIdentity } from '../src/registration/registration-agent.js';

const GRACE_MS = 1_500;
const HEARTBEAT_MS = 300;
const REVIEWS = 'spiffe://cluster.local/ns/default/sa/reviews';

/** A logger whose JSON lines the test can read. */
function recordingLogger(): { log: Logger; lines: () => Array<{ level: string; msg: string; code?: string; reason?: string }> } {
  const lines: string[] = [];
  const log = createLogger('registration-test', 'debug', { write: (line: string) => void lines.push(line) });
  return { log, lines: () => lines.map((l) => JSON.parse(l) as { level: string; msg: string }) };
}

const workload = (labels: Record<string, string> = { app: 'reviews' }, serviceAccount = 'reviews'): WorkloadEntrySpec => ({
  address: '10.1.2.3',
  labels: { ...labels, 'security.istio.io/tlsMode': 'istio', 'networking.jetmesh.io/inbound-port': '15006' },
  ports: { http: 9080 },
  serviceAccount,
});

describe('registration agent against real galley and citadel processes, as NATS user "proxy"', () => {
  let mesh: MeshProcesses;
  let proxyBus: Bus;
  let adminBus: Bus;
  let follower: StreamFollower;
  const events: Array<{ seq: number; event: RegistryEvent }> = [];
  const agents: Registration[] = [];
  const identities = new Map<string, RegistrationIdentity>();

  const identity = async (serviceAccount: string): Promise<RegistrationIdentity> => {
    const held = identities.get(serviceAccount);
    if (held !== undefined) return held;
    const token = await mesh.cli(['token', 'create', '--namespace', 'default', '--service-account', serviceAccount]);
    assert.equal(token.code, 0, token.stderr);
    const root = await mesh.cli(['ca', 'root']);
    assert.equal(root.code, 0, root.stderr);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const csr = buildCertificateRequest({ privateKey, uris: [`spiffe://cluster.local/ns/default/sa/${serviceAccount}`] });
    const ca = createCaClient(mesh.env.JETMESH_CITADEL_ADDRESS!, { credentials: caChannelCredentials({ rootsPem: root.stdout }), token: token.stdout.trim(), serverName: 'localhost' });
    try {
      const issued = await ca.createCertificate({ csr, validityDuration: 3600 });
      const id = { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), chainPem: issued.certChain.join('') };
      identities.set(serviceAccount, id);
      return id;
    } finally {
      ca.close();
    }
  };
  const start = (o: { name: string; serviceAccount?: string; log?: Logger; spec?: WorkloadEntrySpec; id?: RegistrationIdentity }): Registration => {
    const id = o.id ?? identities.get(o.serviceAccount ?? 'reviews');
    const agent = startRegistration(proxyBus, {
      namespace: 'default',
      name: o.name,
      workload: o.spec ?? workload(),
      identity: () => id,
      heartbeatMs: HEARTBEAT_MS,
      retry: { initialMs: 100, maxMs: 400 },
      log: o.log ?? createLogger('registration-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent'),
    });
    agents.push(agent);
    return agent;
  };
  const of = (name: string): Array<[string, string]> => events.filter((e) => e.event.name === name).map((e) => [e.event.type, e.event.actor]);

  before(async () => {
    mesh = await startMeshProcesses({ services: ['galley', 'citadel'], natsUsers: true, serviceEnv: { JETMESH_REGISTRY_GRACE_MS: String(GRACE_MS) } });
    const nats = mesh.meshNats ?? assert.fail('no NATS users');
    const silent = createLogger('registration-test', 'silent');
    proxyBus = await connectBus(nats.url, silent, { name: 'proxy-test', ...nats.credentials('proxy') });
    adminBus = await connectBus(nats.url, silent, { name: 'admin-test', ...nats.credentials('admin') });
    follower = await followStream(adminBus, { stream: Streams.registry, codec: RegistryEventCodec, fromSequence: 1, onEvent: (event, meta) => void events.push({ seq: meta.seq, event }) });
    await identity('reviews');
    await identity('ratings');
  });
  after(async () => {
    for (const a of agents) a.stop();
    await follower?.stop();
    await proxyBus?.close();
    await adminBus?.close();
    await mesh?.stop();
  });

  test('registers, stays registered by its heartbeats past the grace period, updates its labels, and deregisters on a graceful stop', async () => {
    const agent = start({ name: 'reviews-1' });
    const seq = await agent.registered;
    assert.equal(agent.state(), 'registered');
    await eventually(async () => (of('reviews-1').length === 1 ? true : undefined), 'the registration in MESH_REGISTRY');
    assert.deepEqual(of('reviews-1'), [['WorkloadRegistered', REVIEWS]]);
    assert.equal(events.find((e) => e.event.name === 'reviews-1')?.seq, seq);

    await sleep(GRACE_MS * 2);
    assert.deepEqual(of('reviews-1'), [['WorkloadRegistered', REVIEWS]], 'heartbeats kept it');

    await agent.update(workload({ app: 'reviews', version: 'v2' }));
    await eventually(async () => (of('reviews-1').length === 2 ? true : undefined), 'the update');
    const updated = events.filter((e) => e.event.name === 'reviews-1').at(-1)?.event;
    assert.equal(updated?.type, 'WorkloadUpdated');
    assert.equal(updated?.type === 'WorkloadUpdated' && updated.workload.labels?.version, 'v2');

    const started = Date.now();
    assert.equal(await agent.deregister(), true);
    assert.ok(Date.now() - started < 2_000);
    await eventually(async () => (of('reviews-1').length === 3 ? true : undefined), 'the removal');
    assert.deepEqual(of('reviews-1').at(-1), ['WorkloadRemoved', REVIEWS]);
    assert.equal(agent.state(), 'stopped');
  });

  test('a proxy stopped without deregistering is removed by galley after the grace period', async () => {
    const agent = start({ name: 'reviews-crashed' });
    await agent.registered;
    agent.stop();
    await eventually(async () => (of('reviews-crashed').length === 2 ? true : undefined), 'the sweep', 3 * GRACE_MS + 3_000);
    assert.deepEqual(of('reviews-crashed').map(([type]) => type), ['WorkloadRegistered', 'WorkloadRemoved']);
  });

  test('the proxy user itself cannot write MESH_REGISTRY', async () => {
    await assert.rejects(proxyBus.js.publish(Subjects.registry('default', 'reviews-1'), '{}'), { code: 'PERMISSION_DENIED' });
  });

  test('registers again when galley no longer holds the workload (an operator removed it)', async () => {
    const agent = start({ name: 'reviews-2' });
    const first = await agent.registered;
    const removal = { id: 'op-remove', type: 'WorkloadRemoved', at: new Date().toISOString(), actor: 'ops@example.com', namespace: 'default', name: 'reviews-2' };
    await adminBus.js.publish(Subjects.registry('default', 'reviews-2'), JSON.stringify(removal), { expect: { lastSubjectSequence: first } });
    await eventually(async () => (of('reviews-2').length === 3 ? true : undefined), 'the re-registration');
    assert.deepEqual(of('reviews-2'), [['WorkloadRegistered', REVIEWS], ['WorkloadRemoved', 'ops@example.com'], ['WorkloadRegistered', REVIEWS]]);
    await eventually(async () => (agent.state() === 'registered' && agent.sequence() > first ? true : undefined), 'the agent registered again');
    await agent.deregister();
  });

  test('a refusal (a name another identity holds) is logged with galley\'s reason and retried, never thrown', async () => {
    const owner = start({ name: 'contested' });
    await owner.registered;
    const recorded = recordingLogger();
    const intruder = start({ name: 'contested', spec: workload({ app: 'ratings' }, 'ratings'), id: identities.get('ratings'), log: recorded.log });
    await eventually(async () => (recorded.lines().filter((l) => l.level === 'error').length >= 2 ? true : undefined), 'two refusals logged');
    const refusal = recorded.lines().find((l) => l.level === 'error');
    assert.equal(refusal?.code, 'ALREADY_EXISTS');
    assert.match(refusal?.msg ?? '', /^galley refused to register default\/contested: ALREADY_EXISTS: name: workload default\/contested is registered by spiffe:\/\/cluster\.local\/ns\/default\/sa\/reviews; spiffe:\/\/cluster\.local\/ns\/default\/sa\/ratings may not register it$/);
    assert.equal(intruder.state(), 'registering');
    assert.equal(intruder.lastRefusal()?.code, 'ALREADY_EXISTS');
    // Once the owner leaves, the retrying one gets the name.
    await owner.deregister();
    await intruder.registered;
    assert.deepEqual(of('contested').at(-1), ['WorkloadRegistered', 'spiffe://cluster.local/ns/default/sa/ratings']);
    await intruder.deregister();
  });

  test('keeps trying while galley is down and registers when it comes back; registers again after a NATS reconnect', async () => {
    await mesh.stopService('galley');
    const recorded = recordingLogger();
    const agent = start({ name: 'reviews-3', log: recorded.log });
    await sleep(800);
    assert.equal(agent.state(), 'registering');
    assert.ok(recorded.lines().some((l) => l.msg === 'workload registration not answered; retrying'));
    await mesh.startService('galley');
    const seq = await agent.registered;
    assert.ok(seq > 0);

    await mesh.nats.restart();
    await eventually(async () => (recorded.lines().some((l) => l.msg === 'workload registration renewed') ? true : undefined), 'the registration renewed after the reconnect', 15_000);
    assert.equal(agent.state(), 'registered');
    assert.equal(await agent.deregister(), true);
  });
});
