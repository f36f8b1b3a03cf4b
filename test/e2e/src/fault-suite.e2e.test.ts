import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { caChannelCredentials, type ConfigClient, createCaClient, createConfigClient } from '@jetmesh/rpc';
import { eventually, freePort, type MeshProcesses, type ProxyProcess, startMeshProcesses, startProxyProcess } from '@jetmesh/testing';
import { checkHistoryAndState, type ExpectedState, resourceName, retrySummary, runWriters, serviceEntriesYaml, type Write } from './fixtures/acknowledged-writers.js';
import { followHosts, type VersionWatcher, watchProxy, watchXds } from './fixtures/version-watchers.js';

/*
 * Issue 12's fault suite on one nats-server: 4 writers x 100 changes over 2 galleys while the test
 * SIGKILLs and restarts, in turn, a galley, a pilot, the citadel and the nats-server (same store).
 * Beside them 2 pilots, 3 xDS clients and a `jetmesh proxy` record every version they are given.
 */

const NAMESPACE = 'faults';
const WRITERS = 4;
const CHANGES_PER_WRITER = 100;
const RESOURCES_PER_WRITER = 10;
/** Faults land once this many writes are acknowledged (each after the one before it is over). */
const FAULT_AT_ACKS = [30, 90, 150, 210] as const;
/** Writers hold their last changes until every fault is over, so writes go on after the last restart. */
const HOLD_BEFORE_INDEX = 90;
const PACE_MS = 100;
/** A downed process stays down this long before it is started again. */
const DOWN_MS = 500;
const CONVERGE_MS = 5_000;
const CALL_DEADLINE_MS = 5_000;
const XDS_CLIENTS = 3;

const names = Array.from({ length: WRITERS * RESOURCES_PER_WRITER }, (_, i) => resourceName(Math.floor(i / RESOURCES_PER_WRITER), i, RESOURCES_PER_WRITER));

const grpcCode = (err: unknown): number | undefined => (err as { code?: number }).code;

