import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, launchProcess, type ChildHandle } from '@jetmesh/testing';
import { bookinfo, reviewsRoute, startPilotHarness, type PilotHarness } from './pilot-harness.js';

const mainJs = fileURLToPath(new URL('../src/main.js', import.meta.url));
// Enough history that the replay takes a visible while.
const CHANGESETS = 3000;

describe('readiness', () => {
  let h: PilotHarness;
  let pilot: ChildHandle | undefined;
  let lastSeq = 0;

  before(async () => {
    h = await startPilotHarness();
    lastSeq = await h.log.apply(bookinfo(), 'bookinfo');
    for (let start = 1; start < CHANGESETS; start += 500) {
      const seqs = await Promise.all(Array.from({ length: Math.min(500, CHANGESETS - start) }, (_, i) => h.log.apply(reviewsRoute((start + i) % 101, 100 - ((start + i) % 101)))));
      lastSeq = Math.max(lastSeq, ...seqs);
    }
  });
  after(async () => {
    await pilot?.stop();
    await h.dispose();
  });

  test('readiness: /readyz answers 503 while the log replays, then 200 once snapshots are published', async () => {
    const adminPort = await freePort();
    pilot = launchProcess('node', [mainJs], {
      name: 'pilot',
      env: { JETMESH_NATS_URL: h.nats.url, JETMESH_ADMIN_PORT: String(adminPort), JETMESH_PILOT_XDS_PORT: String(await freePort()), JETMESH_LOG_LEVEL: 'info', JETMESH_PILOT_REPLICA: 'readiness-test' },
    });
    // Polled for the whole test, so a readiness that flips back after the first 200 shows up below.
    const answers: Array<{ status: number; body: string }> = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
          answers.push({ status: res.status, body: await res.text() });
        } catch (e) {
          // Not listening yet is expected; not answering once it did is an answer too.
          if (answers.length > 0) answers.push({ status: 0, body: String(e) });
        }
        await sleep(5);
      }
    })();
    try {
      const firstReady = (): number => answers.findIndex((a) => a.status === 200);
      const deadline = Date.now() + 30_000;
      while (firstReady() < 0) {
        assert.ok(Date.now() < deadline, `not ready within 30 s; answers: ${JSON.stringify(answers.slice(-3))}\n${pilot.output()}`);
        await sleep(5);
      }
      assert.equal(answers[0]?.status, 503, 'not ready at first');
      assert.match(answers[0]?.body ?? '', /^not ready: /);

      const caughtUp = JSON.parse((await pilot.waitForOutput(/\{[^\n]*caught up with the event log[^\n]*\}/))[0]) as { configSeq: number };
      assert.equal(caughtUp.configSeq, lastSeq);
      const published = JSON.parse((await pilot.waitForOutput(/\{[^\n]*snapshots published[^\n]*\}/))[0]) as { version: string; written: number };
      // The reviews host and the inbound snapshots of its three WorkloadEntries.
      assert.deepEqual([published.version, published.written], [`${lastSeq}.0`, 4]);

      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      assert.match(metrics, new RegExp(`pilot_stream_sequence\\{stream="config",service="pilot"\\} ${lastSeq}\\n`));
      assert.match(metrics, /pilot_snapshots_total\{outcome="written",service="pilot"\} 4\n/);
      assert.match(metrics, /jetmesh_consumer_lag_messages\{stream="config",service="pilot"\} 0\n/, 'caught up: nothing left to fold');
      assert.match(metrics, new RegExp(`pilot_events_folded_total\\{stream="config",service="pilot"\\} ${lastSeq}\\n`));

      // At least this many answers after the first 200, through the catch-up, publish and metrics above.
      while (answers.length - firstReady() < 50) await sleep(5);
      const afterReady = answers.slice(firstReady()).map((a) => a.status);
      assert.deepEqual(afterReady.filter((code) => code !== 200), [], `ready for good once ready: ${JSON.stringify(answers.slice(firstReady()).filter((a) => a.status !== 200).slice(0, 3))}`);
    } finally {
      polling = false;
      await poller;
    }

    assert.equal(await pilot.stop('SIGTERM'), 0, 'exits cleanly on SIGTERM');
  });
});
