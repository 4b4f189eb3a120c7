// workspace.test.mjs - the browser app end to end, against a real
// `territory serve` on a fresh database: the first account owns the seeded
// starter workspace; its list and map show; a new item warns of a
// near-duplicate; a hostile title stays text; a theme is made and items
// assigned; a link drawn on the map by dragging, with a chosen polarity,
// closes a new loop that the Loops panel shows and highlights; a second
// person joins through an invite link as a viewer and sees no edit
// controls; the server's error messages appear beside the form field.
// The steps run in order and build on one another.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer, launchBrowser, newPage, shot } from './harness.mjs';

const HOSTILE = '<img src=x onerror=alert(1)>';
const OWNER = { name: 'Ada Owner', email: 'ada@example.org', password: 'correct horse battery' };
const VIEWER = { name: 'Vic Viewer', email: 'vic@example.org', password: 'another long secret' };

let server;
let browser;
let page; // the owner's
let base;
let slug;
const state = {};

function noProblems(p) {
  assert.deepEqual(p.problems, [], 'the page reported problems');
}

async function signUp(p, who, formSel) {
  const f = formSel || '#signup-form';
  await p.fill(`${f} [name=display_name]`, who.name);
  await p.fill(`${f} [name=email]`, who.email);
  await p.fill(`${f} [name=password]`, who.password);
  await p.click(`${f} button[type=submit]`);
}

async function gotoTab(p, tab) {
  await p.click(`.tabs a[data-tab=${tab}]`);
  await p.waitForSelector(`.tabs a[data-tab=${tab}][aria-current=page]`);
}

