import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { left, right } from 'fp-ts/lib/Either.js';
import { connectBus, openSnapshotStore, provisionMesh, snapshotKeyForHost, snapshotKeyForWorkload, type Bus, type SnapshotStore } from '@jetmesh/bus';
import { createLogger, type Logger } from '@jetmesh/log';
import { formatVersion, type VersionedSnapshot } from '@jetmesh/model';
import { eventually, freePort, startNatsServer, type NatsServerHandle } from '@jetmesh/testing';
import { createSnapshotFollower, type HostSnapshotDecoder, type SnapshotFollower, type SnapshotFollowerOptions, type Versioned, type WorkloadSnapshotDecoder } from '../src/snapshots/snapshot-follower.js';

const REVIEWS = 'reviews.default.svc.cluster.local';
const RATINGS = 'ratings.default.svc.cluster.local';
const SELF = { namespace: 'default', name: 'productpage-1' };

interface TestWorkloadSnapshot extends Versioned {
  readonly snapshot: { readonly workload: { readonly namespace: string; readonly name: string }; readonly mtls: { readonly mode: string } };
}

const routing = (host: string, config: number, registry = 0): VersionedSnapshot => ({
  version: { config, registry },
  contentHash: `hash-${host}-${config}-${registry}`,
  snapshot: { host, ports: [], sources: {}, routes: [], subsets: [], endpoints: [], warnings: [] },
});
const inbound = (config: number, mode = 'STRICT'): TestWorkloadSnapshot => ({
  version: { config, registry: 0 },
  contentHash: `hash-self-${config}-${mode}`,
  snapshot: { workload: SELF, mtls: { mode } },
});

const versionOf = (u: unknown): string[] => {
  const v = (u as { version?: { config?: unknown; registry?: unknown } } | null)?.version;
  return Number.isInteger(v?.config) && Number.isInteger(v?.registry) ? [] : ['version: must be {config, registry} integers'];
};

// Stand-ins for the model's decoders: shape of the version, and the key it was read for.
const decodeHost: HostSnapshotDecoder = (u, host) => {
  const reasons = [...versionOf(u), ...((u as VersionedSnapshot | null)?.snapshot?.host === host ? [] : [`snapshot.host: must be ${host}`])];
  return reasons.length > 0 ? left(reasons) : right(u as VersionedSnapshot);
};
const decodeWorkload: WorkloadSnapshotDecoder<TestWorkloadSnapshot> = (u, expected) => {
  const w = (u as TestWorkloadSnapshot | null)?.snapshot?.workload;
  const reasons = [...versionOf(u), ...(w?.namespace === expected.namespace && w.name === expected.name ? [] : ['snapshot.workload: another workload'])];
  return reasons.length > 0 ? left(reasons) : right(u as TestWorkloadSnapshot);
};

