// framing.test.mjs - the Scenarios tab end to end, against a real
// `territory serve` on a fresh database: two members rate a few items (one
// through the API, the owner through the item form reached from a dot on
// the grid); the grid shows a dot per rated item and lists the inevitable;
// the owner picks two critical uncertainties as axes, names the four
// scenario cards and adds a move that pays off in all four (marked
// robust); the contributor adds a leading indicator and sees no card
// editing. Screenshots land in build/e2e/framing-*.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer, launchBrowser, newPage, shot } from './harness.mjs';

const OWNER = { name: 'Fay Facilitator', email: 'fay@example.org', password: 'correct horse battery' };
const CONTRIB = { name: 'Cal Contributor', email: 'cal@example.org', password: 'another long secret' };
const SLUG = 'futures';
const ITEMS = ['Funding settlement', 'Demand for adult care', 'Local government reorganisation', 'Ageing population'];

let server;
let browser;
let page; // the owner's
let other; // the contributor's
const ids = {};

function noProblems(p) {
  assert.deepEqual(p.problems, [], 'the page reported problems');
}

// A JSON API call from inside the page (its cookies and CSRF token).
function call(p, method, path, body) {
  return p.evaluate(async ([m, u, b]) => {
    const m0 = document.cookie.match(/(?:^|;\s*)territory_csrf=([^;]*)/);
    const token = m0 ? decodeURIComponent(m0[1]) : '';
    const res = await fetch(u, {
      method: m,
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
      body: b === undefined ? undefined : JSON.stringify(b),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }, [method, path, body]);
}

async function ok(p, method, path, body) {
  const r = await call(p, method, path, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function signUp(p, who) {
  await p.goto(server.url + '/#/signup');
  await p.waitForSelector('#signup-form');
  await p.fill('#signup-form [name=display_name]', who.name);
  await p.fill('#signup-form [name=email]', who.email);
  await p.fill('#signup-form [name=password]', who.password);
  await p.click('#signup-form button[type=submit]');
  await p.waitForFunction(() => !location.hash.includes('signup'));
}

const rate = (p, id, importance, uncertainty) =>
  ok(p, 'PUT', `/api/w/${SLUG}/items/${id}/rating`, { importance, uncertainty });

describe('scenario framing in the browser', { concurrency: false }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await newPage(browser);
    other = await newPage(browser);
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    const code = await stopServer(server);
    assert.equal(code, 0, `territory serve exited with ${code}`);
  });

  it('sets up a workspace with a contributor and rated items', async () => {
    await signUp(page, OWNER);
    await ok(page, 'POST', '/api/workspaces', { name: 'Futures', slug: SLUG });
    for (const t of ITEMS) ids[t] = (await ok(page, 'POST', `/api/w/${SLUG}/items`, { title: t })).item.id;
    const inv = await ok(page, 'POST', `/api/w/${SLUG}/invites`, { role: 'contributor' });
    await signUp(other, CONTRIB);
    await ok(other, 'POST', `/api/invites/${inv.token}/accept`);
    // the contributor's ratings
    await rate(other, ids['Funding settlement'], 5, 5);
    await rate(other, ids['Demand for adult care'], 4, 4);
    await rate(other, ids['Ageing population'], 5, 1);
    await rate(other, ids['Local government reorganisation'], 3, 4);
    // some of the owner's, through the API; one more through the form below
    await rate(page, ids['Funding settlement'], 4, 5);
    await rate(page, ids['Demand for adult care'], 5, 3);
    await rate(page, ids['Local government reorganisation'], 4, 5);
    noProblems(page);
  });

  it('shows the grid with a dot per rated item, and rates from a dot', async () => {
    await page.goto(`${server.url}/#/w/${SLUG}/scenarios`);
    await page.waitForSelector('.grid-plot .dot');
    assert.equal(await page.locator('.grid-plot .dot').count(), 4);
    // keyboard: focus the dot of the ageing population and open it
    const dot = page.locator(`.grid-plot .dot[data-id="${ids['Ageing population']}"]`);
    await dot.focus();
    assert.match(await page.textContent('.grid-caption'), /Ageing population/);
    assert.match(await dot.getAttribute('class'), /inevitable/);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#rating-form');
    await page.locator('#rating-form input[name=importance][value="5"]').check({ force: true });
    await page.locator('#rating-form input[name=uncertainty][value="2"]').check({ force: true });
    await page.click('#rating-form button[type=submit]');
    await page.locator('.status, [role=status]', { hasText: 'Rating saved' }).first().waitFor();
    await page.goto(`${server.url}/#/w/${SLUG}/scenarios`);
    await page.waitForSelector('.grid-plot .dot');
    const inev = page.locator('#inevitables li');
    assert.deepEqual(await inev.allTextContents(), ['Ageing population']);
    const grid = (await call(page, 'GET', `/api/w/${SLUG}/grid`)).body;
    const age = grid.items.find((x) => x.id === ids['Ageing population']);
    assert.equal(age.raters, 2);
    await shot(page, 'framing-01-grid');
    noProblems(page);
  });

  it('picks two critical uncertainties as axes', async () => {
    await page.selectOption('#axes-form [name="x.item"]', String(ids['Funding settlement']));
    await page.fill('#axes-form [name="x.low"]', 'funding falls');
    await page.fill('#axes-form [name="x.high"]', 'funding rises');
    await page.selectOption('#axes-form [name="y.item"]', String(ids['Local government reorganisation']));
    await page.fill('#axes-form [name="y.low"]', 'councils stay');
    await page.fill('#axes-form [name="y.high"]', 'councils merge');
    await page.click('#axes-form button[type=submit]');
    await page.locator('#axis-x', { hasText: 'Funding settlement' }).waitFor();
    assert.match(await page.textContent('#axis-y'), /councils stay ↔ councils merge/);
    assert.match(await page.textContent('#card-1 .poles'), /funding rises · councils merge/);
    noProblems(page);
  });

  it('names the four cards, with items, and shows the inevitables in each', async () => {
    const names = { 1: 'Merged and funded', 2: 'Merged on a shoestring', 3: 'Lean and local', 4: 'Funded and local' };
    for (const q of [1, 2, 3, 4]) {
      await page.click(`#card-${q} .edit-card`);
      const dlg = page.locator('dialog.form-dialog');
      await dlg.waitFor();
      await dlg.locator('[name=name]').fill(names[q]);
      await dlg.locator('[name=narrative]').fill(`A world where ${names[q].toLowerCase()}.`);
      await dlg.locator(`input[name=items][value="${ids['Demand for adult care']}"]`).check();
      await dlg.locator('button[type=submit]').click();
      await page.locator(`#card-${q} h3`, { hasText: names[q] }).waitFor();
    }
    for (const q of [1, 2, 3, 4]) {
      const card = page.locator(`#card-${q}`);
      assert.match(await card.textContent(), /Demand for adult care/);
      assert.match(await card.textContent(), /Ageing population/); // the inevitable, in every card
    }
    noProblems(page);
  });

  it('adds a move that pays off in all four, marked robust', async () => {
    await page.fill('#move-form [name=text]', 'Invest in prevention with the voluntary sector');
    for (const q of [1, 2, 3, 4]) await page.locator(`#move-form input[name=cards][value="${q}"]`).check();
    await page.click('#move-form button[type=submit]');
    const row = page.locator('.moves li', { hasText: 'Invest in prevention' });
    await row.locator('.badge.robust').waitFor();
    await page.fill('#move-form [name=text]', 'Share one back office');
    await page.locator('#move-form input[name=cards][value="1"]').check();
    await page.click('#move-form button[type=submit]');
    const partial = page.locator('.moves li', { hasText: 'Share one back office' });
    await partial.waitFor();
    assert.equal(await partial.locator('.badge.robust').count(), 0);
    await shot(page, 'framing-02-scenarios', { fullPage: true });
    noProblems(page);
  });

  it('lets the contributor add an indicator but not edit the cards', async () => {
    await other.goto(`${server.url}/#/w/${SLUG}/scenarios`);
    await other.waitForSelector('#card-3');
    assert.equal(await other.locator('.edit-card, #axes-form').count(), 0);
    const form = other.locator('#card-3 .indicator-form');
    await form.locator('[name=text]').fill('<b>Grant letters</b> arrive late');
    await form.locator('button[type=submit]').click();
    await other.locator('#card-3 .indicators li', { hasText: 'Grant letters' }).waitFor();
    assert.equal(await other.locator('#card-3 .indicators b').count(), 0, 'the text became markup');
    // the owner's robust move cannot be changed by the contributor
    const box = other.locator('.moves li', { hasText: 'Invest in prevention' }).locator('input[type=checkbox]').first();
    assert.equal(await box.isDisabled(), true);
    await shot(other, 'framing-03-contributor', { fullPage: true });
    noProblems(other);
  });
});
