import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { BusUnavailableError, connectBus, Streams, Subjects } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { eventually, startNatsServer } from '@jetmesh/testing';
import { runCli } from '../src/program.js';
import { runUp, type ServiceSpec, type UpOptions } from '../src/up/index.js';
import type { UpContext } from '../src/context.js';

type FakeBehaviour =
  /** Ready after a moment; exits 0 on SIGTERM. */
  | 'healthy'
  /** First run: ready, then exits 1; later runs stay healthy (a marker file remembers). */
  | 'crash-once'
  /** Exits 1 at once, every time. */
  | 'crash-always'
  /** Serves /readyz 503 forever. */
  | 'never-ready';

function script(behaviour: FakeBehaviour, marker: string): string {
  return `
import { createServer } from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
const behaviour = ${JSON.stringify(behaviour)};
const firstRun = !existsSync(${JSON.stringify(marker)});
writeFileSync(${JSON.stringify(marker)}, 'ran');
if (behaviour === 'crash-always') { console.error('cannot connect to NATS'); process.exit(1); }
const started = Date.now();
createServer((req, res) => {
  const ready = behaviour !== 'never-ready' && Date.now() - started > 300;
  if (req.url === '/readyz') { res.writeHead(ready ? 200 : 503); res.end(ready ? 'ready' : 'not ready: replaying'); return; }
  res.writeHead(404); res.end();
}).listen(Number(process.env.JETMESH_ADMIN_PORT), '127.0.0.1');
console.log(JSON.stringify({ msg: 'listening', nats: process.env.JETMESH_NATS_URL, port: process.env.FAKE_PORT_ENV && process.env[process.env.FAKE_PORT_ENV], streamReplicas: process.env.JETMESH_STREAM_REPLICAS, natsCreds: process.env.JETMESH_NATS_CREDS, citadelAccount: process.env.JETMESH_CITADEL_NATS_ACCOUNT }));
if (behaviour === 'crash-once' && firstRun) setTimeout(() => { console.error('lost the stream'); process.exit(1); }, 800);
process.on('SIGTERM', () => { console.log('terminated'); process.exit(0); });
`;
}

/** A stand-in service: a node script in a temp dir that serves /readyz on JETMESH_ADMIN_PORT. */
function fakeService(name: string, behaviour: FakeBehaviour, portEnv = `FAKE_${name.toUpperCase()}_PORT`): ServiceSpec {
  const dir = mkdtempSync(join(tmpdir(), `jetmesh-fake-${name}-`));
  const entry = join(dir, 'main.mjs');
  writeFileSync(entry, script(behaviour, join(dir, 'ran-before')));
  return { name, entry, portEnv, defaultPort: 0, serves: `fake ${name}` };
}

class Captured extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The environment without anything pointing at a NATS server, so `up` starts its own. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.JETMESH_NATS_URL;
  return { ...env, ...extra };
}

/** Runs `up` in a fresh directory; the test's end stops it whatever happened. */
function startUp(t: TestContext, services: ServiceSpec[], env = cleanEnv(), extra: Partial<UpOptions> = {}) {
  const cwd = extra.cwd ?? mkdtempSync(join(tmpdir(), 'jetmesh-up-'));
  const stdout = new Captured();
  const stderr = new Captured();
  const abort = new AbortController();
  const exit = runUp({
    cwd,
    env,
    stdout,
    stderr,
    services,
    signal: abort.signal,
    restartPolicy: { initialDelayMs: 100, maxDelayMs: 400, maxExits: 3, windowMs: 10_000 },
    ...extra,
  });
  t.after(async () => {
    abort.abort();
    await exit;
  });
  const contextFile = join(cwd, '.jetmesh', 'context.json');
  const context = () => JSON.parse(readFileSync(contextFile, 'utf8')) as UpContext;
  return { cwd, stdout, stderr, abort, exit, contextFile, context };
}

