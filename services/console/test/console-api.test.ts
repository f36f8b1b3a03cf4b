import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REVIEWS_HOST, startConsoleMesh, type ConsoleMesh } from './console-mesh.js';

interface Answer {
  readonly status: number;
  // Whatever JSON the API sent; each test reads the fields a user would look at.
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('console API over a real mesh (nats-server, galley with tokens required, pilot, citadel, the console process)', () => {
  let m: ConsoleMesh;
  const call = async (path: string, opts: { token?: string; method?: string; body?: unknown; contentType?: string } = {}): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await fetch(`${m.url}/api/v1${path}`, { method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'), headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
    return { status: res.status, body: await res.json() };
  };
  const read = (path: string) => call(path, { token: m.readerToken });

  before(async () => {
    m = await startConsoleMesh();
  });
  after(async () => {
    await m?.stop();
  });

  it('console-api.security: no token, a forged token and a form-encoded POST are refused with reasons; nothing is set as a cookie', async () => {
    const anonymous = await fetch(`${m.url}/api/v1/history`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('set-cookie'), null);
    assert.match(JSON.stringify(await anonymous.json()), /a config token is required/);
    const forged = await call('/history', { token: `${m.readerToken.slice(0, -4)}AAAA` });
    assert.equal(forged.status, 401);
    const form = await call('/rollback', { token: m.writerToken, body: { toSequence: 2, reason: 'x', dryRun: false }, contentType: 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    assert.match(form.body.error.lines[0], /application\/json/);
    const who = await read('/whoami');
    assert.deepEqual(who.body, { actor: 'bob@console-test', namespaces: ['*'], verbs: ['read'], canRollBack: false });
  });

  it('console-api.spa: the built app is served without a token, framing refused; the API is not', async () => {
    const page = await fetch(`${m.url}/timeline`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    const where = await fetch(`${m.adminUrl}/console-url`);
    assert.deepEqual(await where.json(), { url: m.url }, 'what `jetmesh dashboard` asks the admin port');
    const escape = await fetch(`${m.url}/..%2f..%2fpackage.json`);
    assert.match(await escape.text(), /<div id="root">/, 'a path out of the assets folder is the app, not a file');
  });

  it('console-api.history: the three changes with who, when, why and what', async () => {
    const { status, body } = await read('/history');
    assert.equal(status, 200);
    assert.equal(body.lastSeq, 3);
    assert.deepEqual(
      body.entries.map((e: { seq: number; actor: string; reason: string; resources: Array<{ kind: string; action: string }> }) => [e.seq, e.actor, e.reason, e.resources.map((r) => `${r.action} ${r.kind}`)]),
      [
        [1, 'alice@console-test', 'add reviews v1 and v2', ['created ServiceEntry', 'created WorkloadEntry', 'created WorkloadEntry']],
        [2, 'alice@console-test', 'subsets with mutual TLS', ['created DestinationRule']],
        [3, 'alice@console-test', 'canary: 20% to v2', ['created VirtualService']],
      ],
    );
  });

  it('console-api.at: resources and routes as they were at change #1 and at the end, as `jetmesh at` replays them', async () => {
    const then = await read('/resources?seq=1');
    assert.equal(then.body.seq, 1);
    assert.deepEqual(then.body.resources.map((r: { kind: string; name: string }) => `${r.kind}/${r.name}`), ['ServiceEntry/reviews', 'WorkloadEntry/reviews-v1', 'WorkloadEntry/reviews-v2']);
    const vs = await read('/resources?kind=VirtualService&namespace=default');
    assert.equal(vs.body.resources.length, 1);
    assert.equal(vs.body.resources[0].resourceVersion, 3);
    assert.match(vs.body.resources[0].yaml, /resourceVersion: "3"/);
    assert.match(vs.body.resources[0].yaml, /weight: 20/);

    const routesThen = await read('/routes?seq=1');
    const reviewsThen = routesThen.body.routes.find((r: { snapshot: { host: string } }) => r.snapshot.host === REVIEWS_HOST);
    assert.deepEqual(reviewsThen.snapshot.routes.at(-1).destinations.map((d: { subset?: string; weight: number }) => [d.subset ?? null, d.weight]), [[null, 100]]);
    const routesNow = await read('/routes');
    const reviewsNow = routesNow.body.routes.find((r: { snapshot: { host: string } }) => r.snapshot.host === REVIEWS_HOST);
    assert.deepEqual(reviewsNow.snapshot.routes.at(-1).destinations.map((d: { subset?: string; weight: number }) => [d.subset, d.weight]), [['v1', 80], ['v2', 20]]);

    const pastEnd = await read('/routes?seq=99');
    assert.equal(pastEnd.status, 404);
    assert.deepEqual(pastEnd.body.error.lines, ['change #99 is past the end of the log (#3)']);
  });

  it('console-api.proxies: a workload\'s proxies as they are now; the workload must be named', async () => {
    const missing = await read('/proxies?namespace=default');
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.error.lines, ["name: required, the workload's name"]);
    const none = await read('/proxies?namespace=default&name=reviews-v1');
    assert.equal(none.status, 200);
    assert.deepEqual({ sidecars: none.body.sidecars, xds: none.body.xds, pilots: none.body.pilots }, { sidecars: [], xds: [], pilots: 1 }, 'a WorkloadEntry with no sidecar: nobody answers, pilot does');
  });

  it('console-api.topology: the canary weights and mutual TLS on the edges at the end, the plain pool at change #1', async () => {
    const edges = (body: { edges: Array<{ target: string; weight?: number; subset?: string; tlsMode?: string }> }) =>
      body.edges.map((e) => [e.target, e.subset ?? null, e.weight ?? null, e.tlsMode ?? null]);
    const now = await read('/topology');
    assert.equal(now.body.traffic, 'unavailable', 'no telemetry runs in this mesh');
    assert.deepEqual(edges(now.body), [
      ['workload:WorkloadEntry default/reviews-v1', 'v1', 80, 'ISTIO_MUTUAL'],
      ['workload:WorkloadEntry default/reviews-v2', 'v2', 20, 'ISTIO_MUTUAL'],
    ]);
    const then = await read('/topology?seq=1');
    assert.equal(then.body.traffic, 'past');
    assert.deepEqual(edges(then.body), [
      ['workload:WorkloadEntry default/reviews-v1', null, 100, null],
      ['workload:WorkloadEntry default/reviews-v2', null, 100, null],
    ]);
  });

  it('console-api.diff: from #1 to #3 the DestinationRule and VirtualService were added and the reviews routing changed', async () => {
    const { body } = await read('/diff?from=1&to=3');
    assert.deepEqual(body.config.map((d: { change: string; ref: { kind: string } }) => `${d.change} ${d.ref.kind}`), ['added DestinationRule', 'added VirtualService']);
    assert.deepEqual(body.routing.map((d: { change: string; host: string }) => `${d.change} ${d.host}`), [`changed ${REVIEWS_HOST}`]);
  });

  it('console-api.rollback: a read-only token is refused with the reason; a preview changes nothing; then change #4 restores #2 with its reason', async () => {
    const refused = await call('/rollback', { token: m.readerToken, body: { toSequence: 2, reason: 'canary too hot', dryRun: true } });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body.error.lines, ['bob@console-test may not apply in namespace * (all namespaces)']);

    const noReason = await call('/rollback', { token: m.writerToken, body: { toSequence: 2, reason: ' ', dryRun: true } });
    assert.equal(noReason.status, 422);

    const preview = await call('/rollback', { token: m.writerToken, body: { toSequence: 2, reason: 'canary too hot', dryRun: true } });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.equal(preview.body.sequence, 0);
    assert.deepEqual(preview.body.changes.map((c: { action: string; ref: { kind: string } }) => `${c.action} ${c.ref.kind}`), ['deleted VirtualService']);
    assert.equal((await read('/history')).body.lastSeq, 3, 'a preview records nothing');

    const applied = await call('/rollback', { token: m.writerToken, body: { toSequence: 2, reason: 'canary too hot', dryRun: false } });
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    assert.equal(applied.body.sequence, 4);
    const fourth = (await read('/history')).body.entries.at(-1);
    assert.equal(fourth.seq, 4);
    assert.equal(fourth.rollbackOf, 2);
    assert.equal(fourth.reason, 'canary too hot');
    assert.equal(fourth.actor, 'alice@console-test', "galley records the token's holder, not the console");

    const audit = await read('/audit');
    assert.equal(audit.body.intact, true);
    assert.equal(audit.body.changes, 4);
  });
});
