// newworkspace.test.mjs - a group starting from nothing, in the browser:
// sign up, create a workspace, add three items, merge two of them, link
// the two that remain by dragging on the map, see the map, export it as
// PNG. Screenshots go to build/e2e/new-*.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer, launchBrowser, newPage, shot } from './harness.mjs';

const WHO = { name: 'Nia Newcomer', email: 'nia@example.org', password: 'a long enough secret' };
const TITLES = [
  'Referrals to children\'s services rise',
  'Early help caseloads grow',
  'Early help caseloads keep growing',
];

let server;
let browser;
let page;

function noProblems(p) {
  assert.deepEqual(p.problems, [], 'the page reported problems');
}

async function gotoTab(p, tab) {
  await p.click(`.tabs a[data-tab=${tab}]`);
  await p.waitForSelector(`.tabs a[data-tab=${tab}][aria-current=page]`);
}

describe('a new workspace from nothing', { concurrency: false }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server);
  });

  it('signs up and creates a workspace', async () => {
    await page.goto(server.url + '/');
    await page.waitForSelector('#signin-form');
    await page.click('a[href="#/signup"]');
    await page.fill('#signup-form [name=display_name]', WHO.name);
    await page.fill('#signup-form [name=email]', WHO.email);
    await page.fill('#signup-form [name=password]', WHO.password);
    await page.click('#signup-form button[type=submit]');
    await page.waitForSelector('#create-ws');
    await page.fill('#create-ws [name=name]', 'Children\'s services in Northtown');
    await page.click('#create-ws button[type=submit]');
    await page.waitForFunction(() => location.hash.startsWith('#/w/') && location.hash.endsWith('/list'));
    assert.match(await page.evaluate(() => location.hash), /^#\/w\/children-s-services-in-northtown\/list$|^#\/w\/[a-z0-9-]+\/list$/);
    await page.waitForSelector('#add-item');
    assert.equal(await page.locator('.item-row').count(), 0, 'a new workspace starts empty');
    noProblems(page);
  });

  it('adds three items', async () => {
    for (const t of TITLES) {
      await page.fill('#add-item [name=title]', t);
      await page.click('#add-item button[type=submit]');
      await page.locator('.item-row .item-title', { hasText: t }).first().waitFor();
    }
    assert.equal(await page.locator('.item-row').count(), 3);
    await shot(page, 'new-01-three-items');
    noProblems(page);
  });

  it('merges two of them', async () => {
    await page.locator('.item-row .item-title', { hasText: TITLES[2] }).first().click();
    await page.waitForSelector('#detail-title');
    await page.click('#merge-item-btn');
    await page.waitForSelector('#merge-item select[name=into]');
    const into = await page.$eval('#merge-item select[name=into]', (sel, title) => {
      const o = [...sel.options].find((x) => x.textContent === title);
      return o ? o.value : '';
    }, TITLES[1]);
    assert.ok(into, 'the item to keep is not offered');
    await page.selectOption('#merge-item select[name=into]', into);
    await page.click('#merge-item button[type=submit]');
    await gotoTab(page, 'list');
    await page.waitForFunction(() => document.querySelectorAll('.item-row').length === 2);
    const titles = await page.locator('.item-row .item-title').allTextContents();
    assert.deepEqual(titles.map((t) => t.trim()).sort(), [TITLES[0], TITLES[1]].sort());
    await shot(page, 'new-02-merged');
    noProblems(page);
  });

  it('links the two on the map by dragging, and exports the map as PNG', async () => {
    await gotoTab(page, 'map');
    await page.waitForFunction(() => window.territoryMap && window.territoryMap.nodes().length === 2);
    assert.equal(await page.evaluate(() => window.territoryMap.edges().length), 0);
    const ids = await page.evaluate((t) => {
      const cy = window.territoryMap;
      const a = cy.nodes().filter((n) => n.data('label') === t[0])[0];
      const b = cy.nodes().filter((n) => n.data('label') === t[1])[0];
      const pa = a.position();
      b.position({ x: pa.x + 240, y: pa.y + 40 });
      cy.zoom(1);
      cy.center(a);
      return { a: a.id(), b: b.id() };
    }, TITLES);
    const at = (id) => page.evaluate((nid) => {
      const cy = window.territoryMap;
      const r = cy.container().getBoundingClientRect();
      const p = cy.getElementById(nid).renderedPosition();
      return { x: r.left + p.x, y: r.top + p.y };
    }, id);
    await page.click('#draw-links');
    const p = await at(ids.a);
    const q = await at(ids.b);
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move((p.x + q.x) / 2, (p.y + q.y) / 2, { steps: 8 });
    await page.mouse.move(q.x, q.y, { steps: 8 });
    await page.waitForTimeout(350);
    await page.mouse.move(q.x + 1, q.y + 1);
    await page.mouse.up();
    await page.waitForSelector('dialog[open] form');
    await page.click('#confirm-link');
    await page.waitForSelector('dialog[open]', { state: 'detached' });
    await page.waitForFunction(() => window.territoryMap.edges().length === 1);
    const edge = await page.evaluate(() => {
      const e = window.territoryMap.edges()[0];
      return { from: e.data('source'), to: e.data('target'), polarity: e.data('polarity') };
    });
    assert.deepEqual(edge, { from: ids.a, to: ids.b, polarity: '+' });
    await page.waitForFunction(() => document.querySelector('.map-count').textContent === '2 factors, 1 link');
    await page.click('#draw-links');
    await shot(page, 'new-03-map');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
    const chunks = [];
    for await (const c of await dl.createReadStream()) chunks.push(c);
    const png = Buffer.concat(chunks);
    assert.match(dl.suggestedFilename(), /\.png$/);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'the export is not a PNG');
    noProblems(page);
  });
});
