import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { connectBus, openSnapshotStore, snapshotKeyForWorkload } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { eventually } from '@jetmesh/testing';
import { RATINGS_HOST, REVIEWS_HOST, startConsoleMesh, type ConsoleMesh } from './console-mesh.js';

/** Debian's chromium (apt-get install chromium); playwright-core downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(fileURLToPath(new URL('../..', import.meta.url)), 'test-artifacts');
const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium): the browser scenario is skipped`;
if (missing !== false) console.log(`# ${missing}`);

// Waits on what a user would see; playwright's own timeouts bound each step.
const STEP_MS = 15_000;

describe('console in a browser (headless Debian chromium over a real mesh)', { skip: missing }, () => {
  let m: ConsoleMesh;
  let browser: Browser;
  const shots: string[] = [];
  const shoot = async (page: Page, name: string): Promise<void> => {
    const path = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
  };
  const open = async (token: string): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    page.setDefaultTimeout(STEP_MS);
    await page.goto(`${m.url}/#token=${token}`);
    return page;
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    m = await startConsoleMesh({ traffic: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await m?.stop();
    for (const s of shots) console.log(`# screenshot: ${s}`);
  });

  it('console-browser.scenario: topology after three changes with live traffic on the call edge and a sidecar\'s sync status and certificate, the routes of change #1 (traffic: live only), diff #1↔#3, roll back to #2 as change #4 with its reason', async () => {
    // Known traffic: productpage → ratings through productpage's sidecar, once ratings' endpoint is routable.
    const t = m.traffic!;
    await eventually(async () => ((await t.drive(1))[0] === 200 ? true : undefined), 'productpage reaches ratings through its sidecar', 20_000);
    const statuses = await t.drive(60);
    assert.deepEqual(new Set(statuses), new Set([200]));
    const caller = `registry default/${t.productpage.name}`;
    await eventually(async () => {
      const res = await fetch(`${m.url}/api/v1/topology`, { headers: { authorization: `Bearer ${m.readerToken}` } });
      const body = (await res.json()) as { edges: Array<{ kind: string; source: string; traffic?: { rps: number } }> };
      return body.edges.some((e) => e.kind === 'call' && e.source === `workload:${caller}` && (e.traffic?.rps ?? 0) > 0) ? true : undefined;
    }, 'telemetry shows the productpage → ratings edge', 20_000);

    const page = await open(m.writerToken);
    const edges = page.getByTestId('edges');
    await edges.getByText('80%').waitFor();
    const rows = await edges.locator('tbody tr').allInnerTexts();
    const row = (pattern: RegExp): string => rows.find((r) => pattern.test(r)) ?? assert.fail(`no edge row matches ${pattern}:\n${rows.join('\n')}`);
    row(/reviews\.default\.svc\.cluster\.local\s+WorkloadEntry default\/reviews-v1\s+v1\s+80%\s+ISTIO_MUTUAL/);
    row(/WorkloadEntry default\/reviews-v2\s+v2\s+20%\s+ISTIO_MUTUAL/);
    row(new RegExp(`${RATINGS_HOST.replaceAll('.', '\\.')}\\s+registry default/${t.ratings.name}\\s+100%`));
    // 61 calls within the last minute: at least one per 60 s, none failed, a p99 from the duration buckets.
    const call = row(new RegExp(`^${caller}\\s+${RATINGS_HOST.replaceAll('.', '\\.')}\\s+call`));
    const figures = /(\d+\.\d\d) rps · (\d+\.\d)% err · p99 (\d+)ms/.exec(call) ?? assert.fail(`no traffic figures on the call edge: ${call}`);
    assert.ok(Number(figures[1]) >= 61 / 60, `rps ${figures[1]} counts the 61 calls over at most a minute`);
    assert.equal(figures[2], '0.0');
    assert.match(call, /mTLS on 100% \(seen\)/, 'sidecars talk mutual TLS, as the server side reported');
    assert.match(await page.getByTestId('traffic-note').innerText(), /live traffic/);
    assert.ok(!page.url().includes('token='), 'the token leaves the address bar at once');
    await shoot(page, 'topology');

    // The ratings sidecar: its snapshots against KV and its certificate, as it answers now.
    await edges.getByRole('button', { name: `registry default/${t.ratings.name}` }).click();
    const sidecar = page.getByTestId('node-details').getByTestId(`sidecar-${t.ratings.name}`);
    await sidecar.getByText('SYNCED').first().waitFor();
    const details = await sidecar.innerText();
    assert.match(details, new RegExp(`sidecar ${t.ratings.name}\\.default: SYNCED`));
    assert.match(details, /workload\.default\.ratings-v1-\d+\s+SYNCED\s+revision \d+/);
    assert.doesNotMatch(details, /STALE|NACKED/, 'no key behind or refused');
    const expiry = /certificate expires\s+(\S+) \((\d+h \d+m|\d+m) left\)/.exec(details) ?? assert.fail(`no certificate expiry: ${details}`);
    assert.ok(Date.parse(expiry[1]!) > Date.now(), `not-after ${expiry[1]} is ahead`);
    await shoot(page, 'node-details-sidecar');

    await page.getByRole('button', { name: 'Config' }).click();
    await page.getByRole('button', { name: 'VirtualService default/reviews-route' }).click();
    await page.getByText('weight: 20').waitFor();
    assert.match(await page.getByTestId('resources').innerText(), /VirtualService default\/reviews-route resourceVersion 3/);
    await shoot(page, 'config');

    await page.getByRole('button', { name: 'Timeline' }).click();
    await page.getByTestId('seq-slider').fill('1');
    await page.getByTestId('position').getByText('as of change #1 of 3').waitFor();
    const routesThen = page.getByTestId(`routes-${REVIEWS_HOST}`);
    await routesThen.getByText('100%').waitFor();
    assert.doesNotMatch(await routesThen.innerText(), /\(v1\)|\(v2\)/, 'no subsets at change #1');
    await shoot(page, 'timeline-at-1');

    // The topology at change #1: its routing, and no current traffic painted on it.
    await page.getByRole('button', { name: 'Topology' }).click();
    await page.getByTestId('traffic-note').getByText('traffic: live only').waitFor();
    const pastRows = await page.getByTestId('edges').locator('tbody tr').allInnerTexts();
    assert.ok(pastRows.length > 0 && pastRows.every((r) => !/ call\s/.test(r) && /-\s*$/.test(r)), `no call edge nor figures at #1:\n${pastRows.join('\n')}`);
    await shoot(page, 'topology-at-1');
    await page.getByRole('button', { name: 'Timeline' }).click();

    await page.getByRole('button', { name: 'diff from #1' }).click();
    await page.getByRole('button', { name: 'diff to #3' }).click();
    const diff = page.getByTestId('diff');
    await diff.getByText('added VirtualService default/reviews-route').waitFor();
    assert.match(await diff.innerText(), /added DestinationRule default\/reviews/);
    assert.match(await diff.innerText(), new RegExp(`changed ${REVIEWS_HOST.replaceAll('.', '\\.')}`));
    await shoot(page, 'diff-1-3');

    await page.getByTestId('change-2').getByRole('button', { name: 'roll back to here' }).click();
    const rollback = page.getByTestId('rollback');
    await rollback.getByText('deleted VirtualService default/reviews-route').waitFor();
    await rollback.getByLabel('reason').fill('canary too hot');
    await rollback.getByRole('button', { name: 'Confirm rollback' }).click();
    await page.getByTestId('rollback-recorded').getByText('recorded as change #4 (rollback to #2)').waitFor();
    const fourth = page.getByTestId('change-4');
    await fourth.waitFor();
    assert.match(await fourth.innerText(), /alice@console-test\s+rollback to #2\s+deleted VirtualService default\/reviews-route\s+canary too hot/);
    await page.getByTestId('audit').getByText('chain intact (4 changes)').waitFor();
    await shoot(page, 'timeline-rollback');
  });

  it('console-browser.read-only: a read-only token cannot roll back; the button answers with the reason', async () => {
    const page = await open(m.readerToken);
    await page.getByRole('button', { name: 'Timeline' }).click();
    await page.getByTestId('change-1').getByRole('button', { name: 'roll back to here' }).click();
    await page.getByTestId('rollback').getByRole('alert').getByText('bob@console-test may not apply in namespace * (all namespaces)').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Confirm rollback' }).count(), 0);
    await shoot(page, 'timeline-read-only-refused');
  });

  it('console-browser.nacked: a workload snapshot the sidecar refuses shows NACKED with its reason, in the node details and in jetmesh proxy-status', async () => {
    const t = m.traffic!;
    const key = snapshotKeyForWorkload('default', t.ratings.name);
    const bus = await connectBus(m.mesh.nats.url, createLogger('console-test', 'warn'), { name: 'console-test' });
    try {
      const store = await openSnapshotStore(bus);
      const held = (await store.get(key)) ?? assert.fail(`${key} is not in KV`);
      // What a broken pilot could write: JSON, but no snapshot.
      const put = await store.put(key, { version: 'not a version' }, held.revision);
      assert.equal(put._tag, 'Right', JSON.stringify(put));
    } finally {
      await bus.drain();
    }
    const page = await open(m.readerToken);
    const edges = page.getByTestId('edges');
    await edges.getByRole('button', { name: `registry default/${t.ratings.name}` }).click();
    const sidecar = page.getByTestId('node-details').getByTestId(`sidecar-${t.ratings.name}`);
    await sidecar.getByText(/: NACKED/).waitFor();
    assert.match(await sidecar.innerText(), new RegExp(`${key.replaceAll('.', '\\.')}\\s+NACKED\\s+refused revision \\d+: \\S+`));
    await shoot(page, 'node-details-nacked');

    const cli = await m.mesh.cli(['proxy-status']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`^${t.ratings.name}\\.default\\s+NACKED\\s+0/1 synced\\s+\\S+Z \\(in \\d+h \\d+m\\)`, 'm'));
    assert.match(cli.stdout, new RegExp(`^${t.productpage.name}\\.default\\s+SYNCED\\s+(\\d+)/\\1 synced`, 'm'), 'the caller holds every key it follows as KV has it');
    assert.match(cli.stdout, new RegExp(`${t.ratings.name}\\.default ${key.replaceAll('.', '\\.')} refused revision \\d+: `));
  });
});
