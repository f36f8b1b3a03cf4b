import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REVIEWS_HOST, startConsoleMesh, type ConsoleMesh } from './console-mesh.js';

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
    m = await startConsoleMesh();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await m?.stop();
    for (const s of shots) console.log(`# screenshot: ${s}`);
  });

  it('console-browser.scenario: topology after three changes, the routes of change #1, diff #1↔#3, roll back to #2 as change #4 with its reason', async () => {
    const page = await open(m.writerToken);
    const edges = page.getByTestId('edges');
    await edges.getByText('80%').waitFor();
    const rows = await edges.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 2);
    assert.match(rows[0]!, /reviews\.default\.svc\.cluster\.local\s+WorkloadEntry default\/reviews-v1\s+v1\s+80%\s+ISTIO_MUTUAL/);
    assert.match(rows[1]!, /WorkloadEntry default\/reviews-v2\s+v2\s+20%\s+ISTIO_MUTUAL/);
    assert.ok(!page.url().includes('token='), 'the token leaves the address bar at once');
    await shoot(page, 'topology');

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
});