test('up.happy: nats and every service start, the table is printed, the context written; stop ends them all', async (t) => {
  const up = startUp(t, [fakeService('galley', 'healthy'), fakeService('pilot', 'healthy')]);
  await eventually(() => up.stdout.text.includes('try: npx jetmesh apply') || undefined, 'the status table', 20_000);

  const ctx = up.context();
  assert.match(ctx.natsUrl, /^nats:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(ctx.natsUrl, 'nats://127.0.0.1:4222');
  assert.deepEqual(Object.keys(ctx.services), ['nats', 'galley', 'pilot']);
  assert.equal(ctx.supervisorPid, process.pid);

  // A real JetStream server behind the URL, storing under .jetmesh/nats.
  const jsz = (await (await fetch(`${ctx.services.nats!.adminUrl}/jsz`)).json()) as { config: { store_dir: string } };
  assert.equal(jsz.config.store_dir.startsWith(join(up.cwd, '.jetmesh', 'nats')), true);

  for (const name of ['galley', 'pilot']) {
    const service = ctx.services[name]!;
    assert.equal((await fetch(`${service.adminUrl}/readyz`)).status, 200);
    assert.match(up.stdout.text, new RegExp(`^${name}\\s+127\\.0\\.0\\.1:\\d+ \\(fake ${name}\\)\\s+${service.adminUrl}$`, 'm'));
  }
  assert.match(up.stdout.text, /^service\s+listens on\s+admin$/m);
  assert.match(up.stdout.text, new RegExp(`^nats\\s+${ctx.natsUrl}  \\(store .jetmesh/nats\\)\\s+http://127.0.0.1:\\d+$`, 'm'));
  // Service output comes through, prefixed, and the services were told where NATS is.
  assert.match(up.stdout.text, new RegExp(`^galley +\\| \\{"msg":"listening","nats":"${ctx.natsUrl}"`, 'm'));

  up.abort.abort();
  assert.equal(await up.exit, 0);
  for (const { pid } of Object.values(ctx.services)) assert.equal(isAlive(pid), false, `pid ${pid} still running`);
  assert.match(up.stdout.text, /^pilot {2}\| terminated$/m);
  assert.equal(existsSync(up.contextFile), false);
  assert.equal(existsSync(join(up.cwd, '.jetmesh', 'nats')), true, 'the NATS store is kept');
});

test('up.replicas: --replicas 2 --nats-cluster 3 runs three NATS nodes and two processes per service, each on its own ports; stop ends them all', async (t) => {
  const up = startUp(t, [fakeService('galley', 'healthy'), fakeService('pilot', 'healthy')], cleanEnv(), { replicas: 2, natsCluster: 3 });
  await eventually(() => up.stdout.text.includes('try: npx jetmesh apply') || undefined, 'the status table', 40_000);
  const ctx = up.context();
  assert.deepEqual(Object.keys(ctx.services), ['nats-n0', 'nats-n1', 'nats-n2', 'galley-1', 'galley-2', 'pilot-1', 'pilot-2']);
  assert.equal(ctx.natsUrl.split(',').length, 3);
  const adminUrls = Object.values(ctx.services).map((s) => s.adminUrl);
  assert.equal(new Set(adminUrls).size, adminUrls.length, 'every process has its own admin port');
  for (const node of ['n0', 'n1', 'n2']) {
    assert.match(up.stdout.text, new RegExp(`^nats ${node}\\s+nats://127\\.0\\.0\\.1:\\d+  \\(store .jetmesh/nats-cluster/${node}/store\\)\\s+http://127\\.0\\.0\\.1:\\d+$`, 'm'));
  }
  for (const name of ['galley-1', 'galley-2', 'pilot-1', 'pilot-2']) {
    assert.equal((await fetch(`${ctx.services[name]!.adminUrl}/readyz`)).status, 200);
    assert.match(up.stdout.text, new RegExp(`^${name}\\s+127\\.0\\.0\\.1:\\d+ \\(fake ${name.split('-')[0]}\\)\\s+${ctx.services[name]!.adminUrl}$`, 'm'));
    // Every replica gets every node and the cluster's replica count for the streams it provisions.
    assert.match(up.stdout.text, new RegExp(`^${name} +\\| \\{"msg":"listening","nats":"${ctx.natsUrl}",.*"streamReplicas":"3"`, 'm'));
  }
  const meta = (await (await fetch(`${ctx.services['nats-n1']!.adminUrl}/jsz`)).json()) as { meta_cluster?: { cluster_size?: number } };
  assert.equal(meta.meta_cluster?.cluster_size, 3);

  up.abort.abort();
  assert.equal(await up.exit, 0);
  for (const { pid } of Object.values(ctx.services)) assert.equal(isAlive(pid), false, `pid ${pid} still running`);
});

test('up.errors: counts out of range and a cluster beside JETMESH_NATS_URL are refused before anything starts', async (t) => {
  const none = startUp(t, [fakeService('galley', 'healthy')], cleanEnv(), { replicas: 0 });
  assert.equal(await none.exit, 1);
  assert.equal(none.stderr.text, '--replicas must be a whole number of at least 1, got 0\n');
  const six = startUp(t, [fakeService('galley', 'healthy')], cleanEnv(), { natsCluster: 6 });
  assert.equal(await six.exit, 1);
  assert.equal(six.stderr.text, '--nats-cluster must be a whole number from 1 to 5 (JetStream keeps at most 5 copies), got 6\n');
  const external = startUp(t, [fakeService('galley', 'healthy')], cleanEnv({ JETMESH_NATS_URL: 'nats://127.0.0.1:1' }), { natsCluster: 3 });
  assert.equal(await external.exit, 1);
  assert.match(external.stderr.text, /^--nats-cluster starts its own NATS cluster: unset JETMESH_NATS_URL/);
});

test('up.restart: a child that exits is reported and restarted', async (t) => {
  const up = startUp(t, [fakeService('galley', 'healthy'), fakeService('pilot', 'crash-once')]);
  await eventually(() => up.stdout.text.includes('try: npx jetmesh apply') || undefined, 'the status table', 20_000);
  const firstPid = up.context().services.pilot!.pid;

  await eventually(() => up.stderr.text.includes('pilot exited with code 1; restarting in 100ms') || undefined, 'the restart notice', 20_000);
  await eventually(() => up.context().services.pilot!.pid !== firstPid || undefined, 'the context file to show the new pid', 20_000);
  const restarted = up.context().services.pilot!;
  await eventually(() => isAlive(restarted.pid) || undefined, 'the new pilot', 20_000);
  assert.match(up.stderr.text, /^pilot {2}\| lost the stream$/m);

  up.abort.abort();
  assert.equal(await up.exit, 0);
  assert.equal(isAlive(restarted.pid), false);
});

test('up.crashloop: a child that keeps crashing stops everything with exit 1', async (t) => {
  const up = startUp(t, [fakeService('galley', 'healthy'), fakeService('pilot', 'crash-always')]);
  assert.equal(await up.exit, 1);
  assert.match(up.stderr.text, /pilot exited with code 1; restarting in 100ms/);
  assert.match(up.stderr.text, /pilot exited with code 1; restarting in 200ms/);
  assert.match(up.stderr.text, /pilot exited with code 1, 3 times in 10s; giving up\. Its last output:\n {4}cannot connect to NATS/);
  assert.match(up.stdout.text, /^galley \| terminated$/m);
  assert.equal(existsSync(up.contextFile), false);
});

test('up.notready: a service that never becomes ready is named with its last output', async (t) => {
  const up = startUp(t, [fakeService('galley', 'never-ready')], cleanEnv(), { readyTimeoutMs: 1500 });
  assert.equal(await up.exit, 1);
  assert.match(
    up.stderr.text,
    /galley not ready after 1500ms \(last \/readyz: 503 not ready: replaying\); its last output:\n {4}\{"msg":"listening"/,
  );
});

test('up.errors: a service that is not built says to build', async (t) => {
  const missing: ServiceSpec = { name: 'galley', entry: 'services/nope/dist/src/main.js', portEnv: 'X', defaultPort: 0, serves: 'x' };
  const up = startUp(t, [missing]);
  assert.equal(await up.exit, 1);
  assert.equal(up.stderr.text, 'galley is not built (services/nope/dist/src/main.js is missing): run npm run build first\n');
});

test('up.errors: without nats-server it says how to get one', async (t) => {
  const up = startUp(t, [fakeService('galley', 'healthy')], cleanEnv({ JETMESH_NATS_SERVER_BIN: '/nonexistent/nats-server' }));
  assert.equal(await up.exit, 1);
  assert.equal(
    up.stderr.text,
    'nats-server not found: install it (apt-get install nats-server) or set JETMESH_NATS_URL to a running JetStream server\n',
  );
});

test('up.external: with JETMESH_NATS_URL set, no nats-server is started and services get that URL', async (t) => {
  const url = 'nats://127.0.0.1:1';
  const up = startUp(t, [fakeService('galley', 'healthy')], cleanEnv({ JETMESH_NATS_URL: url }));
  await eventually(() => up.stdout.text.includes('try: npx jetmesh apply') || undefined, 'the status table', 20_000);
  assert.equal(up.context().natsUrl, url);
  assert.deepEqual(Object.keys(up.context().services), ['galley']);
  assert.match(up.stdout.text, /^nats\s+nats:\/\/127\.0\.0\.1:1 {2}\(external, from JETMESH_NATS_URL\)\s+-$/m);
  assert.equal(existsSync(join(up.cwd, '.jetmesh', 'nats')), false);
  up.abort.abort();
  assert.equal(await up.exit, 0);
});

test('up.users: its nats-server runs on the local mesh account, each mesh service as its own JWT user, the CLI as admin through the context; the account is kept across runs', async (t) => {
  const up = startUp(t, [{ ...fakeService('galley', 'healthy'), natsUser: 'galley' }, { ...fakeService('citadel', 'healthy'), natsUser: 'citadel' }, fakeService('helper', 'healthy')]);
  await eventually(() => up.stdout.text.includes('try: npx jetmesh apply') || undefined, 'the status table', 20_000);
  const ctx = up.context();
  const accountDir = join(up.cwd, '.jetmesh', 'nats-account');
  assert.match(up.stdout.text, new RegExp(`^galley +\\| \\{"msg":"listening",.*"natsCreds":"${join(accountDir, 'galley.creds')}"`, 'm'));
  assert.match(up.stdout.text, /^citadel +\| \{"msg":"listening",.*"citadelAccount":"A[A-Z2-7]{55}"/m, 'citadel mints the sidecars\' users');
  assert.doesNotMatch(up.stdout.text, /^galley +\| .*citadelAccount/m, 'only citadel holds the account key');
  assert.doesNotMatch(up.stdout.text, /^helper +\| .*natsCreds/m, 'a service without a user in deploy/nats/ gets none');

  const credsFile = join(up.cwd, '.jetmesh', ctx.natsCredsFile ?? 'missing');
  assert.equal(credsFile, join(accountDir, 'admin.creds'));
  for (const secret of [credsFile, join(accountDir, 'account.json'), join(accountDir, 'proxy-bootstrap.creds')]) assert.equal(statSync(secret).mode & 0o777, 0o600, secret);
  assert.equal(statSync(accountDir).mode & 0o777, 0o700);
  const refused = await connectBus(ctx.natsUrl, createLogger('test', 'silent'), { maxReconnectAttempts: 0, timeoutMs: 2_000 }).then(
    () => assert.fail('connected without credentials'),
    (e: unknown) => e,
  );
  assert.ok(refused instanceof BusUnavailableError && /Authorization Violation/i.test(refused.message), String(refused));

  // The CLI finds its creds through .jetmesh/context.json: it gets as far as asking pilot.
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const code = await runCli(['proxy-status'], { stdout, stderr, stdin: new PassThrough(), env: cleanEnv(), cwd: up.cwd });
  assert.match(String(stderr.read() ?? ''), /^error: no pilot answered on mesh\.pilot\.status/);
  assert.equal(code, 3);

  up.abort.abort();
  assert.equal(await up.exit, 0);
  const account = readFileSync(join(accountDir, 'account.json'), 'utf8');
  const again = startUp(t, [{ ...fakeService('galley', 'healthy'), natsUser: 'galley' }], cleanEnv(), { cwd: up.cwd });
  await eventually(() => again.stdout.text.includes('try: npx jetmesh apply') || undefined, 'the status table of the second run', 20_000);
  assert.equal(readFileSync(join(accountDir, 'account.json'), 'utf8'), account, 'the second run keeps the account');
  again.abort.abort();
  assert.equal(await again.exit, 0);
});

test('up.users.migration: an .jetmesh/ from before NATS JWT users loses its password files and keeps its streams (moved into the mesh account)', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'jetmesh-up-old-'));
  for (const file of ['nats-admin-password', 'nats-proxy-password']) {
    mkdirSync(join(cwd, '.jetmesh'), { recursive: true });
    writeFileSync(join(cwd, '.jetmesh', file), 'pold\n', { mode: 0o600 });
  }
  // The store of a password-era run: the config log in the global account, one change in it.
  const old = await startNatsServer({ storeDir: join(cwd, '.jetmesh', 'nats') });
  const before = await connectBus(old.url, createLogger('test', 'silent'), { timeoutMs: 2_000 });
  await before.jsm.streams.add({ name: Streams.config, subjects: [Subjects.config] });
  await before.js.publish(Subjects.config, '{}');
  await before.close();
  await old.stop();
  const up = startUp(t, [{ ...fakeService('galley', 'healthy'), natsUser: 'galley' }], cleanEnv(), { cwd });
  await eventually(() => up.stdout.text.includes('try: npx jetmesh apply') || undefined, 'the status table', 20_000);
  assert.match(up.stderr.text, /^migrated: removed \.jetmesh\/nats-admin-password and \.jetmesh\/nats-proxy-password: NATS users are JWTs/m);
  assert.match(up.stderr.text, /^migrated: moved the streams of \.jetmesh\/nats \(written before NATS JWT users\) into the mesh account A[A-Z2-7]{55}$/m);
  assert.equal(existsSync(join(cwd, '.jetmesh', 'nats-admin-password')), false);
  assert.equal(existsSync(join(cwd, '.jetmesh', 'nats', 'jetstream', '$G')), false);
  const admin = await connectBus(up.context().natsUrl, createLogger('test', 'silent'), { credsFile: join(cwd, '.jetmesh', up.context().natsCredsFile ?? 'missing'), timeoutMs: 2_000 });
  try {
    assert.equal((await admin.jsm.streams.info(Streams.config)).state.messages, 1, 'the old log, read as the admin user');
  } finally {
    await admin.close();
  }
  await old.dispose();
  up.abort.abort();
  assert.equal(await up.exit, 0);
});

test('up.users.migration.cluster: a cluster store from before NATS JWT users stops up with what to do', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'jetmesh-up-old-cluster-'));
  mkdirSync(join(cwd, '.jetmesh', 'nats-cluster', 'n0', 'store', 'jetstream', '$G'), { recursive: true });
  const up = startUp(t, [fakeService('galley', 'healthy')], cleanEnv(), { cwd, natsCluster: 3 });
  assert.equal(await up.exit, 1);
  assert.match(up.stderr.text, /\.jetmesh\/nats-cluster holds a cluster store from before NATS JWT users \(1 node\(s\) with streams in no account\): remove \.jetmesh\/nats-cluster to start a fresh cluster/);
});
