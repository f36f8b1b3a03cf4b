import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectBus, Streams } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import type { HistoryEntry, VersionedSnapshot } from '@jetmesh/model';
import { type MeshProcesses, type RunResult, cliEntry, eventually, repoRoot, runProcess, startMeshProcesses } from '@jetmesh/testing';

const example = readFileSync(join(repoRoot, 'examples', 'bookinfo-reviews.yaml'), 'utf8');
const ACTORS = ['alice@ops', 'bob@dev', 'carol@sre'] as const;
const CHANGES = 20;

const route = (v1: number) => `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews-route}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: ${v1}}
    - {destination: {host: reviews, subset: v2}, weight: ${100 - v1}}
`;
const leastRequest = `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
`;
const v2OnNewPort = `apiVersion: networking.istio.io/v1beta1
kind: WorkloadEntry
metadata: {name: reviews-v2}
spec: {address: 127.0.0.1, ports: {http: 19092}, labels: {app: reviews, version: v2}, serviceAccount: bookinfo-reviews}
`;

/** Change n of the scenario: every one changes what routing to reviews looks like (weights never repeat). */
const manifest = (n: number): string => (n === 1 ? example : n === 7 ? leastRequest : n === 13 ? v2OnNewPort : route(99 - 4 * n));

type RoutesJson = VersionedSnapshot & { revision?: number };

/**
 * The privileged path a tamper test needs: MESH_CONFIG denies deleting or purging messages, and
 * nats-server 2.9 refuses to lift deny_delete/deny_purge on an existing stream. An account
 * allowed to use the JetStream admin API can still delete the whole stream and recreate it with
 * the same config, then publish every message again in order (same sequences) with one edited.
 * A real attacker with that permission could do the same; the hash chain is what shows it.
 */
