// demand.test.mjs - the Demand tab end to end, against a real `territory
// serve` on a fresh database: upload the sample contact log with the file
// input and see its rejected rows with their lines, the measures (the
// totals, the Pareto chart) and an XmR chart with limits; code three
// contacts with the keyboard and see the counts change on the coding
// screen and in the measures; save rules with an error and see it in
// place; push the failure share into a model as a saved scenario. The
// steps run in order and build on one another.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, stopServer, launchBrowser, newPage, shot, root } from './harness.mjs';

const OWNER = { name: 'Dee Mand', email: 'dee@example.org', password: 'a long enough secret' };
const SAMPLE = path.join(root, 'demand', 'housing-repairs.csv');

let server;
let browser;
let page;
let base;
let slug;
const state = {};

function noProblems(p) {
  assert.deepEqual(p.problems, [], 'the page reported problems');
}

async function statValue(p, id) {
  return (await p.locator(`.stat[data-stat=${id}] .stat-v`).first().textContent()).trim();
}

describe('the Demand tab', { concurrency: false }, () => {
  before(async () => {
    server = await startServer();
    base = server.url;
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server);
  });

  it('signs up and opens the Demand tab of the starter workspace', async () => {
    await page.goto(base + '/#/signup');
    await page.fill('#signup-form [name=display_name]', OWNER.name);
    await page.fill('#signup-form [name=email]', OWNER.email);
    await page.fill('#signup-form [name=password]', OWNER.password);
    await page.click('#signup-form button[type=submit]');
    await page.locator('.ws-card').first().waitFor();
    await page.click('.ws-card a');
    await page.waitForSelector('.tabs a[data-tab=demand]');
    slug = decodeURIComponent((await page.evaluate(() => location.hash)).split('/')[2]);
    await page.click('.tabs a[data-tab=demand]');
    await page.waitForSelector('.demand-page .upload');
    noProblems(page);
  });

  it('uploads the sample log and shows the rejected rows and the measures', async () => {
    await page.setInputFiles('.upload input[type=file]', SAMPLE);
    await page.waitForFunction(() => document.querySelector('.upload [name=name]').value !== '');
    await page.click('.upload button[type=submit]');
    await page.waitForSelector('.stat[data-stat=total]');
    assert.equal(await statValue(page, 'total'), '398');
    const rejected = await page.locator('.demand-body .rejected tbody tr').allTextContents();
    assert.equal(rejected.length, 2);
    assert.match(rejected[0], /^3\s*received_at: '02\/02\/2026 09:45' is not an ISO 8601 date/);
    assert.match(rejected[1], /^199/);
    state.unclassified = Number(await statValue(page, 'unclassified'));
    state.failure = Number(await statValue(page, 'failure'));
    assert.ok(state.unclassified > 3);
    // the Pareto chart and the two XmR charts, with limits and points
    assert.ok(await page.locator('svg.pareto .bar').count() >= 3);
    const share = page.locator('figure.xmr[data-chart=daily_failure_share]');
    await share.waitFor();
    assert.ok(await share.locator('circle.pt').count() >= 10);
    assert.ok(await share.locator('line.limit').count() >= 1);
    assert.ok(await share.locator('line.mean').count() >= 1);
    assert.equal(await page.locator('figure.xmr').count(), 2);
    await shot(page, 'demand-01-measures', { fullPage: true });
    await share.screenshot({ path: path.join(process.env.E2E_OUT || path.join(root, 'build', 'e2e'), 'demand-02-xmr.png') });
    noProblems(page);
  });

  it('adds a split date and draws it on the charts', async () => {
    await page.fill('.splits input[type=date]', '2026-03-02');
    await page.click('.splits button:has-text("Add split")');
    await page.waitForSelector('figure.xmr[data-chart=daily_failure_share] line.split', { state: 'attached' });
    assert.match(await page.locator('.split-chip').first().textContent(), /2026-03-02/);
    noProblems(page);
  });

  it('codes three contacts with the keyboard and the counts change', async () => {
    await page.click('.subtabs a:has-text("Code contacts")');
    const count = page.locator('.code-count');
    await count.waitFor();
    const before = Number(await count.getAttribute('data-coded'));
    const total = Number(await count.getAttribute('data-total'));
    assert.equal(total, 398);
    assert.equal(before, total - state.unclassified);
    await shot(page, 'demand-03-coding');
    const keys = [['2', 'f'], ['1', 'v'], ['2', 'f']]; // 1 report a repair, 2 progress-chasing
    for (let i = 0; i < keys.length; i++) {
      const id = await page.locator('.code-meta strong').textContent();
      await page.keyboard.press(keys[i][0]);
      await page.waitForSelector('.type-keys li.on');
      await page.keyboard.press(keys[i][1]);
      await page.waitForFunction((n) => Number(document.querySelector('.code-count').dataset.coded) === n, before + i + 1);
      assert.notEqual(await page.locator('.code-meta strong').textContent(), id, 'moved on to another contact');
    }
    // the arrow keys go back and forward through the contacts
    await page.keyboard.press('ArrowLeft');
    await shot(page, 'demand-04-coded');
    await page.click('.subtabs a:has-text("Measures")');
    await page.waitForSelector('.stat[data-stat=unclassified]');
    assert.equal(Number(await statValue(page, 'unclassified')), state.unclassified - 3);
    assert.equal(Number(await statValue(page, 'failure')), state.failure + 2);
    noProblems(page);
  });

  it('shows a rule error in place', async () => {
    await page.click('.subtabs a:has-text("Rules")');
    await page.waitForSelector('.rules-text');
    await page.fill('.rules-text', 'still waiting => progress-chasing, failure\nno arrow on this line\n');
    await page.click('.rules button[type=submit]');
    const err = page.locator('.rule-errors li').first();
    await err.waitFor();
    assert.match(await err.textContent(), /line 2, column \d+: expected '=>'/);
    await shot(page, 'demand-05-rules-error');
    await page.fill('.rules-text', 'still waiting => progress-chasing, failure\n');
    await page.click('.rules button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('.rule-errors li').length === 0);
    noProblems(page);
  });

  it('saves the failure share as a scenario of a model', async () => {
    await page.click('.subtabs a:has-text("Measures")');
    await page.click('#use-in-model');
    const dlg = page.locator('dialog.form-dialog');
    await dlg.waitFor();
    await dlg.locator('[name=name]').fill('measured failure share');
    await shot(page, 'demand-06-use-in-model');
    await dlg.locator('button[type=submit]').click();
    await dlg.waitFor({ state: 'detached' });
    const list = await page.evaluate(async (s) => (await (await fetch(`/api/w/${encodeURIComponent(s)}/scenarios`)).json()), slug);
    const sc = list.scenarios.find((x) => x.name === 'measured failure share');
    assert.ok(sc, 'the scenario was saved');
    const [param, value] = Object.entries(sc.set)[0];
    assert.ok(param.length > 0);
    assert.ok(value > 0 && value < 1, `the failure share ${value}`);
    noProblems(page);
  });

  it('stops the server cleanly', async () => {
    const code = await stopServer(server);
    server = null;
    assert.equal(code, 0);
  });
});