/** A TCP relay in front of nats-server, so a test can cut one client off while others still reach the server. */
interface Relay {
  readonly url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startRelay(targetPort: number): Promise<Relay> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `nats://127.0.0.1:${port}`,
    cut: () => {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      open = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Log lines a follower wrote, parsed. */
function capturedLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger('proxy-snapshots-test', 'debug', {
    write: (line: string) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { log, lines };
}

describe('snapshot follower over a real nats-server', () => {
  let nats: NatsServerHandle;
  let writer: Bus;
  let store: SnapshotStore;
  let quiet: Logger;
  const cleanups: Array<() => Promise<unknown>> = [];

  const write = async (key: string, value: unknown): Promise<number> => {
    const current = await store.get(key);
    const written = await store.put(key, value, current?.revision ?? 'absent');
    if (written._tag === 'Left') throw new Error(`put ${key}: ${written.left.code}`);
    return written.right.revision;
  };
  const stateDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'proxy-snapshots-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const follower = async (dir: string, bus: Bus | undefined, log: Logger = quiet, onValue?: SnapshotFollowerOptions<TestWorkloadSnapshot>['onValue']): Promise<SnapshotFollower<TestWorkloadSnapshot>> => {
    const f = await createSnapshotFollower({ ...(bus === undefined ? {} : { bus }), ...(onValue === undefined ? {} : { onValue }), stateDir: dir, workload: SELF, log, decodeHost, decodeWorkload, retry: { initialMs: 100, maxMs: 1_000 } });
    cleanups.push(() => f.stop());
    return f;
  };
  const proxyBus = async (url: string): Promise<Bus> => {
    const bus = await connectBus(url, quiet, { name: 'proxy-under-test' });
    cleanups.push(() => bus.close());
    return bus;
  };
  const versionHeld = (f: SnapshotFollower<TestWorkloadSnapshot>, host: string): string | undefined => {
    const held = f.host(host);
    return held === undefined ? undefined : formatVersion(held.version);
  };
  const held = (f: SnapshotFollower<TestWorkloadSnapshot>, host: string, version: string): Promise<true> =>
    eventually(async () => (versionHeld(f, host) === version ? true : undefined), `${host} at ${version} (holding ${versionHeld(f, host)})`, 10_000);

  before(async () => {
    nats = await startNatsServer();
    quiet = createLogger('proxy-snapshots-test', process.env.JETMESH_TEST_LOG_LEVEL ?? 'silent');
    writer = await connectBus(nats.url, quiet, { name: 'pilot-stand-in' });
    await provisionMesh(writer);
    store = await openSnapshotStore(writer);
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await writer?.close();
    await nats?.dispose();
  });

  test('snapshots.follow: a host is followed from its first ask and its updates arrive; the own workload key from the start', async () => {
    await write(snapshotKeyForWorkload(SELF.namespace, SELF.name), inbound(1));
    const f = await follower(await stateDir(), await proxyBus(nats.url));
    const changed: string[] = [];
    f.onChange((key) => changed.push(key));
    await eventually(async () => f.workload(), 'the workload snapshot');
    assert.equal(f.workload()?.snapshot.mtls.mode, 'STRICT');

    assert.equal(f.host(REVIEWS), undefined, 'nothing published yet: a miss');
    assert.deepEqual(f.hosts(), [REVIEWS]);
    await f.attached();
    await write(snapshotKeyForHost(REVIEWS), routing(REVIEWS, 3, 1));
    await held(f, REVIEWS, '3.1');
    await write(snapshotKeyForHost(REVIEWS), routing(REVIEWS, 4, 1));
    await held(f, REVIEWS, '4.1');
    await write(snapshotKeyForWorkload(SELF.namespace, SELF.name), inbound(2, 'PERMISSIVE'));
    await eventually(async () => (f.workload()?.snapshot.mtls.mode === 'PERMISSIVE' ? true : undefined), 'the workload update');
    assert.ok(changed.includes(snapshotKeyForHost(REVIEWS)) && changed.includes(snapshotKeyForWorkload(SELF.namespace, SELF.name)), changed.join(', '));
    assert.equal(f.host('not a host!'), undefined);
    assert.deepEqual(f.hosts(), [REVIEWS], 'an invalid name is not followed');
  });

  test('snapshots.refuse: an older version and an undecodable value are ignored, counted and logged once with the reasons; the last good stays', async () => {
    const { log, lines } = capturedLogger();
    const host = 'details.default.svc.cluster.local';
    const key = snapshotKeyForHost(host);
    await write(key, routing(host, 5, 2));
    const outcomes: string[] = [];
    const f = await follower(await stateDir(), await proxyBus(nats.url), log, (kind, result) => outcomes.push(`${kind} ${result}`));
    f.follow(host);
    await held(f, host, '5.2');

    await write(key, routing(host, 5, 1));
    await eventually(async () => (f.stats().stale === 1 ? true : undefined), 'the older version counted');
    await write(key, { version: { config: 9, registry: 0 }, contentHash: 'x', snapshot: { host: 'elsewhere.example.com' } });
    await write(key, { junk: true });
    await eventually(async () => (f.stats().refused === 2 ? true : undefined), 'two undecodable values counted');
    assert.equal(versionHeld(f, host), '5.2', 'the last good is kept');

    await write(key, routing(host, 5, 2)); // same version again: not older, accepted
    await write(key, routing(host, 6, 0));
    await held(f, host, '6.0');
    // What /stats counts (jetmesh_proxy_snapshots_total); the same value offered again is not news.
    assert.deepEqual(outcomes.filter((o) => o.startsWith('host ')), ['host applied', 'host stale', 'host invalid', 'host invalid', 'host applied']);
    const refusals = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith(`snapshot ${key} `));
    assert.deepEqual(
      refusals.map((l) => l.msg),
      [
        `snapshot ${key} ignored: version 5.1 is older than the held 5.2`,
        `snapshot ${key} refused: snapshot.host: must be ${host}`,
        `snapshot ${key} refused: version: must be {config, registry} integers; snapshot.host: must be ${host}`,
      ],
    );
    assert.deepEqual(refusals[2]?.reasons, ['version: must be {config, registry} integers', `snapshot.host: must be ${host}`]);
  });

  test('snapshots.delete: a key deleted in KV is a miss, and leaves the disk cache', async () => {
    const dir = await stateDir();
    const key = snapshotKeyForHost(RATINGS);
    const revision = await write(key, routing(RATINGS, 7));
    const f = await follower(dir, await proxyBus(nats.url));
    f.follow(RATINGS);
    await held(f, RATINGS, '7.0');
    await eventually(async () => ((await readdir(join(dir, 'snapshots')).catch((): string[] => [])).includes(`${key}.json`) ? true : undefined), 'the disk copy');
    const removed = await store.remove(key, revision);
    assert.equal(removed._tag, 'Right');
    await eventually(async () => (f.host(RATINGS) === undefined ? true : undefined), 'the host gone');
    await eventually(async () => (!(await readdir(join(dir, 'snapshots'))).includes(`${key}.json`) ? true : undefined), 'the disk copy removed');
    await write(key, routing(RATINGS, 8));
    await held(f, RATINGS, '8.0');
  });

  test('snapshots.restart: survives a nats-server restart and catches up with a write made while it was cut off', async () => {
    const host = 'catalog.shop.svc.cluster.local';
    const key = snapshotKeyForHost(host);
    await write(key, routing(host, 10));
    const relay = await startRelay(nats.port);
    cleanups.push(() => relay.close());
    const f = await follower(await stateDir(), await proxyBus(relay.url));
    f.follow(host);
    await held(f, host, '10.0');

    relay.cut();
    await nats.restart();
    await write(key, routing(host, 11)); // the writer reconnected directly; the follower cannot hear this
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(versionHeld(f, host), '10.0', 'still serving the last good while cut off');
    relay.restore();
    await held(f, host, '11.0');
    await write(key, routing(host, 12));
    await held(f, host, '12.0');
  });

  test('snapshots.disk: a proxy starting without NATS serves from disk, then follows the hosts found there once NATS is attached', async () => {
    const dir = await stateDir();
    const host = 'orders.shop.svc.cluster.local';
    const key = snapshotKeyForHost(host);
    const selfKey = snapshotKeyForWorkload(SELF.namespace, SELF.name);
    await write(key, routing(host, 20));
    const first = await follower(dir, await proxyBus(nats.url));
    first.follow(host);
    await held(first, host, '20.0');
    await eventually(async () => first.workload(), 'the workload snapshot');
    const workloadVersion = formatVersion(first.workload()!.version);
    await first.stop();
    const files = await readdir(join(dir, 'snapshots'));
    assert.deepEqual(files.sort(), [`${key}.json`, `${selfKey}.json`].sort(), 'one file per key, no temp files left');

    const offline = await follower(dir, undefined);
    assert.deepEqual(offline.hosts(), [host], 'hosts found on disk are followed');
    assert.equal(versionHeld(offline, host), '20.0', 'served from disk with no NATS');
    assert.equal(formatVersion(offline.workload()!.version), workloadVersion);

    await write(key, routing(host, 21));
    const changed: string[] = [];
    offline.onChange((k) => changed.push(k));
    offline.attach(await proxyBus(nats.url));
    await eventually(async () => (changed.includes(key) ? true : undefined), 'the disk host followed on NATS');
    assert.equal(versionHeld(offline, host), '21.0');
    const onDisk = JSON.parse(await readFile(join(dir, 'snapshots', `${key}.json`), 'utf8')) as { value: VersionedSnapshot };
    await eventually(async () => {
      const now = JSON.parse(await readFile(join(dir, 'snapshots', `${key}.json`), 'utf8')) as { value: VersionedSnapshot };
      return now.value.version.config === 21 ? true : undefined;
    }, 'the disk copy updated');
    assert.ok(onDisk.value.snapshot.host === host);
  });

  test('snapshots.disk: a corrupt or foreign cache file is ignored with a warning; the others load', async () => {
    const dir = await stateDir();
    const cacheDir = join(dir, 'snapshots');
    await mkdir(cacheDir, { recursive: true });
    const good = snapshotKeyForHost(REVIEWS);
    await writeFile(join(cacheDir, `${good}.json`), JSON.stringify({ key: good, revision: 3, savedAt: '', value: routing(REVIEWS, 2) }));
    await writeFile(join(cacheDir, `${snapshotKeyForHost(RATINGS)}.json`), '{"key": "host.ratings.def');
    const misfiled = snapshotKeyForHost('details.default.svc.cluster.local');
    await writeFile(join(cacheDir, `${misfiled}.json`), JSON.stringify({ key: misfiled, revision: 3, value: routing(REVIEWS, 2) }));
    await writeFile(join(cacheDir, `${good}.json.123.1.tmp`), 'half-written');
    const { log, lines } = capturedLogger();
    const f = await follower(dir, undefined, log);
    assert.equal(versionHeld(f, REVIEWS), '2.0');
    assert.equal(versionHeld(f, RATINGS), undefined);
    assert.equal(versionHeld(f, 'details.default.svc.cluster.local'), undefined, 'a value for another host is refused by the decoder');
    assert.ok(lines.some((l) => l.level === 'warn' && String(l.msg).startsWith('cached snapshot is corrupt')), 'the corrupt file is warned about');
    assert.ok(!(await readdir(cacheDir)).some((n) => n.endsWith('.tmp')), 'a leftover temp file is removed');
  });
});
