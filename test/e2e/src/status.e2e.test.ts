import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MeshProcesses, type NatsClusterHandle, eventually, repoRoot, startMeshProcesses, startNatsCluster } from '@jetmesh/testing';

interface StatusJson {
  readonly replicas: readonly { service: string; replica: string; version: string; ready: boolean; positions: Record<string, number>; lag: Record<string, number>; natsServer?: string }[];
  readonly nats: { server: string; cluster?: string; knownServers: number; jetstream: { ok: boolean } };
  readonly streams: readonly { name: string; found: boolean; wantedReplicas?: number; lastSeq?: number; leader?: string; peers?: { name: string; current: boolean }[] }[];
  readonly problems: readonly string[];
}

const example = join(repoRoot, 'examples', 'bookinfo-reviews.yaml');
const versionOf = (service: string): string => (JSON.parse(readFileSync(join(repoRoot, 'services', service, 'package.json'), 'utf8')) as { version: string }).version;

describe('jetmesh status over a real mesh: 2 galleys, 2 pilots and citadel on a three-node cluster (R3), with the deploy/nats users', () => {
  let cluster: NatsClusterHandle;
  let mesh: MeshProcesses;

  before(async () => {
    cluster = await startNatsCluster({ meshUsers: true });
    mesh = await startMeshProcesses({
      services: ['galley', 'pilot', 'citadel'],
      replicas: { galley: 2, pilot: 2 },
      natsUsers: true,
      cluster,
      serviceEnv: { JETMESH_STREAM_REPLICAS: '3' },
      readyTimeoutMs: 60_000,
    });
  });
  after(async () => {
    await mesh?.stop();
    await cluster?.dispose();
  });

  let lastRun = '';
  /** Undefined when the CLI printed no view (it names why on stderr, kept for the timeout message). */
  const status = async (): Promise<{ code: number | null; json: StatusJson; stderr: string } | undefined> => {
    const run = await mesh.cli(['status', '-o', 'json']);
    lastRun = `exit ${run.code}: ${run.stdout.slice(0, 2000)} ${run.stderr}`;
    if (run.stdout.trim() === '') return undefined;
    return { code: run.code, json: JSON.parse(run.stdout) as StatusJson, stderr: run.stderr };
  };
  const until = <A>(check: () => Promise<A | undefined>, what: string, timeoutMs: number): Promise<A> =>
    eventually(check, what, timeoutMs).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; the last status: ${lastRun}`);
    });

  it('status.healthy: every replica answers with its version, readiness and log position at lag 0; every stream has 3 copies in sync; exit 0', async () => {
    const applied = await mesh.cli(['apply', '-f', example]);
    assert.equal(applied.code, 0, applied.stderr);
    const { code, json, stderr } = await until(async () => {
      const s = await status();
      if (s === undefined) return undefined;
      const caughtUp = s.json.replicas.filter((r) => r.service !== 'citadel').every((r) => r.positions.MESH_CONFIG === 1);
      return s.code === 0 && s.json.replicas.length === 5 && caughtUp ? s : undefined;
    }, 'a healthy status with every replica at change #1', 30_000);
    assert.equal(code, 0, stderr);
    assert.deepEqual(json.problems, []);
    assert.deepEqual(json.replicas.map((r) => r.service), ['galley', 'galley', 'pilot', 'pilot', 'citadel']);
    for (const r of json.replicas) {
      assert.equal(r.version, versionOf(r.service));
      assert.equal(r.ready, true);
      assert.ok(['n0', 'n1', 'n2'].includes(r.natsServer ?? ''), `${r.replica} names its NATS node`);
    }
    assert.deepEqual(json.replicas.filter((r) => r.service === 'pilot').map((r) => r.replica), ['pilot-0', 'pilot-1']);
    for (const r of json.replicas.filter((x) => x.service === 'pilot')) assert.deepEqual(r.lag, { MESH_CONFIG: 0, MESH_REGISTRY: 0 });
    assert.equal(json.nats.cluster, 'jetmesh-test');
    assert.equal(json.nats.knownServers, 3);
    assert.equal(json.nats.jetstream.ok, true);
    const config = json.streams.find((s) => s.name === 'MESH_CONFIG');
    assert.equal(config?.lastSeq, 1);
    for (const s of json.streams) {
      assert.equal(s.found, true, s.name);
      assert.equal(s.wantedReplicas, 3, s.name);
      assert.equal(s.peers?.length, 2, s.name);
      assert.ok(s.peers?.every((p) => p.current), `${s.name}: every copy current`);
    }

    const table = await mesh.cli(['status']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^control plane: galley 2\/2 ready, pilot 2\/2 ready, citadel 1\/1 ready$/m);
    assert.match(table.stdout, /^pilot\s+pilot-1\s+\S+\s+yes\s+\d+\s+\S+\s+n\d\s+MESH_CONFIG 1 \(lag 0\), MESH_REGISTRY 0 \(lag 0\)$/m);
    assert.match(table.stdout, /^MESH_CONFIG\s+3\s+n\d\s+3\/3\s+1\s+1\s+n\d current, n\d current$/m);
  });

  it('status.node-down: a killed node shows as a stream copy out of sync (exit 1, the node named); restarted, it catches up and status is healthy again', async () => {
    await cluster.kill('n2');
    const down = await until(async () => {
      const s = await status();
      return s !== undefined && s.code === 1 && s.json.problems.some((p) => /n2/.test(p) || /lists 2 servers/.test(p)) ? s : undefined;
    }, 'status to report n2 missing', 30_000);
    assert.match(down.stderr, /^problem: /m);
    // The control plane itself goes on: every replica still answers.
    assert.equal(down.json.replicas.length, 5);

    // Written while n2 is away: n2 must catch up on it.
    const applied = await mesh.cli(['apply', '-f', example, '--reason', 'while n2 is down']);
    assert.equal(applied.code, 0, applied.stderr);
    await cluster.restart('n2');
    const healthy = await until(async () => {
      const s = await status();
      return s?.code === 0 ? s : undefined;
    }, 'a healthy status after n2 rejoined', 60_000);
    assert.deepEqual(healthy.json.problems, []);
    assert.equal(healthy.json.nats.knownServers, 3);
  });
});
