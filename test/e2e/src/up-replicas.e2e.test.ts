import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliEntry, eventually, launchProcess, repoRoot, runProcess } from '@jetmesh/testing';

interface UpContextFile {
  readonly natsUrl: string;
  readonly services: Record<string, { readonly pid: number; readonly adminUrl: string }>;
}

interface Jsz {
  readonly meta_cluster?: { readonly leader?: string; readonly cluster_size?: number };
  readonly account_details?: readonly { readonly stream_detail?: readonly { readonly name: string; readonly config?: { readonly num_replicas?: number } }[] }[];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const cwd = mkdtempSync(join(tmpdir(), 'jetmesh-up-replicas-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

// Every service's main port on a free one: the machine's 15017… may be taken by another mesh.
const portVariables = ['JETMESH_GALLEY_PORT', 'JETMESH_PILOT_XDS_PORT', 'JETMESH_CITADEL_PORT', 'JETMESH_TELEMETRY_PORT', 'JETMESH_CONSOLE_PORT'];
const env = { JETMESH_NATS_URL: undefined, JETMESH_LOG_LEVEL: 'warn', ...Object.fromEntries(portVariables.map((v) => [v, '0'])) };

test('up.replicas: 2 replicas of every service on a 3-node NATS cluster, each ready on its own ports; an apply through one galley is read through the other; SIGINT stops every process', async () => {
  const up = launchProcess(process.execPath, [cliEntry, 'up', '--replicas', '2', '--nats-cluster', '3'], { name: 'jetmesh up', cwd, env });
  try {
    await up.waitForOutput(/stop: Ctrl-C/, 120_000);
    const context = JSON.parse(readFileSync(join(cwd, '.jetmesh', 'context.json'), 'utf8')) as UpContextFile;
    const services = ['galley', 'pilot', 'citadel', 'telemetry', 'console'];
    const names = services.flatMap((s) => [`${s}-1`, `${s}-2`]);
    assert.deepEqual(Object.keys(context.services).sort(), ['nats-n0', 'nats-n1', 'nats-n2', ...names].sort());
    assert.equal(context.natsUrl.split(',').length, 3);

    // Every replica is in the table with its own main and admin port, and answers ready.
    const ports = new Set<string>();
    for (const name of names) {
      const row = up.output().match(new RegExp(`^${name}\\s+(127\\.0\\.0\\.1:\\d+) .*\\s(http://127\\.0\\.0\\.1:\\d+)$`, 'm'));
      assert.ok(row !== null, `${name} has a row in the status table:\n${up.output()}`);
      assert.equal(row[2], context.services[name]?.adminUrl);
      ports.add(row[1] ?? '');
      ports.add(row[2] ?? '');
      assert.equal((await fetch(`${row[2]}/readyz`)).status, 200, `${name} is ready`);
    }
    assert.equal(ports.size, names.length * 2, 'no two replicas share a port');

    // Three nodes in one JetStream cluster, every stream of the mesh on all three.
    const jsz = (await (await fetch(`${context.services['nats-n0']?.adminUrl}/jsz?accounts=true&streams=true&config=true`)).json()) as Jsz;
    assert.equal(jsz.meta_cluster?.cluster_size, 3);
    const streams = jsz.account_details?.flatMap((a) => a.stream_detail ?? []) ?? [];
    assert.ok(streams.some((s) => s.name === 'MESH_CONFIG'), `MESH_CONFIG among ${streams.map((s) => s.name).join(', ')}`);
    for (const stream of streams) assert.equal(stream.config?.num_replicas, 3, `${stream.name} has 3 replicas`);

    const galleyOf = (n: number): string => up.output().match(new RegExp(`^galley-${n}\\s+(127\\.0\\.0\\.1:\\d+) `, 'm'))?.[1] ?? '';
    const cli = (args: string[], galley: string) =>
      runProcess(process.execPath, [cliEntry, ...args], { cwd, env: { JETMESH_NATS_URL: undefined, JETMESH_GALLEY_ADDRESS: galley }, timeoutMs: 30_000 });
    const applied = await cli(['apply', '-f', join(repoRoot, 'examples', 'bookinfo-reviews.yaml')], galleyOf(1));
    assert.equal(applied.code, 0, applied.stderr);
    // The other galley follows the log: it sees the change once its follower has it.
    let last = '';
    const read = await eventually(async () => {
      const got = await cli(['get', 'virtualservice', 'reviews-route', '-o', 'json'], galleyOf(2));
      last = got.stderr;
      return got.code === 0 ? got : undefined;
    }, 'galley-2 to serve the VirtualService applied through galley-1').catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; galley-2 (${galleyOf(2)}) said: ${last}\n${up.output().slice(-3000)}`);
    });
    assert.equal((JSON.parse(read.stdout) as { metadata: { name: string } }).metadata.name, 'reviews-route');

    // jetmesh status sees every replica of every service (through the context up wrote) and a healthy R3 cluster.
    const status = await eventually(async () => {
      const run = await runProcess(process.execPath, [cliEntry, 'status', '-o', 'json'], { cwd, env: { JETMESH_NATS_URL: undefined }, timeoutMs: 30_000 });
      const view = run.stdout.trim() === '' ? undefined : (JSON.parse(run.stdout) as { replicas: { service: string; pid: number; ready: boolean }[]; problems: string[] });
      return run.code === 0 && view?.replicas.length === names.length ? view : undefined;
    }, 'jetmesh status to show all 10 replicas healthy', 30_000);
    assert.deepEqual(status.problems, []);
    assert.deepEqual(status.replicas.map((r) => r.pid).sort(), names.map((n) => context.services[n]?.pid).sort());

    const pids = Object.values(context.services).map((s) => s.pid);
    assert.equal(await up.stop('SIGINT', 30_000), 0);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} is gone after Ctrl-C`);
  } finally {
    await up.stop('SIGKILL');
  }
});
