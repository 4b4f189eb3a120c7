// models.test.mjs - the Models view end to end: from the starter workspace a
// newcomer follows "Test it on a model" to the library, opens a model, runs
// it, compares two shipped scenarios (a line per scenario), runs an
// ensemble (a band chart) and charts loop dominance; screenshots go to
// build/e2e/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer, launchBrowser, newPage, shot } from './harness.mjs';

const OWNER = { name: 'Mo Modeller', email: 'mo@example.org', password: 'correct horse battery' };

let server;
let browser;
let page;

function noProblems(p) {
  assert.deepEqual(p.problems, [], 'the page reported problems');
}

describe('the Models view', { concurrency: false }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await newPage(browser, 1200, 1400);
  });
  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server);
  });

  it('goes from the starter workspace to a model', async () => {
    await page.goto(server.url + '/');
    await page.waitForSelector('#signin-form');
    await page.click('a[href="#/signup"]');
    await page.fill('#signup-form [name=display_name]', OWNER.name);
    await page.fill('#signup-form [name=email]', OWNER.email);
    await page.fill('#signup-form [name=password]', OWNER.password);
    await page.click('#signup-form button[type=submit]');
    await page.locator('.ws-card a').first().click();
    await page.waitForSelector('.item-row');
    await page.click('#models-link');
    await page.waitForSelector('.model-card');
    assert.equal(await page.locator('.model-card').count(), 3);
    // The workspace stays in the bar: its name and tabs, one click back.
    await page.waitForSelector('.topbar .ws-name');
    assert.equal(await page.locator('.topbar .tabs a').count(), 7);
    assert.match(await page.locator('#models-link').getAttribute('class'), /current/);
    // At the default 1280 px the bar is one line, nothing hidden off its end.
    const bar = await page.locator('#topbar').evaluate((el) => ({
      h: el.getBoundingClientRect().height,
      tabsFit: el.querySelector('.tabs').scrollWidth <= el.querySelector('.tabs').clientWidth,
    }));
    assert.ok(bar.h <= 60, `the top bar wraps: ${bar.h} px tall`);
    assert.ok(bar.tabsFit, 'a tab is cut off at the end of the bar');
    await shot(page, 'models-01-library');
    await page.locator('.model-card a', { hasText: 'demand' }).first().click();
    await page.waitForSelector('.model-page h1');
    await page.waitForSelector('.params tbody tr');
    noProblems(page);
  });

  it('runs and compares two scenarios, a line each', async () => {
    await page.click('#run');
    await page.waitForSelector('#model-charts .uplot');
    const boxes = page.locator('.scenarios input[type=checkbox]');
    await boxes.nth(1).check();
    await boxes.nth(2).check();
    await page.click('#compare');
    await page.waitForFunction(() => document.querySelector('#model-charts .u-legend')
      && document.querySelectorAll('#model-charts figure:first-child .u-legend .u-series').length === 4); // time, baseline and the two
    const legend = await page.locator('#model-charts figure').first().locator('.u-legend').textContent();
    assert.ok(legend.includes('deeper cuts') && legend.includes('slower cuts'), `legend: ${legend}`);
    await shot(page, 'models-02-compare');
    noProblems(page);
  });

  it('runs an ensemble and draws bands', async () => {
    await page.locator('.params tbody tr', { hasText: 'budget cut rate' }).locator('select').selectOption('uniform');
    await page.click('#ensemble');
    await page.waitForFunction(() => document.querySelector('#model-charts .band-chart .uplot'));
    const title = await page.locator('#model-charts .band-chart .u-title').first().textContent();
    assert.match(title, /200 runs/);
    await shot(page, 'models-03-ensemble');
    noProblems(page);
  });

  it('charts loop dominance and names the dominant loops', async () => {
    await page.click('#dominance');
    await page.waitForSelector('#model-charts .dominance li');
    const text = await page.locator('#model-charts .dominance').textContent();
    assert.match(text, /[RB]\d/);
    await shot(page, 'models-04-dominance');
    noProblems(page);
  });
});