async function rewriteStoredChange(natsUrl: string, seq: number, edit: (changeSet: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  const bus = await connectBus(natsUrl, createLogger('tamper', 'silent'), { name: 'privileged-admin' });
  try {
    const { config, state } = await bus.jsm.streams.info(Streams.config);
    const messages = [];
    for (let s = 1; s <= state.last_seq; s++) {
      const m = await bus.jsm.streams.getMessage(Streams.config, { seq: s });
      assert.ok(m !== null, `MESH_CONFIG #${s} exists`);
      messages.push(m);
    }
    await bus.jsm.streams.delete(Streams.config);
    await bus.jsm.streams.add(config);
    for (const [i, m] of messages.entries()) {
      const data = i + 1 === seq ? new TextEncoder().encode(JSON.stringify(edit(m.json<Record<string, unknown>>()))) : m.data;
      const ack = await bus.js.publish(m.subject, data);
      assert.equal(ack.seq, i + 1, 'republished at its original sequence');
    }
  } finally {
    await bus.close();
  }
}

describe('time travel: history, at, diff, rollback and audit over real processes', () => {
  let mesh: MeshProcesses;
  /** `routes reviews -o json` as the CLI showed it right after each change, by sequence. */
  const live = new Map<number, RoutesJson>();

  const cli = (args: string[], actor: string = ACTORS[0], input?: string): Promise<RunResult> =>
    runProcess(process.execPath, [cliEntry, ...args], { env: { ...mesh.env, JETMESH_ACTOR: actor }, cwd: repoRoot, timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });

  const routesAt = (seq: number): Promise<RoutesJson> =>
    eventually(async () => {
      const r = await cli(['routes', 'reviews', '-o', 'json']);
      if (r.code !== 0) return undefined;
      const snap = JSON.parse(r.stdout) as RoutesJson;
      return snap.version.config >= seq ? snap : undefined;
    }, `routes for reviews at change #${seq}`);

  before(async () => {
    mesh = await startMeshProcesses();
  });
  after(async () => {
    await mesh?.stop();
  });

  it('history.twenty-changes: 20 changes by 3 actors are listed in order with their actors and reasons', async () => {
    for (let n = 1; n <= CHANGES; n++) {
      const r = await cli(['apply', '-f', '-', '--reason', `change ${n}`], ACTORS[(n - 1) % 3], manifest(n));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`recorded as change #${n}$`, 'm'));
      live.set(n, await routesAt(n));
    }
    const r = await cli(['history', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const history = JSON.parse(r.stdout) as HistoryEntry[];
    assert.deepEqual(
      history.map((e) => [e.seq, e.actor, e.reason]),
      Array.from({ length: CHANGES }, (_, i) => [i + 1, ACTORS[i % 3], `change ${i + 1}`]),
    );
    assert.equal(history[0]?.resources.length, 6);
    assert.deepEqual(history[6]?.resources, [{ kind: 'DestinationRule', namespace: 'default', name: 'reviews', action: 'configured' }]);
    const table = await cli(['history', 'wE/reviews-v2', '--actor', ACTORS[0]]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^SEQ\s+TIME\s+ACTOR\s+ACTION\s+RESOURCES\s+REASON$/m);
    assert.match(table.stdout, /^13\s+\S+\s+alice@ops\s+apply\s+configured WorkloadEntry default\/reviews-v2\s+change 13$/m);
  });

  it('at.each-sequence: the routes replayed as of every change equal what routes showed live then', async () => {
    for (let n = 1; n <= CHANGES; n++) {
      const r = await cli(['at', String(n), 'routes', 'reviews', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const replayed = JSON.parse(r.stdout) as RoutesJson;
      const seen = live.get(n);
      assert.deepStrictEqual(replayed.snapshot, seen?.snapshot, `routes at #${n}`);
      assert.equal(replayed.contentHash, seen?.contentHash);
      assert.equal(replayed.version.config, n);
      assert.match(r.stderr, new RegExp(`^# as of #${n}: change #${n}, recorded \\S+ by ${ACTORS[(n - 1) % 3]}$`, 'm'));
    }
  });

  it('at.get: a past resource renders as get renders it, with the version it had then', async () => {
    const r = await cli(['at', '6', 'get', 'vs']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+HOSTS\s+VERSION$/m);
    assert.match(r.stdout, /^reviews-route\s+\["reviews"\]\s+6$/m);
    const json = await cli(['at', '6', 'get', 'virtualservice', 'reviews-route', '-o', 'json']);
    const doc = JSON.parse(json.stdout) as { metadata: { resourceVersion: string }; spec: { http: Array<{ route: Array<{ weight: number }> }> } };
    assert.equal(doc.metadata.resourceVersion, '6');
    assert.deepEqual(doc.spec.http[1]?.route.map((d) => d.weight), [75, 25]);
  });

  it('diff.between-points: config and routing differences between two changes, for one host', async () => {
    const r = await cli(['diff', '--from', '5', '--to', '6', 'reviews']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}~ VirtualService default\/reviews-route \(#5 → #6\)$/m);
    assert.match(r.stdout, /^ {6}spec\.http\[1\]\.route\[0\]\.weight: 79 → 75$/m);
    assert.match(r.stdout, /^ {2}~ reviews\.default\.svc\.cluster\.local$/m);
    assert.match(r.stdout, /^ {6}routes\[1\]\.destinations\[0\]\.weight: 79 → 75$/m);
  });

  it('rollback.to-5: one new change restores the routing of change 5; history shows it as change 21', async () => {
    const r = await cli(['rollback', '--to', '5', '--reason', 'the canary went wrong'], ACTORS[2]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^recorded as change #21 \(rollback to #5\)$/m);
    const now = await routesAt(21);
    assert.deepStrictEqual(now.snapshot, live.get(5)?.snapshot);
    const history = JSON.parse((await cli(['history', '-o', 'json'])).stdout) as HistoryEntry[];
    assert.equal(history.length, CHANGES + 1);
    assert.deepEqual(
      { seq: history[20]?.seq, action: history[20]?.action, rollbackOf: history[20]?.rollbackOf, actor: history[20]?.actor, reason: history[20]?.reason },
      { seq: 21, action: 'rollback', rollbackOf: 5, actor: ACTORS[2], reason: 'the canary went wrong' },
    );
    const same = await cli(['diff', '--from', '5', '--to', '21']);
    assert.equal(same.stdout, 'No differences.\n');
  });

  it('audit.intact: the untouched log verifies as one chain', async () => {
    const r = await cli(['audit', 'verify']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^chain intact \(21 changes\); head #21 [0-9a-f]{64}$/m);
  });

  it('audit.fork: a second writer\'s change stored on the same predecessor is named with both writers; writes wait for `audit repair`, which re-chains it as one new change', async () => {
    // What a clustered nats-server < 2.11 let through under the per-subject guard (see issue 16).
    const bus = await connectBus(mesh.nats.url, createLogger('fork', 'silent'), { name: 'racing-galley' });
    try {
      const last = (await bus.jsm.streams.getMessage(Streams.config, { seq: CHANGES + 1 })) ?? assert.fail('MESH_CONFIG #21');
      const sibling = { ...last.json<Record<string, unknown>>(), id: 'racing-write', actor: 'racer@galley-2' };
      assert.equal((await bus.js.publish(last.subject, JSON.stringify(sibling))).seq, CHANGES + 2);
    } finally {
      await bus.close();
    }
    const orphan = CHANGES + 1;
    const forkLine = new RegExp(`fork at #${orphan + 1}: #${orphan} \\([^)]+\\) and #${orphan + 1} \\(racer@galley-2\\) were both stored on #${orphan - 1}; #${orphan} is left out of the chain`);
    const verify = await cli(['audit', 'verify']);
    assert.equal(verify.code, 1, verify.stdout);
    assert.match(verify.stderr, new RegExp(`${forkLine.source}; not repaired: run \`jetmesh audit repair`));

    const refused = await eventually(async () => {
      const r = await cli(['apply', '-f', '-'], ACTORS[0], route(3));
      return r.code !== 0 ? r : undefined;
    }, 'galley to refuse writes on the forked log');
    assert.match(refused.stderr, /the config log forks: #22 \(racer@galley-2\) and #21 \([^)]+\) were stored on one predecessor; no change is recorded until `jetmesh audit repair` re-chains it/);

    const preview = await cli(['audit', 'repair', '--reason', 'fork after failover', '--dry-run']);
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stdout, /\(dry run\) would re-chain #21\n$/);
    const repaired = await cli(['audit', 'repair', '--reason', 'fork after failover']);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, forkLine);
    assert.match(repaired.stdout, /recorded as change #23 \(re-chains #21\)\n$/);

    const after = await cli(['audit', 'verify']);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, new RegExp(`${forkLine.source}; re-chained by repair #23`));
    assert.match(after.stdout, /^chain intact \(23 changes\); head #23 [0-9a-f]{64}$/m);
    const history = JSON.parse((await cli(['history', '-o', 'json'])).stdout) as HistoryEntry[];
    assert.deepEqual({ action: history.at(-1)?.action, repairs: history.at(-1)?.repairs, reason: history.at(-1)?.reason }, { action: 'repair', repairs: [21], reason: 'fork after failover' });
    assert.equal((await cli(['apply', '-f', '-'], ACTORS[0], route(3))).code, 0, 'writes resume');
  });

  it('audit.tamper: a stored change rewritten through a privileged connection is reported by sequence', async () => {
    await rewriteStoredChange(mesh.nats.url, 7, (cs) => ({ ...cs, reason: 'nothing to see here' }));
    const r = await cli(['audit', 'verify']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /^error: chain broken at #8: prev expected [0-9a-f]{64}, found [0-9a-f]{64}$/m);
    assert.match(r.stderr, /^error: #7 no longer hashes to what #8 recorded: #7 was altered/m);
  });
});
