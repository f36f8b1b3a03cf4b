import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessLogRecord } from '@jetmesh/model';
import { type ChildHandle, type MeshProcesses, type ProxyProcess, cliEntry, eventually, launchProcess, repoRoot, startMeshProcesses } from '@jetmesh/testing';
import { call, ProxyMesh, serviceEntry } from './proxy-harness.js';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Whether an output line (text, or a JSON record with -o json) is about exactly this path. */
const isAbout = (line: string, path: string): boolean => line.includes(` ${path} `) || line.includes(`"path":${JSON.stringify(path)}`);

describe('jetmesh logs: access log lines from two proxies over the bus (control plane, proxies, apps and the CLI as processes; deploy/nats users)', () => {
  let mesh: MeshProcesses;
  let dir: string;
  let m: ProxyMesh;
  let productpage: ProxyProcess;
  let reviews: ProxyProcess;
  let ratings: ProxyProcess;
  const tails: ChildHandle[] = [];

  /** `jetmesh logs ARGS` left running, as the operator (admin user), like a terminal with `-f`. */
  const tail = (args: string[]): ChildHandle => {
    const child = launchProcess(process.execPath, [cliEntry, 'logs', ...args], { name: `jetmesh logs ${args.join(' ')}`, env: mesh.env, cwd: repoRoot });
    tails.push(child);
    return child;
  };
  /** The tail is subscribed once a request sent after it started shows up in it. */
  const warm = async (child: ChildHandle, proxy: ProxyProcess, url: string): Promise<void> => {
    const marker = `/warm/${Date.now()}`;
    await eventually(async () => {
      await call(proxy, `${url}${marker}`).catch(() => undefined);
      return child.output().split('\n').some((l) => isAbout(l, marker)) ? true : undefined;
    }, `${marker} in the output of jetmesh logs`, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${child.output().slice(-2000)}`);
    });
  };
  const linesOf = (child: ChildHandle, path: string): string[] => child.output().split('\n').filter((l) => isAbout(l, path));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'access-logs-e2e-'));
    mesh = await startMeshProcesses({ services: ['galley', 'pilot', 'citadel'], natsUsers: true });
    m = new ProxyMesh(mesh, dir);
    await m.apply(`${serviceEntry('productpage')}${serviceEntry('reviews')}${serviceEntry('ratings')}`);
    productpage = (await m.sidecar('productpage', 'v1')).proxy;
    reviews = (await m.sidecar('reviews', 'v2')).proxy;
    ratings = (await m.sidecar('ratings', 'v1')).proxy;
    await m.until(productpage, 'http://reviews:9080/up', (c) => c.status === 200, 'reviews answering');
    await m.until(productpage, 'http://ratings:9080/up', (c) => c.status === 200, 'ratings answering');
  });
  after(async () => {
    for (const t of tails) await t.stop();
    await m?.stop();
    await mesh?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('--follow shows every request productpage → reviews twice, once per reporter, in the documented line format', async () => {
    const follow = tail(['--follow']);
    await warm(follow, productpage, 'http://reviews:9080');
    const run = Date.now();
    const paths = Array.from({ length: 5 }, (_, i) => `/reviews/${run}-${i}`);
    for (const p of paths) assert.equal((await call(productpage, `http://reviews:9080${p}`)).status, 200);
    const nowhere = `/nowhere/${run}`;
    assert.equal((await call(productpage, `http://nowhere:9080${nowhere}`)).status, 404);

    await eventually(async () => (paths.every((p) => linesOf(follow, p).length >= 2) && linesOf(follow, nowhere).length >= 1 ? true : undefined), 'both reporters\' lines', 15_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${follow.output().slice(-3000)}`);
    });
    const line = (reporter: string, path: string): RegExp =>
      new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z default/${escape(productpage.name)} → default/${escape(reviews.name)} GET ${escape(path)} 200 - \\d+\\.\\dms reporter=${reporter}$`);
    for (const p of paths) {
      const lines = linesOf(follow, p);
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.ok(lines.some((l) => line('source', p).test(l)), `the source reporter's line for ${p}:\n${lines.join('\n')}`);
      assert.ok(lines.some((l) => line('destination', p).test(l)), `the destination reporter's line for ${p}:\n${lines.join('\n')}`);
    }
    // No route: only the caller's proxy saw it, with Envoy's flag.
    assert.deepEqual(linesOf(follow, nowhere).map((l) => l.replace(/^\S+ /, '').replace(/ [\d.]+ms /, ' Nms ')), [`default/${productpage.name} → - GET ${nowhere} 404 NR Nms reporter=source`]);
    assert.ok(follow.pid !== undefined);
    assert.equal(await follow.stop('SIGINT'), 0, 'Ctrl-C ends a follow cleanly');
  });

  it('--workload shows only the requests that workload sent or received (both reporters), -o json the records', async () => {
    const follow = tail(['--follow', '--workload', ratings.name, '-o', 'json']);
    await warm(follow, productpage, 'http://ratings:9080');
    const run = Date.now();
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(productpage, `http://reviews:9080/other/${run}-${i}`)).status, 200);
      assert.equal((await call(productpage, `http://ratings:9080/ratings/${run}-${i}`)).status, 200);
    }
    // Each proxy's lines arrive in order: once the last request's are in, every earlier one would be.
    const last = `/ratings/${run}-2`;
    await eventually(async () => (linesOf(follow, last).length >= 2 ? true : undefined), 'the last request\'s lines', 15_000);
    const records = follow
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as AccessLogRecord)
      .filter((r) => r.path.endsWith(`/${run}-0`) || r.path.endsWith(`/${run}-1`) || r.path.endsWith(`/${run}-2`));
    assert.deepEqual(records.filter((r) => r.path.startsWith('/other/')), [], 'requests to reviews are filtered out');
    assert.deepEqual(
      records.map((r) => `${r.reporter} ${r.path} ${r.response_code}`).sort(),
      [0, 1, 2].flatMap((i) => [`destination /ratings/${run}-${i} 200`, `source /ratings/${run}-${i} 200`]).sort(),
    );
    for (const r of records) {
      assert.equal(r.source_workload, productpage.name);
      assert.equal(r.destination_workload, ratings.name);
      assert.equal(r.destination_service, 'ratings.default.svc.cluster.local');
      if (r.reporter === 'destination') assert.equal(r.mtls, true, 'the callee saw mutual TLS');
    }
    await follow.stop('SIGINT');
  });

  it('without --follow it listens for --for and exits 0 with what came (the mesh keeps no history)', async () => {
    let stop = false;
    const run = Date.now();
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        await call(productpage, `http://reviews:9080/window/${run}-${i}`).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const started = Date.now();
    const r = await mesh.cli(['logs', '--for', '3s', '--workload', reviews.name]);
    stop = true;
    await traffic;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - started >= 3_000, 'it listened the whole window');
    const lines = r.stdout.split('\n').filter((l) => l.includes(`/window/${run}-`));
    assert.ok(lines.length >= 4, `lines seen:\n${r.stdout}`);
    assert.ok(lines.some((l) => l.endsWith('reporter=source')) && lines.some((l) => l.endsWith('reporter=destination')));

    const quiet = await mesh.cli(['logs', '--for', '500ms', '--workload', 'nobody-v1']);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stdout, '');
    assert.match(quiet.stderr, /^no access log lines in 0\.5s matching the filter/);
  });

  it('the proxies published every line they carried: nothing dropped under this load', async () => {
    for (const p of [productpage, reviews, ratings]) {
      const stats = await (await fetch(`http://127.0.0.1:${p.adminPort}/stats`)).text();
      assert.match(stats, /^jetmesh_proxy_access_log_published_total\{[^}]*\} [1-9]\d*$/m, `${p.name} published`);
      assert.doesNotMatch(stats, /^jetmesh_proxy_access_log_dropped_total\{[^}]*\} [1-9]/m, `${p.name} dropped none`);
    }
    for (const p of [productpage, reviews, ratings]) assert.doesNotMatch(p.child.output(), /permission denied/i, `${p.name} was refused nothing`);
  });
});
