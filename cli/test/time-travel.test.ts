import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { isLeft } from 'fp-ts/lib/Either.js';
import { parseAllDocuments } from 'yaml';
import { connectBus, provisionMesh, publishEvent, Subjects, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import {
  changeSetHash,
  ChangeSetCodec,
  decodeResource,
  GENESIS_HASH,
  RegistryEventCodec,
  type ChangeSet,
  type MeshResource,
  type RegistryEvent,
  type VersionedSnapshot,
} from '@jetmesh/model';
import { repoRoot, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { runCli } from '../src/program.js';
import { createProgress } from '@jetmesh/replay';

class Captured extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const resources = (yamlText: string): MeshResource[] =>
  parseAllDocuments(yamlText).map((d) => {
    const r = decodeResource(d.toJS());
    if (isLeft(r)) throw new Error('fixture does not decode');
    return r.right.resource;
  });

const bookinfo = (): MeshResource[] => resources(readFileSync(join(repoRoot, 'examples', 'bookinfo-reviews.yaml'), 'utf8'));
const route = (v1: number): MeshResource[] =>
  resources(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-route, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${v1}}
    - {destination: {host: reviews, subset: v2}, weight: ${100 - v1}}
`);

const T0 = Date.parse('2024-05-01T14:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

describe('time travel commands over a private NATS (no galley needed to read the log)', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  const cwd = mkdtempSync(join(tmpdir(), 'jetmesh-cli-time-travel-'));

  const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const stdout = new Captured();
    const stderr = new Captured();
    const code = await runCli(args, { stdout, stderr, stdin: new PassThrough(), env: { JETMESH_NATS_URL: nats.url }, cwd });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };

  before(async () => {
    nats = await startNatsServer();
    bus = await connectBus(nats.url, createLogger('cli-test', 'silent'), { name: 'cli-test' });
    await provisionMesh(bus);
    let prev = GENESIS_HASH;
    const change = async (actor: string, seconds: number, changed: MeshResource[], reason: string): Promise<void> => {
      const cs: ChangeSet = { id: `cs-${seconds}`, type: 'ChangeSet', at: at(seconds), actor, reason, prev, changes: changed.map((resource) => ({ op: 'apply', resource })) };
      prev = changeSetHash(cs);
      assert.ok((await publishEvent(bus, ChangeSetCodec, Subjects.config, cs, { msgId: cs.id }))._tag === 'Right');
    };
    await change('alice', 0, bookinfo(), 'bookinfo'); // #1
    await change('bob', 10, route(50), 'canary'); // #2
    const vm: RegistryEvent = {
      id: 'r1',
      type: 'WorkloadRegistered',
      at: at(15),
      actor: 'agent',
      namespace: 'default',
      name: 'reviews-vm',
      workload: { address: '10.0.0.7', ports: { http: 9080 }, labels: { app: 'reviews', version: 'v1' } },
    };
    assert.ok((await publishEvent(bus, RegistryEventCodec, Subjects.registry('default', 'reviews-vm'), vm, { msgId: vm.id }))._tag === 'Right');
    await change('carol', 20, route(0), 'all on v2'); // #3
  });
  after(async () => {
    await bus.close();
    await nats.dispose();
  });

  test('history.export: one JSON object per change, filtered like history, with prev for the chain', async () => {
    const r = await run(['history', 'export', '--format', 'jsonl', '--actor', 'bob']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; actor: string; reason: string; prev: string });
    assert.deepEqual(lines.map((l) => [l.seq, l.actor, l.reason]), [[2, 'bob', 'canary']]);
    assert.match(lines[0]?.prev ?? '', /^[0-9a-f]{64}$/);
  });

  test('history.progress: --progress draws on stderr even when it is not a terminal; without it nothing is drawn', async () => {
    const forced = await run(['history', '--progress']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /^reading history \[#+\] 100% 3\/3 events, [\d,]+\/s$/m);
    const quiet = await run(['history']);
    assert.equal(quiet.stderr, '');
  });

  test('at.registry: a workload registered after the point is left out and named in a note', async () => {
    const then = await run(['at', '1', 'routes', 'reviews', '-o', 'json']);
    assert.equal(then.code, 0, then.stderr);
    assert.match(then.stderr, /^# note: 1 registered workload\(s\) changed after this point \(default\/reviews-vm\)/m);
    const snapshot = (JSON.parse(then.stdout) as VersionedSnapshot).snapshot;
    assert.ok(!snapshot.endpoints.some((e) => e.address === '10.0.0.7'));
    const later = await run(['at', '2024-05-01T14:00:16Z', 'routes', 'reviews', '-o', 'json']);
    assert.equal(later.code, 0, later.stderr);
    assert.doesNotMatch(later.stderr, /note/);
    const laterSnapshot = (JSON.parse(later.stdout) as VersionedSnapshot).snapshot;
    assert.ok(laterSnapshot.endpoints.some((e) => e.address === '10.0.0.7'));
    assert.deepEqual(laterSnapshot.routes[0]?.destinations.map((d) => d.weight), [50, 50]);
  });

  test('at.errors: a point past the end is rejected (1), an unreadable point is a usage error (2)', async () => {
    const past = await run(['at', '9', 'get', 'vs']);
    assert.deepEqual([past.code, past.stderr], [1, 'error: change #9 is past the end of the log (#3)\n']);
    const bad = await run(['at', 'yesterday', 'get', 'vs']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /point: "yesterday" is not a point in the log/);
    const unknown = await run(['at', '1', 'frobnicate']);
    assert.equal(unknown.code, 2);
  });

  test('at.help: --help before the point prints the usage of at and exits 0; after it, the inner command\'s', async () => {
    const outer = await run(['at', '--help']);
    assert.deepEqual([outer.code, outer.stderr], [0, '']);
    assert.match(outer.stdout, /^Usage: jetmesh at \[options\] <point> <command\.\.\.>/);
    const inner = await run(['at', '1', 'routes', '--help']);
    assert.equal(inner.code, 0, inner.stderr);
    assert.match(inner.stdout, /^Usage: jetmesh at <point> routes/);
  });

  test('at.analyze: the analyzers run over the configuration as of the point', async () => {
    const r = await run(['at', '2', 'analyze', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Array.isArray(JSON.parse(r.stdout)));
    const text = await run(['at', '0', 'analyze']);
    assert.equal(text.stdout, '✔ No validation issues found (configuration at change #0).\n');
  });

  test('audit.json: the verdict as JSON names the head a later check can be compared with', async () => {
    const r = await run(['audit', 'verify', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const verdict = JSON.parse(r.stdout) as { intact: boolean; changes: number; headSeq: number; headHash: string };
    assert.deepEqual([verdict.intact, verdict.changes, verdict.headSeq], [true, 3, 3]);
  });

  test('unreachable: without NATS the replay commands exit 3', async () => {
    const stdout = new Captured();
    const stderr = new Captured();
    const code = await runCli(['history'], { stdout, stderr, stdin: new PassThrough(), env: { JETMESH_NATS_URL: 'nats://127.0.0.1:1' }, cwd });
    assert.equal(code, 3, stderr.text);
  });
});

test('progress.tty: on a terminal the bar redraws in place and ends its line', async () => {
  const tty = new Captured(true);
  const progress = createProgress(tty, { label: 'replaying', total: 10, force: true });
  progress.update(10);
  progress.finish();
  assert.ok(tty.text.startsWith('\r\u001b[2K'), JSON.stringify(tty.text));
  assert.match(tty.text, /replaying \[#{24}\] 100% 10\/10 events, [\d,]+\/s\n$/);
  const piped = new Captured(false);
  const silent = createProgress(piped, { label: 'replaying', total: 10, force: false });
  silent.update(5);
  silent.finish();
  assert.equal(piped.text, '');
});
