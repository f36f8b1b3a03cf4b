import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bus, type BucketEntry, Buckets, bucketStream, BusPermissionError, connectBus, followTrustKey, openSnapshotStore, snapshotKeyForHost, snapshotKeyForWorkload, Subjects, TrustKeys } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { signRegistration, TrustBundleCodec, trustBundlePem, WorkloadRegistrationCodec, type TrustBundle } from '@jetmesh/model';
import { caChannelCredentials, createCaAdminClient, createCaClient } from '@jetmesh/rpc';
import { type ChildHandle, type EchoApp, type MeshProcesses, type NatsServerHandle, cliEntry, eventually, runProcess, freePort, launchProcess, repoRoot, startEchoApp, startMeshProcesses, startNatsServer, waitForHttp } from '@jetmesh/testing';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';
const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-route, namespace: default}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews}}]}]
`;

describe('NATS users and permissions (deploy/nats/ users as JWTs of one mesh account; galley, pilot, citadel and the CLI each as its own user)', () => {
  let mesh: MeshProcesses;
  let proxy: Bus;
  let dir: string;
  const cli = (args: string[], env: Record<string, string> = {}, input?: string) => mesh.cli(args, input, env);

  before(async () => {
    mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'], galleyAuth: 'required', natsUsers: true });
    const nats = mesh.meshNats ?? assert.fail('the mesh runs without NATS users');
    proxy = await connectBus(nats.url, createLogger('proxy', 'silent'), { name: 'e2e-proxy', ...nats.credentials('proxy') });
    dir = mkdtempSync(join(tmpdir(), 'nats-permissions-e2e-'));
  });
  after(async () => {
    await proxy?.close();
    await mesh?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('apply → the snapshot in KV, read by a proxy → a certificate issued that chains to the root the proxy follows', async () => {
    // Galley as its user: refuses the unauthenticated apply (audit), verifies citadel's token (JWKS in mesh_trust), writes mesh.config.
    const denied = await cli(['apply', '-f', '-'], {}, vs);
    assert.equal(denied.code, 1, denied.stderr);
    const minted = await cli(['token', 'create', '--actor', 'ops', '--namespaces', 'default', '--verbs', 'apply,read']);
    assert.equal(minted.code, 0, minted.stderr);
    const applied = await cli(['apply', '-f', '-'], { JETMESH_TOKEN: minted.stdout.trim() }, vs);
    assert.equal(applied.code, 0, applied.stderr);

    // Pilot as its user: derived the snapshot into KV; the proxy user reads it.
    const snapshots = await openSnapshotStore(proxy);
    const snapshot = await eventually(() => snapshots.get(snapshotKeyForHost('reviews.default.svc.cluster.local')), 'the reviews snapshot in KV');
    assert.ok(snapshot.revision > 0);
    const status = await cli(['proxy-status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /1 pilot replica answered/);
    const history = await cli(['history']);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /ops\s+apply\s+created VirtualService default\/reviews-route/);

    // Citadel as its user: issues a certificate; the proxy follows the trust bundle it chains to.
    const bundles: (BucketEntry<TrustBundle> | undefined)[] = [];
    const follow = await followTrustKey(proxy, TrustKeys.roots, TrustBundleCodec, (entry) => bundles.push(entry));
    try {
      const token = await cli(['token', 'create', '--namespace', 'default', '--service-account', 'web']);
      assert.equal(token.code, 0, token.stderr);
      const root = await cli(['ca', 'root']);
      assert.equal(root.code, 0, root.stderr);
      execFileSync(
        'openssl',
        ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-subj', '/', '-addext', `subjectAltName=URI:${WEB}`, '-out', 'csr.pem'],
        { cwd: dir, stdio: 'pipe' },
      );
      const client = createCaClient(mesh.env.JETMESH_CITADEL_ADDRESS!, { credentials: caChannelCredentials({ rootsPem: root.stdout }), token: token.stdout.trim(), serverName: 'localhost' });
      try {
        const issued = await client.createCertificate({ csr: readFileSync(join(dir, 'csr.pem'), 'utf8'), validityDuration: 3600 });
        const leaf = new X509Certificate(issued.certChain[0]!);
        assert.ok(leaf.subjectAltName?.includes(WEB));
        const chainRoot = new X509Certificate(issued.certChain.at(-1)!);
        await eventually(async () => (bundles.length > 0 ? true : undefined), 'the trust bundle at the proxy');
        const followed = bundles.at(-1)?.value.roots.map((r) => new X509Certificate(r.pem).fingerprint256) ?? [];
        assert.ok(followed.includes(chainRoot.fingerprint256), 'the issuing root is in the bundle the proxy follows');
        assert.ok(leaf.verify(new X509Certificate(issued.certChain[1] ?? issued.certChain.at(-1)!).publicKey));
      } finally {
        client.close();
      }
    } finally {
      follow.stop();
    }

    for (const service of ['galley', 'pilot', 'citadel'] as const) {
      assert.doesNotMatch(mesh.output(service), /permission denied/i, `${service} was refused something it needs`);
    }
  });

  it('a proxy registers its own WorkloadEntry through galley, which alone may write MESH_REGISTRY', async () => {
    const token = await cli(['token', 'create', '--namespace', 'default', '--service-account', 'reviews']);
    assert.equal(token.code, 0, token.stderr);
    const root = await cli(['ca', 'root']);
    execFileSync(
      'openssl',
      ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'reviews-key.pem', '-subj', '/', '-addext', 'subjectAltName=URI:spiffe://cluster.local/ns/default/sa/reviews', '-out', 'reviews-csr.pem'],
      { cwd: dir, stdio: 'pipe' },
    );
    const client = createCaClient(mesh.env.JETMESH_CITADEL_ADDRESS!, { credentials: caChannelCredentials({ rootsPem: root.stdout }), token: token.stdout.trim(), serverName: 'localhost' });
    let chainPem: string;
    try {
      chainPem = (await client.createCertificate({ csr: readFileSync(join(dir, 'reviews-csr.pem'), 'utf8'), validityDuration: 3600 })).certChain.join('');
    } finally {
      client.close();
    }
    const request = signRegistration(
      { op: 'register', namespace: 'default', name: 'reviews-e2e', workload: { address: '10.9.9.9', labels: { app: 'reviews' }, serviceAccount: 'reviews' }, at: new Date().toISOString(), nonce: randomUUID(), certChain: chainPem },
      readFileSync(join(dir, 'reviews-key.pem'), 'utf8'),
    );
    const answer = await proxy.nc.request(Subjects.registryRequests, JSON.stringify(WorkloadRegistrationCodec.encode(request)), { timeout: 5_000 });
    const reply = answer.json<{ ok: boolean; sequence?: number }>();
    assert.equal(reply.ok, true, answer.string());
    // The proxy's own write to the same subject is refused.
    const err = await proxy.js.publish(Subjects.registry('default', 'reviews-e2e'), '{}').then(
      () => assert.fail('a proxy wrote MESH_REGISTRY'),
      (e: unknown) => e as Error,
    );
    assert.equal(err.message, 'NATS user "proxy" may not publish to "mesh.registry.default.reviews-e2e" (see deploy/nats/README.md)');
    assert.doesNotMatch(mesh.output('galley'), /permission denied/i);
  });

  it('the CLI says what is wrong with its NATS credentials', async () => {
    const missing = join(dir, 'no-such.creds');
    const unreadable = await cli(['history'], { JETMESH_NATS_CREDS: missing });
    assert.equal(unreadable.code, 3);
    assert.match(unreadable.stderr, new RegExp(`^error: cannot reach NATS at nats://127\\.0\\.0\\.1:\\d+: cannot read the NATS credentials in ${missing.replaceAll('.', '\\.')}: ENOENT`));
    const none = await cli(['history'], { JETMESH_NATS_CREDS: '' });
    assert.equal(none.code, 3);
    assert.match(none.stderr, /^error: cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+: .*Authorization Violation/i);
    // admin.creds of another mesh account: a JWT this server's operator never signed.
    const other = join(dir, 'other-account');
    execFileSync(process.execPath, [join(repoRoot, 'deploy', 'nats', 'make-accounts.mjs'), other], { stdio: 'pipe' });
    const stranger = await cli(['history'], { JETMESH_NATS_CREDS: join(other, 'admin.creds') });
    assert.equal(stranger.code, 3);
    assert.match(stranger.stderr, /^error: cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+ as user "admin": .*Authorization Violation/i);
  });

  it('the proxy user publishes its access log; the CLI, as admin, shows it (jetmesh logs)', async () => {
    const batch = {
      workload: { namespace: 'default', name: 'web-1' },
      dropped: 0,
      records: [{
        start_time: '2026-12-02T10:00:00.123Z', method: 'GET', path: '/perm-check', protocol: 'http', response_code: 200, response_flags: '-', bytes_received: 0, bytes_sent: 2,
        duration: 1.25, upstream_host: '-', upstream_cluster: '-', route_name: '-', authority: 'web', reporter: 'destination', source_workload: '-', source_namespace: '-',
        destination_workload: 'web-1', destination_namespace: 'default', destination_service: 'web.default.svc.cluster.local', mtls: false,
      }],
    };
    // Published until the CLI, which subscribes at its start, has printed it.
    let stop = false;
    const publishing = (async () => {
      while (!stop) {
        proxy.nc.publish(Subjects.accessLog('default', 'web-1'), JSON.stringify(batch));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const logs = await cli(['logs', '--for', '1500ms', '--workload', 'web-1']);
    stop = true;
    await publishing;
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^2026-12-02T10:00:00\.123Z - → default\/web-1 GET \/perm-check 200 - 1\.3ms reporter=destination$/m);
    assert.doesNotMatch(logs.stderr, /permission/i);
  });

  it('the proxy user is refused the config log, naming itself and the subject', async () => {
    const err = await proxy.js.publish('mesh.config', '{}').then(
      () => assert.fail('a proxy wrote to the config log'),
      (e: unknown) => e as Error,
    );
    assert.equal(err.message, 'NATS user "proxy" may not publish to "mesh.config" (see deploy/nats/README.md)');
  });
});

