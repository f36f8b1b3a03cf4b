import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectBus, Subjects, type Bus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import type { AccessLogBatch, AccessLogRecord } from '@jetmesh/model';
import { startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { runCli } from '../src/program.js';
import { formatAccessLogLine } from '../src/render/access-log-line.js';

class Captured extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const line = (over: Partial<AccessLogRecord> = {}): AccessLogRecord => ({
  start_time: '2026-12-02T10:00:00.123Z',
  method: 'GET',
  path: '/reviews/0',
  protocol: 'http',
  response_code: 200,
  response_flags: '-',
  bytes_received: 0,
  bytes_sent: 120,
  duration: 3.21,
  upstream_host: '127.0.0.1:15006',
  upstream_cluster: 'outbound|9080||reviews.default.svc.cluster.local',
  route_name: 'default',
  authority: 'reviews:9080',
  reporter: 'source',
  source_workload: 'productpage-v1',
  source_namespace: 'default',
  destination_workload: 'reviews-v2',
  destination_namespace: 'default',
  destination_service: 'reviews.default.svc.cluster.local',
  mtls: true,
  ...over,
});

describe('jetmesh logs over a private NATS (proxies stood in for by plain publishes)', () => {
  let nats: NatsServerHandle;
  let proxy: Bus;
  let cwd: string;

  before(async () => {
    nats = await startNatsServer();
    proxy = await connectBus(nats.url, createLogger('logs-test', 'silent'));
    cwd = mkdtempSync(join(tmpdir(), 'cli-logs-'));
  });
  after(async () => {
    await proxy?.close();
    await nats?.dispose();
  });

  const publish = (batch: AccessLogBatch | string): void =>
    proxy.nc.publish(Subjects.accessLog(typeof batch === 'string' ? 'default' : batch.workload.namespace, typeof batch === 'string' ? 'broken' : batch.workload.name), typeof batch === 'string' ? batch : JSON.stringify(batch));

  /** Runs `jetmesh logs ARGS` in-process; `traffic` publishes once the subscription is surely up. */
  const logs = async (args: string[], traffic: () => void): Promise<{ code: number; stdout: string; stderr: string; ms: number }> => {
    const stdout = new Captured();
    const stderr = new Captured();
    const started = performance.now();
    const running = runCli(['logs', ...args], { stdout, stderr, stdin: new PassThrough(), env: { JETMESH_NATS_URL: nats.url }, cwd });
    await sleep(300);
    traffic();
    await proxy.nc.flush();
    const code = await running;
    return { code, stdout: stdout.text, stderr: stderr.text, ms: performance.now() - started };
  };

  test('logs.format: one line per request, as in the README, flags "-" when none, reporter last', () => {
    assert.equal(formatAccessLogLine(line()), '2026-12-02T10:00:00.123Z default/productpage-v1 → default/reviews-v2 GET /reviews/0 200 - 3.2ms reporter=source');
    assert.equal(
      formatAccessLogLine(line({ reporter: 'destination', response_code: 503, response_flags: 'UF,URX', duration: 1200 })),
      '2026-12-02T10:00:00.123Z default/productpage-v1 → default/reviews-v2 GET /reviews/0 503 UF,URX 1200.0ms reporter=destination',
    );
    // No route: no destination workload; its service stands in. A caller outside the mesh is "-".
    assert.equal(
      formatAccessLogLine(line({ source_workload: '-', source_namespace: '-', destination_workload: '-', destination_namespace: '-', destination_service: 'nowhere.default.svc.cluster.local', response_code: 404, response_flags: 'NR' })),
      '2026-12-02T10:00:00.123Z - → nowhere.default.svc.cluster.local GET /reviews/0 404 NR 3.2ms reporter=source',
    );
    assert.equal(formatAccessLogLine(line({ path: '/x\u001b[2Jy' })).split(' ')[5], '/x\\x1b[2Jy', 'a terminal escape in a path is shown, not obeyed');
  });

  test('logs.window: without --follow it listens --for the window, prints what came, and exits 0', async () => {
    const r = await logs(['--for', '800ms'], () =>
      publish({ workload: { namespace: 'default', name: 'productpage-v1' }, dropped: 0, records: [line(), line({ reporter: 'destination', path: '/reviews/1' })] }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      '2026-12-02T10:00:00.123Z default/productpage-v1 → default/reviews-v2 GET /reviews/0 200 - 3.2ms reporter=source',
      '2026-12-02T10:00:00.123Z default/productpage-v1 → default/reviews-v2 GET /reviews/1 200 - 3.2ms reporter=destination',
    ]);
    assert.equal(r.stderr, '');
    assert.ok(r.ms >= 800 && r.ms < 3_000, `listened ${r.ms.toFixed(0)} ms`);
  });

  test('logs.window: nothing in the window is said on stderr (there is no history to print), exit 0', async () => {
    const r = await logs(['--for', '500ms', '--workload', 'ratings-v1'], () => publish({ workload: { namespace: 'default', name: 'productpage-v1' }, dropped: 0, records: [line()] }));
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'no access log lines in 0.5s matching the filter (they are live: nothing keeps them; send traffic, or use --follow)\n');
  });

  test('logs.filter: --workload is either side; with -n it is that namespace\'s workload; -n alone either side\'s namespace', async () => {
    const records = [
      line({ path: '/a' }),
      line({ path: '/b', source_workload: 'reviews-v2', destination_workload: 'ratings-v1', destination_service: 'ratings.default.svc.cluster.local' }),
      line({ path: '/c', source_namespace: 'shop', source_workload: 'cart-v1', destination_namespace: 'shop', destination_workload: 'reviews-v2', destination_service: 'reviews.shop.svc.cluster.local' }),
      line({ path: '/d', source_namespace: 'shop', source_workload: 'cart-v1', destination_workload: 'productpage-v1', destination_service: 'productpage.default.svc.cluster.local' }),
    ];
    const batch: AccessLogBatch = { workload: { namespace: 'default', name: 'mixed' }, dropped: 0, records };
    const paths = async (args: string[]): Promise<string[]> => {
      const r = await logs(['--for', '500ms', ...args, '-o', 'json'], () => publish(batch));
      assert.equal(r.code, 0, r.stderr);
      return r.stdout === '' ? [] : r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as AccessLogRecord).path);
    };
    assert.deepEqual(await paths([]), ['/a', '/b', '/c', '/d']);
    assert.deepEqual(await paths(['--workload', 'reviews-v2']), ['/a', '/b', '/c']);
    assert.deepEqual(await paths(['--workload', 'reviews-v2', '-n', 'default']), ['/a', '/b']);
    assert.deepEqual(await paths(['--workload', 'reviews-v2', '-n', 'shop']), ['/c']);
    assert.deepEqual(await paths(['-n', 'shop']), ['/c', '/d']);
  });

  test('logs.json: -o json prints each record as the proxy sent it, one per line', async () => {
    const r = await logs(['--for', '500ms', '-o', 'json'], () => publish({ workload: { namespace: 'default', name: 'productpage-v1' }, dropped: 0, records: [line({ request_id: 'rid-1', trace_id: 'abc' })] }));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), line({ request_id: 'rid-1', trace_id: 'abc' }));
  });

  test('logs.errors: a malformed message is named once per proxy and skipped; a proxy\'s drops are told', async () => {
    const r = await logs(['--for', '600ms'], () => {
      publish('not json');
      publish('{"workload":{"namespace":"default","name":"broken"},"dropped":0,"records":[{}]}');
      publish({ workload: { namespace: 'default', name: 'productpage-v1' }, dropped: 12, records: [line()] });
    });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trimEnd().split('\n').length, 1);
    assert.deepEqual(r.stderr.trimEnd().split('\n'), [
      'warning: ignored an access log message on mesh.accesslog.default.broken: not JSON',
      'warning: default/productpage-v1 dropped 12 access log lines (its buffer was full or NATS was away)',
    ]);
  });

  test('logs.errors: a bad --for and --for with --follow are usage errors (exit 2); no NATS is exit 3', async () => {
    const run = async (args: string[], env = { JETMESH_NATS_URL: nats.url }) => {
      const stderr = new Captured();
      const code = await runCli(['logs', ...args], { stdout: new Captured(), stderr, stdin: new PassThrough(), env, cwd });
      return { code, stderr: stderr.text };
    };
    assert.deepEqual(await run(['--for', 'soon']), { code: 2, stderr: 'error: logs: --for "soon": expected a duration such as 500ms, 90s, 30m, 1h or 1d\n' });
    assert.deepEqual(await run(['--for', '1s', '--follow']), { code: 2, stderr: 'error: logs: --for and --follow exclude each other (--follow listens until Ctrl-C)\n' });
    const down = await run(['--follow'], { JETMESH_NATS_URL: 'nats://127.0.0.1:1' });
    assert.equal(down.code, 3);
    assert.match(down.stderr, /^error: cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
  });
});