describe('fault suite: one nats-server, 2 galleys, 2 pilots, citadel, 3 xDS clients and a proxy while each process is SIGKILLed and restarted in turn', () => {
  let mesh: MeshProcesses | undefined;
  let proxy: ProxyProcess | undefined;
  const clients: ConfigClient[] = [];
  const watchers: VersionWatcher[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'jetmesh-fault-suite-'));
  after(async () => {
    for (const w of watchers) await w.close();
    for (const c of clients) c.close();
    await proxy?.stop();
    await mesh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('faults.kill-each: every acknowledged write once in history, the state is the last writes, every client converges within 5 s of the last restart and never goes back, a CSR fails while citadel is down and succeeds after', { timeout: 120_000 }, async (t) => {
    const startedAt = Date.now();
    mesh = await startMeshProcesses({ natsUsers: true, services: ['galley', 'pilot', 'citadel'], replicas: { galley: 2, pilot: 2 } });
    const m = mesh;
    const setup = await m.cli(['apply', '-f', '-'], serviceEntriesYaml(NAMESPACE, names));
    assert.equal(setup.code, 0, setup.stderr);
    for (let w = 0; w < WRITERS; w++) clients.push(createConfigClient(m.galleyAddresses[w % m.galleyAddresses.length] as string, { actor: `writer-${w}`, deadlineMs: CALL_DEADLINE_MS }));

    // The CA side: a token and CSR of one workload, and the root to trust.
    const token = (sa: string) => m.cli(['token', 'create', '--namespace', NAMESPACE, '--service-account', sa, '--ttl', '1h']);
    const csrToken = await token('csr-client');
    assert.equal(csrToken.code, 0, csrToken.stderr);
    const root = await m.cli(['ca', 'root']);
    assert.equal(root.code, 0, root.stderr);
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-subj', '/', '-addext', `subjectAltName=URI:spiffe://cluster.local/ns/${NAMESPACE}/sa/csr-client`, '-out', 'csr.pem'], { cwd: dir, stdio: 'pipe' });
    const csr = readFileSync(join(dir, 'csr.pem'), 'utf8');
    const ca = createCaClient(m.env.JETMESH_CITADEL_ADDRESS as string, { credentials: caChannelCredentials({ rootsPem: root.stdout }), token: csrToken.stdout.trim(), serverName: 'localhost', deadlineMs: 2_000 });
    const issued = await ca.createCertificate({ csr, validityDuration: 3600 });
    assert.equal(issued.certChain.at(-1)?.trim(), root.stdout.trim(), 'the chain ends in the root');

    // The clients: xDS probes spread over both pilots, and a sidecar following every written host.
    for (let c = 0; c < XDS_CLIENTS; c++) watchers.push(watchXds(`xds-client-${c}`, m.pilotXdsAddresses, NAMESPACE, names, c));
    const proxyToken = await token('client');
    assert.equal(proxyToken.code, 0, proxyToken.stderr);
    proxy = await startProxyProcess(m, { service: 'client', namespace: NAMESPACE, labels: { app: 'client' }, port: 9080, appPort: await freePort(), token: proxyToken.stdout.trim(), stateDir: join(dir, 'proxy') });
    await followHosts(proxy, NAMESPACE, names);
    watchers.push(watchProxy(proxy, NAMESPACE, names));
    const setUpAt = Date.now();

    let acks = 0;
    const ackWaiters: { at: number; wake: () => void }[] = [];
    const ackedAt = (at: number): Promise<void> => (acks >= at ? Promise.resolve() : new Promise((wake) => ackWaiters.push({ at, wake })));
    const onAck = (): void => {
      acks += 1;
      for (const w of ackWaiters.filter((x) => acks >= x.at)) {
        ackWaiters.splice(ackWaiters.indexOf(w), 1);
        w.wake();
      }
    };

    const log: string[] = [];
    let lastRestartAt = 0;
    let csrWhileDown: unknown;
    let csrAfter: { code?: number; at: number; attempts: number } | undefined;
    const faults = (async () => {
      const down = async (what: string, at: number, kill: () => Promise<void>, start: () => Promise<void>, whileDown?: () => Promise<void>): Promise<void> => {
        await ackedAt(at);
        const killedAt = Date.now();
        const killedAcks = acks;
        await kill();
        await whileDown?.();
        await sleep(DOWN_MS);
        await start();
        lastRestartAt = Date.now();
        log.push(`${what} killed at ${killedAcks} acks, up again after ${lastRestartAt - killedAt} ms (${acks - killedAcks} acks meanwhile)`);
      };
      await down('galley 1', FAULT_AT_ACKS[0], () => m.killService('galley', 1), () => m.startService('galley', 1));
      await down('pilot 0', FAULT_AT_ACKS[1], () => m.killService('pilot', 0), () => m.startService('pilot', 0));
      let retrying: Promise<void> | undefined;
      await down(
        'citadel',
        FAULT_AT_ACKS[2],
        () => m.killService('citadel'),
        async () => {
          await m.startService('citadel');
          await retrying;
        },
        async () => {
          csrWhileDown = await ca.createCertificate({ csr, validityDuration: 3600 }).then(
            () => undefined,
            (err: unknown) => err,
          );
          // A workload's retry loop: it gets through once citadel is back.
          retrying = (async () => {
            for (let attempts = 1; ; attempts++) {
              try {
                const res = await ca.createCertificate({ csr, validityDuration: 3600 });
                assert.equal(res.certChain.at(-1)?.trim(), root.stdout.trim(), 'after the restart the chain still ends in the same root');
                csrAfter = { at: Date.now(), attempts };
                return;
              } catch (err) {
                if (err instanceof assert.AssertionError) throw err;
                if (attempts > 100) throw err;
                await sleep(100);
              }
            }
          })();
        },
      );
      await down('nats-server', FAULT_AT_ACKS[3], () => m.nats.kill(), () => m.nats.restart());
    })();
    faults.catch(() => undefined);

    const writes: Write[] = [];
    const writing = runWriters(clients, {
      namespace: NAMESPACE,
      writers: WRITERS,
      changesPerWriter: CHANGES_PER_WRITER,
      resourcesPerWriter: RESOURCES_PER_WRITER,
      giveUpMs: 40_000,
      paceMs: PACE_MS,
      holdBefore: { index: HOLD_BEFORE_INDEX, until: faults },
      onAck,
    }, writes);
    writing.catch(() => undefined);
    await Promise.race([faults, writing.then(() => assert.fail('the writers finished before the faults did'))]);
    await writing;
    const writtenAt = Date.now();

    // Citadel's kill was seen by a caller: refused while down, issued once back.
    assert.ok(csrWhileDown !== undefined, 'a CSR while citadel is down fails');
    assert.ok([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED].includes(grpcCode(csrWhileDown) ?? -1), `CSR while down: ${(csrWhileDown as Error).message}`);
    assert.ok(csrAfter !== undefined, 'the retried CSR succeeded after the restart');

    // What the acknowledgements say the final state is; history and the stored state must agree (checked below).
    const expected = new Map<string, { index: number; seq: number }>();
    for (const w of writes) if ((expected.get(w.resource)?.index ?? -1) < w.index) expected.set(w.resource, { index: w.index, seq: w.sequence });
    const lastAckAt = Math.max(...writes.map((w) => w.ackedAt));
    const settledFrom = Math.max(lastRestartAt, lastAckAt);
    await eventually(
      () => (watchers.every((w) => w.behind(expected).length === 0) ? true : undefined),
      `every client on the last writes`,
      Math.max(0, settledFrom + CONVERGE_MS - Date.now()),
    ).catch((err: Error) => {
      throw new Error(`${err.message} (within ${CONVERGE_MS} ms of the last restart or ack):\n${watchers.map((w) => `${w.name}: ${w.behind(expected).slice(0, 5).join('; ') || 'converged'}`).join('\n')}`);
    });
    const convergedAt = Date.now();

    for (const w of watchers) {
      assert.ok(w.seen.length > 0, `${w.name} received versions`);
      assert.deepEqual(w.backwards(), [], `${w.name}: no version goes backwards`);
    }

    const fromHistory: ExpectedState = await checkHistoryAndState(m, NAMESPACE, writes, WRITERS * CHANGES_PER_WRITER);
    assert.deepEqual(Object.fromEntries([...fromHistory].sort()), Object.fromEntries([...expected].sort()));
    ca.close();

    t.diagnostic(
      `${Date.now() - startedAt} ms (set-up ${setUpAt - startedAt} ms, writes ${writtenAt - setUpAt} ms); ${log.join('; ')}; ${retrySummary(writes)}; ` +
        `converged ${convergedAt - settledFrom} ms after the last restart or ack; CSR while down: ${grpc.status[grpcCode(csrWhileDown) ?? -1]}, after: attempt ${csrAfter.attempts}; ` +
        `versions seen: ${watchers.map((w) => `${w.name} ${w.seen.length}`).join(', ')}`,
    );
  });
});