describe('NATS JWT users (operator mode, deploy/nats/make-accounts.mjs): every sidecar its own user from citadel', () => {
  const children: ChildHandle[] = [];
  let jwtDir: string;
  let server: NatsServerHandle;
  let app: EchoApp;
  let admin: Bus;
  const stateDirs: Record<string, string> = {};
  const log = createLogger('jwt-e2e', 'silent');

  const launchService = async (service: 'galley' | 'pilot' | 'citadel', env: Record<string, string>): Promise<void> => {
    const adminPort = await freePort();
    const child = launchProcess(process.execPath, [`services/${service}/dist/src/main.js`], {
      name: service,
      cwd: repoRoot,
      env: { JETMESH_LOG_LEVEL: 'warn', JETMESH_NATS_URL: server.url, JETMESH_NATS_CREDS: join(jwtDir, `${service}.creds`), JETMESH_ADMIN_PORT: String(adminPort), ...env },
    });
    children.push(child);
    await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`, { timeoutMs: 30_000 }).catch((err: unknown) => assert.fail(`${service} not ready: ${(err as Error).message}\n${child.output().slice(-3000)}`));
  };

  before(async () => {
    jwtDir = mkdtempSync(join(tmpdir(), 'nats-jwt-e2e-'));
    execFileSync(process.execPath, [join(repoRoot, 'deploy', 'nats', 'make-accounts.mjs'), jwtDir]);
    server = await startNatsServer({ configFile: join(jwtDir, 'accounts.conf') });
    const citadelPort = await freePort();
    const citadelAccount = Object.fromEntries(readFileSync(join(jwtDir, 'citadel-account.env'), 'utf8').trim().split('\n').map((line) => line.split('=') as [string, string]));
    await launchService('galley', { JETMESH_GALLEY_PORT: String(await freePort()), JETMESH_GALLEY_AUTH: 'disabled' });
    await launchService('pilot', { JETMESH_PILOT_XDS_PORT: String(await freePort()) });
    await launchService('citadel', { JETMESH_CITADEL_PORT: String(citadelPort), JETMESH_ADMIN_TOKEN_FILE: join(jwtDir, 'admin-token'), ...citadelAccount });
    admin = await connectBus(server.url, log, { credsFile: join(jwtDir, 'admin.creds') });
    const roots = await new Promise<TrustBundle>((resolve, reject) => {
      followTrustKey(admin, TrustKeys.roots, TrustBundleCodec, (entry) => entry !== undefined && resolve(entry.value)).catch(reject);
    });
    const adminClient = createCaAdminClient(`127.0.0.1:${citadelPort}`, { credentials: caChannelCredentials({ rootsPem: trustBundlePem(roots) }), adminToken: readFileSync(join(jwtDir, 'admin-token'), 'utf8').trim(), serverName: 'localhost', actor: 'e2e' });
    app = await startEchoApp('reviews', 'v1');
    for (const [name, serviceAccount] of [['reviews-a', 'reviews'], ['ratings-b', 'ratings']] as const) {
      const { token } = await adminClient.createToken({ namespace: 'default', serviceAccount, ttlSeconds: 3600 });
      stateDirs[name] = join(jwtDir, `state-${name}`);
      const [inbound, outbound, adminPort] = [await freePort(), await freePort(), await freePort()];
      const child = launchProcess(process.execPath, ['services/proxy/dist/src/main.js'], {
        name: `proxy ${name}`,
        cwd: repoRoot,
        env: {
          JETMESH_LOG_LEVEL: 'warn', JETMESH_NATS_URL: server.url, JETMESH_NATS_CREDS: join(jwtDir, 'proxy-bootstrap.creds'),
          JETMESH_CA_ADDRESS: `127.0.0.1:${citadelPort}`, JETMESH_PROXY_SERVICE: serviceAccount, JETMESH_PROXY_NAMESPACE: 'default', JETMESH_PROXY_SERVICE_ACCOUNT: serviceAccount,
          JETMESH_PROXY_NAME: name, JETMESH_PROXY_LABELS: `app=${serviceAccount}`, JETMESH_PROXY_PORT: '9080', JETMESH_PROXY_APP_PORT: String(app.port),
          JETMESH_PROXY_INBOUND_PORT: String(inbound), JETMESH_PROXY_OUTBOUND_PORT: String(outbound), JETMESH_PROXY_ADMIN_PORT: String(adminPort),
          JETMESH_PROXY_TOKEN: token, JETMESH_PROXY_STATE_DIR: stateDirs[name] ?? '',
        },
      });
      children.push(child);
      // Ready: its certificate, and its workload snapshot, which pilot writes once galley registered it (through its own user).
      await waitForHttp(`http://127.0.0.1:${adminPort}/ready`, { timeoutMs: 30_000 }).catch((err: unknown) => assert.fail(`proxy ${name} not ready: ${(err as Error).message}\n${child.output().slice(-3000)}`));
    }
    adminClient.close();
  });
  after(async () => {
    await admin?.close();
    for (const child of children.reverse()) await child.stop();
    await app?.close();
    await server?.dispose();
    if (jwtDir !== undefined) rmSync(jwtDir, { recursive: true, force: true });
  });

  it('jwt.security: proxy A\'s own user reads its snapshot, and is refused B\'s (direct get, message get, subscription), mesh.config and mesh_ca', async () => {
    const errors: string[] = [];
    const recording = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: (_o: object, msg?: string) => void errors.push(msg ?? '') };
    const asA = await connectBus(server.url, recording, { credsFile: join(stateDirs['reviews-a'] ?? '', 'nats-user.creds'), timeoutMs: 2_000 });
    try {
      assert.equal(asA.user, 'proxy default/reviews-a');
      const store = await openSnapshotStore(asA);
      const own = await store.get(snapshotKeyForWorkload('default', 'reviews-a'));
      assert.equal((own?.value as { snapshot?: { workload?: { name?: string } } } | undefined)?.snapshot?.workload?.name, 'reviews-a', 'pilot wrote A\'s snapshot and A reads it');
      const denied = async (what: string, action: () => Promise<unknown>): Promise<void> => {
        const err = await action().then(() => assert.fail(`proxy A was allowed: ${what}`), (e: unknown) => e);
        assert.ok(err instanceof BusPermissionError, `${what}: ${String(err)}`);
      };
      const keyB = snapshotKeyForWorkload('default', 'ratings-b');
      assert.ok((await openSnapshotStore(admin).then((s) => s.get(keyB))) !== undefined, 'B\'s snapshot exists');
      await denied('direct get of B', () => store.get(keyB));
      await denied('message get of B', () => asA.jsm.streams.getMessage(bucketStream(Buckets.snapshots), { last_by_subj: Subjects.snapshotKey(keyB) }));
      await denied('publish config', () => asA.js.publish(Subjects.config, new Uint8Array()));
      await denied('mesh_ca', () => asA.jsm.streams.info(bucketStream(Buckets.ca)));
      asA.nc.subscribe(Subjects.snapshotUpdates(keyB), { callback: () => undefined });
      await eventually(() => errors.some((m) => m.includes(`may not subscribe to "${Subjects.snapshotUpdates(keyB)}"`)) || undefined, 'the subscription to B refused');
    } finally {
      await asA.close();
    }
  });

  it('jwt.cli: the CLI connects with admin.creds (JETMESH_NATS_CREDS) and reads what admin may', async () => {
    const context = join(jwtDir, 'cli-context.json');
    writeFileSync(context, '{}\n');
    const env = { JETMESH_CONTEXT: context, JETMESH_NATS_URL: server.url, JETMESH_NATS_CREDS: join(jwtDir, 'admin.creds') };
    const routes = await runProcess(process.execPath, [cliEntry, 'proxy-status'], { env, cwd: jwtDir });
    assert.equal(routes.code, 0, routes.stderr);
    assert.match(routes.stdout, /reviews-a/, 'the sidecars answer the admin user\'s status request');
    const wrong = await runProcess(process.execPath, [cliEntry, 'proxy-status'], { env: { ...env, JETMESH_NATS_CREDS: join(jwtDir, 'proxy-bootstrap.creds') }, cwd: jwtDir });
    assert.notEqual(wrong.code, 0, 'the bootstrap user may not ask for proxy status');
  });
});