describe('the browser app', { concurrency: false }, () => {
  before(async () => {
    server = await startServer();
    base = server.url;
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  // Cleans up whatever a failed step left running.
  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server);
  });

  it('signs up the first account, which owns the starter workspace', async () => {
    await page.goto(base + '/');
    await page.waitForSelector('#signin-form');
    await shot(page, '01-sign-in');
    await page.click('a[href="#/signup"]');
    await signUp(page, OWNER);
    const card = page.locator('.ws-card').first();
    await card.waitFor();
    assert.equal((await card.locator('.role').textContent()).toLowerCase(), 'owner');
    await shot(page, '02-workspaces');
    noProblems(page);
  });

  it('opens the starter workspace and shows its items', async () => {
    await page.click('.ws-card a');
    await page.waitForSelector('.item-row');
    const hash = await page.evaluate(() => location.hash);
    slug = decodeURIComponent(hash.split('/')[2]);
    assert.ok(slug, `no workspace slug in '${hash}'`);
    const n = await page.locator('.item-row').count();
    assert.ok(n >= 10, `the starter list shows ${n} items`);
    state.firstTitle = (await page.locator('.item-row .item-title').first().textContent()).trim();
    await shot(page, '03-list');
    noProblems(page);
  });

  it('warns of a near-duplicate while a new title is typed, and adds the item', async () => {
    // Take an existing title and change one word: the server should call it similar.
    const words = state.firstTitle.split(/\s+/);
    const near = words.length > 3 ? words.slice(0, -1).join(' ') + ' again' : state.firstTitle + ' again';
    await page.fill('#add-item [name=title]', near);
    const similar = page.locator('#add-item .similar');
    await similar.waitFor();
    assert.ok((await similar.textContent()).includes(state.firstTitle), 'the existing item is not among the similar ones');
    await shot(page, '04-near-duplicate');
    await page.fill('#add-item [name=title]', 'Staff morale falls as caseloads grow');
    await page.click('#add-item button[type=submit]');
    await page.locator('.item-row .item-title', { hasText: 'Staff morale falls as caseloads grow' }).waitFor();
    noProblems(page);
  });

  it('shows a hostile title as text', async () => {
    await page.fill('#add-item [name=title]', HOSTILE);
    await page.click('#add-item button[type=submit]');
    const row = page.locator('.item-row .item-title', { hasText: 'onerror' });
    await row.waitFor();
    assert.equal(await row.textContent(), HOSTILE);
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'the title became an <img> element');
    await row.click();
    await page.waitForSelector('#detail-title');
    assert.equal(await page.textContent('#detail-title'), HOSTILE);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    await shot(page, '05-hostile-title');
    noProblems(page);
  });

  it('creates a theme with selected items and moves another item into it', async () => {
    await gotoTab(page, 'themes');
    await page.waitForSelector('.column');
    const card = (t) => page.locator('.card-item', { hasText: t });
    await card('Staff morale falls').locator('input[type=checkbox]').check();
    await page.fill('#create-theme [name=name]', 'Workforce pressure');
    await page.click('#create-theme button[type=submit]');
    const col = page.locator('.column', { has: page.locator('h2', { hasText: 'Workforce pressure' }) });
    await col.locator('.card-item', { hasText: 'Staff morale falls' }).waitFor();
    // Move the hostile item in with the keyboard path: tick it, choose, Move.
    await card('onerror').locator('input[type=checkbox]').check();
    await page.selectOption('.selection-bar select', { label: 'Workforce pressure' });
    await page.click('#move-selected');
    await col.locator('.card-item', { hasText: 'onerror' }).waitFor();
    assert.equal(await col.locator('.card-item').count(), 2);
    await shot(page, '06-themes');
    noProblems(page);
  });

  it('draws a link on the map by dragging, with a chosen polarity, and shows the new loop', async () => {
    await gotoTab(page, 'map');
    await page.waitForSelector('#loops-summary');
    await page.waitForFunction(() => window.territoryMap && window.territoryMap.nodes().length > 0);
    const before = await page.evaluate(() => window.territoryMap.edges().length);
    const summaryBefore = await page.textContent('#loops-summary');
    // A link from the new item to a factor and one back closes a loop of two.
    const pick = await page.evaluate(() => {
      const cy = window.territoryMap;
      const morale = cy.nodes().filter((n) => n.data('label').startsWith('Staff morale'))[0];
      const other = cy.nodes().filter((n) => n.id() !== morale.id() && n.degree() > 0)[0];
      return { a: morale.id(), b: other.id(), bLabel: other.data('label') };
    });
    const centre = async (id) => {
      await page.evaluate((nid) => {
        const cy = window.territoryMap;
        cy.zoom(1);
        cy.center(cy.getElementById(nid));
      }, id);
    };
    const at = (id) => page.evaluate((nid) => {
      const cy = window.territoryMap;
      const r = cy.container().getBoundingClientRect();
      const p = cy.getElementById(nid).renderedPosition();
      return { x: r.left + p.x, y: r.top + p.y };
    }, id);
    // Put both ends in view: b beside a.
    await page.evaluate(({ a, b }) => {
      const cy = window.territoryMap;
      const pa = cy.getElementById(a).position();
      cy.getElementById(b).position({ x: pa.x + 220, y: pa.y + 60 });
    }, pick);
    await centre(pick.a);
    await page.click('#draw-links');
    assert.equal(await page.getAttribute('#draw-links', 'aria-pressed'), 'true');
    const drag = async (from, to) => {
      const p = await at(from);
      const q = await at(to);
      await page.mouse.move(p.x, p.y);
      await page.mouse.down();
      await page.mouse.move((p.x + q.x) / 2, (p.y + q.y) / 2, { steps: 8 });
      await page.mouse.move(q.x, q.y, { steps: 8 });
      await page.waitForTimeout(350);
      await page.mouse.move(q.x + 1, q.y + 1);
      await page.mouse.up();
    };
    await drag(pick.a, pick.b);
    await page.waitForSelector('dialog[open] form');
    await page.check('dialog[open] input[name=polarity][value="-"]');
    await page.click('#confirm-link');
    await page.waitForSelector('dialog[open]', { state: 'detached' });
    await page.waitForFunction((n) => window.territoryMap.edges().length === n + 1, before);
    const first = await page.evaluate(({ a, b }) => {
      const e = window.territoryMap.edges().filter((x) => x.data('source') === a && x.data('target') === b)[0];
      return e ? e.data('polarity') : null;
    }, pick);
    assert.equal(first, '-', 'the drawn link has the chosen polarity');
    // And back again, + this time: a balancing loop of two.
    await drag(pick.b, pick.a);
    await page.waitForSelector('dialog[open] form');
    await page.click('#confirm-link');
    await page.waitForSelector('dialog[open]', { state: 'detached' });
    await page.waitForFunction((n) => window.territoryMap.edges().length === n + 2, before);
    const fresh = page.locator('.loop.new');
    await fresh.first().waitFor();
    assert.notEqual(await page.textContent('#loops-summary'), summaryBefore);
    const text = await fresh.first().textContent();
    assert.ok(text.includes('Staff morale falls') && text.includes(pick.bLabel), `the new loop reads '${text}'`);
    assert.equal(await fresh.first().evaluate((el) => el.closest('.loop-group').dataset.polarity), 'B');
    await page.click('#draw-links');
    await fresh.first().click();
    const lit = await page.evaluate(() => window.territoryMap.elements('.hl').length);
    assert.equal(lit, 4, 'choosing the loop highlights its 2 factors and 2 links');
    await shot(page, '07-map-new-loop');
    await page.click('#tab-leverage');
    await page.waitForSelector('#leverage tbody tr');
    noProblems(page);
  });

  it('exports the map as PNG and SVG', async () => {
    const save = async (button) => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      const chunks = [];
      for await (const c of await dl.createReadStream()) chunks.push(c);
      return { name: dl.suggestedFilename(), data: Buffer.concat(chunks) };
    };
    const png = await save('#export-png');
    assert.match(png.name, /\.png$/);
    assert.equal(png.data.subarray(1, 4).toString('latin1'), 'PNG', 'the PNG export is not a PNG');
    assert.ok(png.data.length > 5000, `the PNG export has ${png.data.length} bytes`);
    const svg = await save('#export-svg');
    assert.match(svg.name, /\.svg$/);
    const text = svg.data.toString('utf8');
    assert.ok(text.startsWith('<svg') && text.includes('Staff morale falls'), 'the SVG export lacks the map');
    noProblems(page);
  });

  it('lets a second person join through an invite as a viewer, with no edit controls', async () => {
    await gotoTab(page, 'settings');
    await page.selectOption('#invite-form [name=role]', 'viewer');
    await page.click('#invite-form button[type=submit]');
    const url = await page.locator('#invite-url').inputValue();
    assert.match(url, /#\/join\/[^/]+$/);
    await shot(page, '08-facilitation');

    const viewer = await newPage(browser);
    try {
      await viewer.goto(url);
      await viewer.waitForSelector('#signup-form');
      // The server refuses a taken e-mail; its message shows by the field.
      await signUp(viewer, { ...VIEWER, email: OWNER.email });
      const msg = viewer.locator('#signup-form .field-error:not(:empty), #signup-form .form-error');
      await msg.first().waitFor();
      assert.ok((await msg.first().textContent()).trim().length > 0);
      await shot(viewer, '09-server-error');
      await viewer.fill('#signup-form [name=email]', VIEWER.email);
      await viewer.click('#signup-form button[type=submit]');
      await viewer.waitForSelector('.item-row');
      assert.equal((await viewer.textContent('.topbar .role')).toLowerCase(), 'viewer');
      assert.equal(await viewer.locator('#add-item').count(), 0, 'a viewer sees the add form');
      const hostile = viewer.locator('.item-row .item-title', { hasText: 'onerror' });
      assert.equal(await hostile.textContent(), HOSTILE);
      await hostile.click();
      await viewer.waitForSelector('#detail-title');
      assert.equal(await viewer.locator('#edit-item-btn, #merge-item-btn, #rating-form, #evidence-form').count(), 0,
        'a viewer sees edit controls on an item');
      await shot(viewer, '10-viewer-list');
      await gotoTab(viewer, 'themes');
      await viewer.waitForSelector('.column');
      assert.equal(await viewer.locator('#create-theme, #suggest-themes, .card-item input, .col-tools').count(), 0,
        'a viewer sees theme controls');
      await gotoTab(viewer, 'map');
      await viewer.waitForSelector('#loops-summary');
      assert.equal(await viewer.locator('#draw-links, #add-link').count(), 0, 'a viewer sees link controls');
      await viewer.evaluate(() => {
        const e = window.territoryMap.edges()[0];
        e.emit('tap');
      });
      assert.equal(await viewer.locator('#edit-link').count(), 0, 'a viewer can edit a link');
      await gotoTab(viewer, 'settings');
      await viewer.waitForSelector('#me-form');
      assert.equal(await viewer.locator('#invite-form, #ws-form, #lock').count(), 0);
      noProblems(viewer);
    } finally {
      await viewer.context().close();
    }
  });

  it('holds its layout at 800 px wide', async () => {
    await page.setViewportSize({ width: 800, height: 900 });
    try {
      await gotoTab(page, 'list');
      await page.waitForSelector('.item-row');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the list is ${overflow}px wider than the window`);
      await shot(page, '11-narrow-list');
      await gotoTab(page, 'map');
      await page.waitForSelector('#loops-summary');
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(wide <= 0, `the map page is ${wide}px wider than the window`);
      await shot(page, '12-narrow-map');
      noProblems(page);
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  it('stops the server cleanly', async () => {
    await browser.close();
    browser = null;
    const code = await stopServer(server);
    server = null;
    assert.equal(code, 0, 'the server exited with a failure status');
  });
});
