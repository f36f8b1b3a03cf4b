import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { repoRoot, startMeshProcesses, type MeshProcesses } from '@jetmesh/testing';
import { runCli } from '../src/program.js';

class Captured extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const BOOKINFO = join(repoRoot, 'examples', 'bookinfo-reviews.yaml');
const ROUTE_V4 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-route}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v4}}]
`;
const IST0101_V4 = '[IST0101] (VirtualService default/reviews-route) Referenced host+subset in destinationrule not found: "reviews+v4"';

describe('cli.analyze-diff', () => {
  let mesh: MeshProcesses;
  let dir: string;
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** Runs `jetmesh ARGS` in-process against the private galley; what the user sees. */
  const jetmesh = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const stdout = new Captured();
    const stderr = new Captured();
    const code = await runCli(args, { stdout, stderr, stdin: new PassThrough(), env: { ...mesh.env, JETMESH_ACTOR: 'tester' }, cwd: dir });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };

  before(async () => {
    mesh = await startMeshProcesses({ services: ['galley'] });
    dir = mkdtempSync(join(tmpdir(), 'jetmesh-analyze-'));
    const applied = await jetmesh('apply', '-f', BOOKINFO);
    assert.equal(applied.code, 0, applied.stderr);
  });
  after(() => mesh?.stop());

  test('analyze: a clean configuration says so', async () => {
    const r = await jetmesh('analyze');
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '✔ No validation issues found (configuration at change #1).\n', '']);
  });

  test('analyze -f: the manifest is analyzed over the live state, one istioctl line per finding', async () => {
    const r = await jetmesh('analyze', '-f', file('v4.yaml', ROUTE_V4));
    assert.deepEqual([r.code, r.stdout], [0, `Warning ${IST0101_V4}\n`]);
  });

  test('analyze --strict: warnings become errors and the exit code 1', async () => {
    const r = await jetmesh('analyze', '--strict', '-f', file('v4.yaml', ROUTE_V4));
    assert.deepEqual([r.code, r.stdout], [1, `Error ${IST0101_V4}\n`]);
  });

  test('analyze -f: a file apply would refuse is analyzed anyway, its refusal an IST0106 error that fails the run (exit 1)', async () => {
    const r = await jetmesh('analyze', '-f', file('star.yaml', ROUTE_V4.replace('hosts: [reviews]', 'hosts: ["*"]')));
    assert.deepEqual(
      [r.code, r.stdout],
      [1, `Error [IST0106] (VirtualService default/reviews-route) Schema validation error: spec.hosts[0]: "*" is not allowed for VirtualServices bound to the mesh\nWarning ${IST0101_V4}\n`],
    );
  });

  test('apply --dry-run: what would change and the analyzers\' warnings, nothing recorded', async () => {
    const r = await jetmesh('apply', '--dry-run', '-f', file('v4.yaml', ROUTE_V4));
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'virtualservice.networking.istio.io/reviews-route configured (dry run)\n', `Warning ${IST0101_V4}\n`]);
  });

  test('apply --strict: refused with the finding as an error', async () => {
    const r = await jetmesh('apply', '--strict', '-f', file('v4.yaml', ROUTE_V4));
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `error: Error ${IST0101_V4} (--strict)\n`]);
  });

  test('apply --expect-version: a stale version is refused naming the current one', async () => {
    const r = await jetmesh('apply', '--expect-version', '7', '-f', file('v4.yaml', ROUTE_V4));
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'error: document 1 (VirtualService default/reviews-route): metadata.resourceVersion: is "7" but VirtualService default/reviews-route is at resourceVersion 1; get it again and reapply your change\n',
    );
  });

  test('apply --request-id: running the same change again with its id records nothing new and says which change it was', async () => {
    const yaml = file('ratings.yaml', ROUTE_V4.replace(/reviews-route/g, 'ratings-route').replace(/reviews/g, 'ratings'));
    const first = await jetmesh('apply', '--request-id', 'cli-retry-1', '-f', yaml);
    assert.equal(first.code, 0, first.stderr);
    const recorded = /recorded as change #(\d+)/.exec(first.stdout)?.[1];
    assert.ok(recorded !== undefined, first.stdout);
    const again = await jetmesh('apply', '--request-id', 'cli-retry-1', '-f', yaml);
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`recorded as change #${recorded}\n`));
    assert.match(again.stderr, new RegExp(`request cli-retry-1 was already recorded as change #${recorded} \\(this is a retry\\): nothing new was recorded`));
  });

  test('apply: what Istio’s webhook only warns about is applied and its warning printed on stderr (IST0133)', async () => {
    const yaml = file('whole-namespace.yaml', 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: cli-whole-namespace, namespace: cli-warn}\nspec:\n  selector: {}\n  mtls: {mode: STRICT}\n');
    const r = await jetmesh('apply', '-f', yaml);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /peerauthentication\.security\.istio\.io\/cli-whole-namespace -n cli-warn created/);
    assert.equal(
      r.stderr,
      'Warning [IST0133] (PeerAuthentication cli-warn/cli-whole-namespace) Schema validation warning: spec.selector: workload selector specified without labels\n',
    );
  });

  test('diff -f: an unchanged manifest shows nothing and exits 0', async () => {
    const r = await jetmesh('diff', '-f', BOOKINFO);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
  });

  test('diff -f: a changed weight is a unified diff against live, exit 1', async () => {
    const changed = file('80-20.yaml', readFileSync(BOOKINFO, 'utf8').replace('weight: 90}', 'weight: 80}').replace('weight: 10}', 'weight: 20}'));
    const r = await jetmesh('diff', '-f', changed);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], '--- live VirtualService default/reviews-route (resourceVersion 1)');
    assert.equal(lines[1], `+++ ${changed} VirtualService default/reviews-route`);
    assert.match(lines[2] ?? '', /^@@ -\d+,\d+ \+\d+,\d+ @@$/);
    assert.deepEqual(lines.filter((l) => /^[-+] /.test(l)), ['-          weight: 90', '+          weight: 80', '-          weight: 10', '+          weight: 20']);
  });

  test('diff -f: a resource that does not exist yet is all additions', async () => {
    const r = await jetmesh('diff', '-f', file('new.yaml', 'apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: vm-9}\nspec: {address: 10.0.0.9}\n'));
    assert.equal(r.code, 1);
    assert.deepEqual(r.stdout.split('\n').slice(0, 3), ['--- live WorkloadEntry default/vm-9 (does not exist)', `+++ ${join(dir, 'new.yaml')} WorkloadEntry default/vm-9`, '@@ -0,0 +1,7 @@']);
  });

  test('diff -f: an invalid manifest is refused with every problem', async () => {
    const r = await jetmesh('diff', '-f', file('bad.yaml', ROUTE_V4.replace('hosts: [reviews]', 'hosts: ["*"]')));
    assert.deepEqual([r.code, r.stderr], [1, 'error: document 1: spec.hosts[0]: "*" is not allowed for VirtualServices bound to the mesh\n']);
  });

  test('diff: neither -f nor --from is a usage error', async () => {
    assert.equal((await jetmesh('diff')).code, 2);
    assert.equal((await jetmesh('diff', '-f', BOOKINFO, '--from', '1')).code, 2);
  });
});
