// map.js - the causal map: Cytoscape.js draws the workspace's factors
// (GET /map) laid out by fCoSE, coloured by theme and sized by importance,
// with links labelled + or − and a ‖ mark for a delay. Contributors draw a
// link by dragging from factor to factor (cytoscape-edgehandles, in "Draw
// links" mode) or with the keyboard form, choosing its polarity; a chosen
// link can be edited or deleted. Search centres a factor; the map exports
// as PNG and SVG (cytoscape-svg). The loops panel (loops.js) sits beside it.
import { api, ws } from './api.js';
import { h, fill, field, onSubmit, notify, notifyError, confirmDialog, formDialog, themeChip, mean, download, uid } from './dom.js';
import { drawLoops, drawLeverage, loopKey } from './loops.js';

// The libraries are classic scripts that register themselves with the
// global `cytoscape`; they load once, the first time a map is shown.
const VENDOR = [
  '/vendor/cytoscape.min.js',
  '/vendor/layout-base.js',
  '/vendor/cose-base.js',
  '/vendor/cytoscape-fcose.js',
  '/vendor/lodash.min.js',
  '/vendor/cytoscape-edgehandles.js',
  '/vendor/cytoscape-svg.js',
];
let vendorLoaded = null;

// Scripts added with async = false download together but run in the order
// they were added, as each needs the ones before it.
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.async = false;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load '${src}'`));
    document.head.appendChild(s);
  });
}

function loadVendor() {
  if (!vendorLoaded) {
    vendorLoaded = Promise.all(VENDOR.map(loadScript));
    vendorLoaded.catch(() => {
      vendorLoaded = null;
    });
  }
  return vendorLoaded;
}

const MINUS = '\u2212';
const NO_THEME = '#9aa5b1';

function edgeLabel(polarity, delay) {
  return (polarity === '-' ? MINUS : '+') + (delay ? ' \u2016' : '');
}

function nodeSize(importance) {
  return importance === null || importance === undefined ? 26 : 16 + (Number(importance) - 1) * 9;
}

const STYLE = [
  {
    selector: 'node',
    style: {
      'background-color': 'data(color)',
      width: 'data(size)',
      height: 'data(size)',
      label: 'data(label)',
      'font-family': 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      'font-size': 13,
      color: '#1f2933',
      'text-wrap': 'wrap',
      'text-max-width': 120,
      'text-valign': 'bottom',
      'text-margin-y': 4,
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.8,
      'text-background-padding': 2,
      'border-width': 1,
      'border-color': '#ffffff',
    },
  },
  {
    selector: 'edge',
    style: {
      width: 1.6,
      'curve-style': 'bezier',
      'line-color': 'data(lineColor)',
      'target-arrow-color': 'data(lineColor)',
      'target-arrow-shape': 'triangle',
      'arrow-scale': 1.1,
      label: 'data(label)',
      'font-size': 15,
      'font-weight': 'bold',
      color: 'data(lineColor)',
      'text-background-color': '#ffffff',
      'text-background-opacity': 1,
      'text-background-padding': 1,
      'text-background-shape': 'roundrectangle',
    },
  },
  { selector: 'edge[polarity = "-"]', style: { 'line-style': 'dashed', 'line-dash-pattern': [6, 3] } },
  { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#f5a623' } },
  { selector: 'edge:selected', style: { width: 4, 'line-color': '#f5a623', 'target-arrow-color': '#f5a623' } },
  { selector: '.faded', style: { opacity: 0.14 } },
  { selector: 'node.hl', style: { 'border-width': 4, 'border-color': '#111827', 'z-index': 10 } },
  { selector: 'edge.hl', style: { width: 4, 'z-index': 10 } },
  { selector: 'node.found', style: { 'border-width': 5, 'border-color': '#f5a623' } },
  { selector: '.eh-preview, .eh-ghost-edge', style: { 'line-color': '#f5a623', 'target-arrow-color': '#f5a623', 'target-arrow-shape': 'triangle', label: '' } },
  { selector: '.eh-source, .eh-target', style: { 'border-width': 4, 'border-color': '#f5a623' } },
  { selector: '.eh-ghost-node', style: { opacity: 0, label: '' } },
];

// Saved node positions, so the map keeps its shape between visits.
function loadPositions(slug) {
  try {
    return JSON.parse(localStorage.getItem('territory.map.' + slug) || '{}');
  } catch {
    return {};
  }
}

function savePositions(slug, cy) {
  const pos = {};
  cy.nodes().forEach((n) => {
    const p = n.position();
    pos[n.id()] = [Math.round(p.x), Math.round(p.y)];
  });
  try {
    localStorage.setItem('territory.map.' + slug, JSON.stringify(pos));
  } catch {
    /* storage off: the map is laid out afresh next time */
  }
}

export async function renderMap(main, ctx, args, stale) {
  const canvas = h('div', { class: 'cy', id: 'cy', role: 'img', 'aria-label': 'Causal map of the workspace' });
  const selBox = h('section', { class: 'selection', id: 'map-selection', 'aria-live': 'polite' });
  const loopsBox = h('div', { class: 'tab-panel', id: 'loops-panel', role: 'tabpanel' });
  const levBox = h('div', { class: 'tab-panel', id: 'leverage-panel', role: 'tabpanel', hidden: true });
  const status = h('span', { class: 'map-count', role: 'status' });
  const search = h('input', { type: 'search', id: 'map-search', list: 'map-titles', placeholder: 'Find a factor', 'aria-label': 'Find a factor' });
  const titles = h('datalist', { id: 'map-titles' });
  const drawBtn = h('button', { type: 'button', id: 'draw-links', 'aria-pressed': 'false', title: 'Drag from one factor to another to link them' }, 'Draw links');
  const page = h('section', { class: 'page map-page' });
  fill(main, page);
  fill(page, h('p', { class: 'loading' }, 'Loading the map…'));

  let data;
  let links;
  try {
    const [, m, l] = await Promise.all([loadVendor(), api.get(ws(ctx.slug, 'map')), api.get(ws(ctx.slug, 'links'))]);
    data = m;
    links = l.links;
  } catch (e) {
    fill(page, h('p', { class: 'form-error', role: 'alert' }, e.message));
    return undefined;
  }
  if (stale()) return undefined;

  const nodesById = new Map(data.nodes.map((n) => [n.id, n]));
  const linkById = new Map(links.map((l) => [l.id, l]));
  const title = (id) => (nodesById.get(id) ? nodesById.get(id).title : `#${id}`);
  let knownLoops = null; // keys of the loops last shown
  let loopsView = null;

  const tabLoops = h('button', { type: 'button', role: 'tab', id: 'tab-loops', 'aria-selected': 'true', 'aria-controls': 'loops-panel' }, 'Loops');
  const tabLev = h('button', { type: 'button', role: 'tab', id: 'tab-leverage', 'aria-selected': 'false', 'aria-controls': 'leverage-panel' }, 'Leverage');
  const showTab = (loopsOn) => {
    tabLoops.setAttribute('aria-selected', String(loopsOn));
    tabLev.setAttribute('aria-selected', String(!loopsOn));
    loopsBox.hidden = !loopsOn;
    levBox.hidden = loopsOn;
  };
  tabLoops.addEventListener('click', () => showTab(true));
  tabLev.addEventListener('click', () => showTab(false));

  const toolbar = h('div', { class: 'toolbar map-toolbar' },
    h('form', { class: 'find', role: 'search', onsubmit: (ev) => { ev.preventDefault(); find(search.value); } },
      search, titles, h('button', { type: 'submit' }, 'Find')),
    ctx.canContribute ? drawBtn : null,
    h('button', { type: 'button', id: 'relayout', onclick: () => layout(true) }, 'Re-layout'),
    h('button', { type: 'button', onclick: () => cy.animate({ fit: { padding: 30 } }, { duration: 300 }) }, 'Fit'),
    h('span', { class: 'sep' }),
    h('button', { type: 'button', id: 'export-png', onclick: () => exportPng() }, 'PNG'),
    h('button', { type: 'button', id: 'export-svg', onclick: () => exportSvg() }, 'SVG'),
    status);
  const legend = h('div', { class: 'legend', 'aria-label': 'Legend' },
    h('span', null, h('b', { class: 'pos' }, '+'), ' same direction'),
    h('span', null, h('b', { class: 'neg' }, MINUS), ' opposite direction'),
    h('span', null, h('b', null, '\u2016'), ' delay'),
    h('span', null, 'size = importance'),
    ctx.themes.map((t) => themeChip(t)));
  fill(page,
    h('div', { class: 'map-main' }, toolbar, h('div', { class: 'cy-wrap' }, canvas), legend),
    h('aside', { class: 'map-side', 'aria-label': 'Selection, loops and leverage' },
      selBox,
      ctx.canContribute ? addLinkForm() : null,
      h('div', { class: 'tabs-small', role: 'tablist' }, tabLoops, tabLev),
      loopsBox, levBox));

  const saved = loadPositions(ctx.slug);
  const elements = [];
  for (const n of data.nodes) {
    const el = {
      group: 'nodes',
      data: { id: 'n' + n.id, itemId: n.id, label: n.title, color: n.color || NO_THEME, size: nodeSize(n.importance) },
    };
    if (saved['n' + n.id]) el.position = { x: saved['n' + n.id][0], y: saved['n' + n.id][1] };
    elements.push(el);
  }
  for (const e of data.edges) elements.push(edgeElement(e));
  // eslint-disable-next-line no-undef
  const cy = cytoscape({
    container: canvas, elements, style: STYLE, minZoom: 0.1, maxZoom: 4,
    layout: { name: 'preset' }, boxSelectionEnabled: false,
  });
  window.territoryMap = cy; // for the browser tests and the console
  fill(titles, data.nodes.map((n) => h('option', { value: n.title })));

  function edgeElement(e) {
    return {
      group: 'edges',
      data: {
        id: 'e' + e.id, linkId: e.id, source: 'n' + e.from, target: 'n' + e.to, polarity: e.polarity,
        delay: !!e.delay, label: edgeLabel(e.polarity, e.delay), lineColor: e.polarity === '-' ? '#b42318' : '#1d4ed8',
      },
    };
  }

  function counts() {
    const nf = cy.nodes().length;
    const nl = cy.edges().not('.eh-preview, .eh-ghost-edge').length;
    status.textContent = `${nf} ${nf === 1 ? 'factor' : 'factors'}, ${nl} ${nl === 1 ? 'link' : 'links'}`;
  }

  function layout(fresh) {
    const all = cy.nodes();
    const placed = all.filter((n) => saved[n.id()]);
    if (!fresh && all.length && placed.length === all.length) {
      firstView();
      return;
    }
    // New factors start beside their neighbours, so the rest keeps its shape.
    if (!fresh && placed.length) {
      all.difference(placed).forEach((n) => {
        const nb = n.neighborhood('node').filter((m) => saved[m.id()]);
        const c = nb.length ? nb.boundingBox() : placed.boundingBox();
        n.position({ x: (c.x1 + c.x2) / 2 + (Math.random() - 0.5) * 60, y: (c.y1 + c.y2) / 2 + (Math.random() - 0.5) * 60 });
      });
    }
    const l = cy.layout({
      name: all.length ? 'fcose' : 'grid', quality: 'default', randomize: fresh || placed.length === 0,
      animate: fresh, animationDuration: 600, fit: true, padding: 30, nodeRepulsion: () => 60000,
      idealEdgeLength: () => 150, edgeElasticity: () => 0.3, nodeSeparation: 140, gravity: 0.15,
      packComponents: true,
    });
    l.one('layoutstop', () => {
      if (!fresh) firstView();
      savePositions(ctx.slug, cy);
      for (const k of Object.keys(saved)) delete saved[k];
      Object.assign(saved, loadPositions(ctx.slug));
    });
    l.run();
  }

  // The first view fits the map, but not so small that labels cannot be
  // read: a big map opens on its middle, and Fit shows all of it.
  function firstView() {
    cy.fit(undefined, 30);
    if (cy.zoom() < 0.75) cy.zoom({ level: 0.75, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
  }

  // Centres the first factor whose title contains the text.
  function find(text) {
    const t = text.trim().toLowerCase();
    if (!t) return;
    const hit = data.nodes.find((n) => n.title.toLowerCase() === t) ||
      data.nodes.find((n) => n.title.toLowerCase().includes(t));
    if (!hit) {
      notify(`No factor matches '${text.trim()}'`, 'error');
      return;
    }
    centre(hit.id);
  }

  function centre(itemId) {
    const n = cy.getElementById('n' + itemId);
    if (n.empty()) return;
    cy.elements().unselect();
    n.select();
    cy.nodes().removeClass('found');
    n.addClass('found');
    setTimeout(() => n.removeClass('found'), 1600);
    cy.animate({ center: { eles: n }, zoom: Math.max(cy.zoom(), 1.1) }, { duration: 350 });
    showNode(n);
  }

  function highlight(loop) {
    cy.elements().removeClass('faded hl');
    if (!loop) return;
    const ids = loop.nodes.map((id) => 'n' + id);
    let eles = cy.collection();
    ids.forEach((id, i) => {
      const next = ids[(i + 1) % ids.length];
      eles = eles.union(cy.getElementById(id));
      eles = eles.union(cy.edges().filter((e) => e.data('source') === id && e.data('target') === next));
    });
    cy.elements().difference(eles).addClass('faded');
    eles.addClass('hl');
    cy.animate({ fit: { eles, padding: 60 } }, { duration: 350 });
  }

  async function loadLoops() {
    fill(loopsBox, h('p', { class: 'loading' }, 'Finding loops…'));
    try {
      const r = await api.get(ws(ctx.slug, 'loops') + '?max=500');
      if (stale()) return;
      const keys = new Set(r.loops.map(loopKey));
      const fresh = new Set();
      if (knownLoops) for (const k of keys) if (!knownLoops.has(k)) fresh.add(k);
      knownLoops = keys;
      highlight(null);
      loopsView = drawLoops(loopsBox, r, title, highlight, fresh);
      drawLeverage(levBox, r, title, centre);
      if (fresh.size) {
        showTab(true);
        notify(`${fresh.size} new ${fresh.size === 1 ? 'loop' : 'loops'}`);
        const first = loopsBox.querySelector('.loop.new');
        if (first) first.scrollIntoView({ block: 'nearest' });
      }
    } catch (e) {
      fill(loopsBox, h('p', { class: 'form-error', role: 'alert' }, e.message));
    }
  }

  // --- selection panel -------------------------------------------------
  function showNothing() {
    fill(selBox, h('p', { class: 'hint' }, ctx.canContribute
      ? 'Choose a factor or a link. To link two factors, turn on Draw links and drag from one to the other.'
      : 'Choose a factor or a link to see it.'));
  }

  // The side panel scrolls; what was just chosen shows at its top.
  function toTop() {
    if (selBox.parentElement) selBox.parentElement.scrollTop = 0;
  }

  function showNode(n) {
    const item = nodesById.get(n.data('itemId'));
    if (!item) return;
    toTop();
    const out = n.outgoers('edge').map((e) => [e, title(e.target().data('itemId'))]);
    const inc = n.incomers('edge').map((e) => [e, title(e.source().data('itemId'))]);
    const linkLi = ([e, name], arrow) => h('li', null,
      h('button', { type: 'button', class: 'link', onclick: () => { cy.elements().unselect(); e.select(); showEdge(e); } },
        `${arrow} ${e.data('label')} ${name}`));
    fill(selBox,
      h('h2', null, item.title),
      h('p', { class: 'meta' }, themeChip(ctx.theme(item.theme_id)),
        h('span', null, 'Importance ', h('b', null, mean(item.importance))),
        h('span', null, 'Uncertainty ', h('b', null, mean(item.uncertainty)))),
      out.length ? h('div', null, h('h3', null, 'Affects'), h('ul', { class: 'plain' }, out.map((x) => linkLi(x, '→')))) : null,
      inc.length ? h('div', null, h('h3', null, 'Affected by'), h('ul', { class: 'plain' }, inc.map((x) => linkLi(x, '←')))) : null,
      h('p', null, h('a', { href: `#/w/${encodeURIComponent(ctx.slug)}/list/${item.id}` }, 'Open in the list')));
    const from = document.getElementById('link-from');
    if (from) from.value = String(item.id);
  }

  function showEdge(e) {
    toTop();
    const link = linkById.get(e.data('linkId')) || { id: e.data('linkId'), polarity: e.data('polarity'), delay: e.data('delay'), note: '' };
    const head = h('h2', null, title(e.source().data('itemId')), ' ',
      h('span', { class: 'pol ' + (link.polarity === '-' ? 'neg' : 'pos') }, `→ ${edgeLabel(link.polarity, link.delay)} →`), ' ',
      title(e.target().data('itemId')));
    if (!ctx.canEdit(link.author)) {
      fill(selBox, head,
        h('p', null, link.polarity === '-' ? 'More of the first means less of the second.' : 'More of the first means more of the second.'),
        link.delay ? h('p', null, 'With a delay.') : null,
        link.note ? h('p', { class: 'body' }, link.note) : null,
        link.author ? h('p', { class: 'meta' }, 'by ', link.author) : null);
      return;
    }
    const form = h('form', { class: 'edit-link', id: 'edit-link' });
    const pol = polarityField(link.polarity);
    const delay = h('input', { type: 'checkbox', name: 'delay', checked: link.delay });
    const note = h('textarea', { name: 'note', rows: 2, value: link.note || '' });
    const actions = h('div', { class: 'actions' },
      h('button', {
        type: 'button', class: 'danger', id: 'delete-link',
        onclick: async () => {
          if (!await confirmDialog('Delete this link?', 'Delete')) return;
          try {
            await api.del(ws(ctx.slug, `links/${link.id}`));
            e.remove();
            linkById.delete(link.id);
            counts();
            showNothing();
            notify('Link deleted');
            await loadLoops();
          } catch (err) {
            notifyError(err);
          }
        },
      }, 'Delete'),
      ctx.isFacilitator ? h('button', {
        type: 'button',
        onclick: async () => {
          try {
            await api.post(ws(ctx.slug, `links/${link.id}/hide`));
            e.remove();
            counts();
            showNothing();
            notify('Link hidden; restore it under Facilitation');
            await loadLoops();
          } catch (err) {
            notifyError(err);
          }
        },
      }, 'Hide') : null,
      h('button', { type: 'submit', class: 'primary' }, 'Save'));
    fill(form, pol, h('label', { class: 'check' }, delay, ' With a delay'), field('Note', note), actions);
    onSubmit(form, async (fd) => {
      const r = await api.patch(ws(ctx.slug, `links/${link.id}`), {
        polarity: fd.get('polarity'), delay: delay.checked, note: note.value,
      });
      linkById.set(r.link.id, r.link);
      e.data({ polarity: r.link.polarity, delay: !!r.link.delay, label: edgeLabel(r.link.polarity, r.link.delay),
        lineColor: r.link.polarity === '-' ? '#b42318' : '#1d4ed8' });
      notify('Link saved');
      showEdge(e);
      await loadLoops();
    });
    fill(selBox, head, link.author ? h('p', { class: 'meta' }, 'by ', link.author) : null, form);
  }

  function polarityField(value) {
    const name = 'polarity';
    return h('fieldset', { class: 'polarity' },
      h('legend', null, 'Polarity'),
      h('label', null, h('input', { type: 'radio', name, value: '+', checked: value !== '-' }),
        h('b', { class: 'pos' }, ' + '), 'same direction'),
      h('label', null, h('input', { type: 'radio', name, value: '-', checked: value === '-' }),
        h('b', { class: 'neg' }, ` ${MINUS} `), 'opposite direction'),
      h('div', { class: 'field-error', role: 'alert', id: uid('pol') + '-err' }));
  }

  async function createLink(from, to, polarity, delay, note) {
    const body = { from, to, polarity, delay };
    if (note) body.note = note;
    const r = await api.post(ws(ctx.slug, 'links'), body);
    linkById.set(r.link.id, r.link);
    const added = cy.add(edgeElement(r.link));
    counts();
    cy.elements().unselect();
    added.select();
    showEdge(added);
    notify(`Linked '${title(from)}' ${edgeLabel(polarity, delay)} '${title(to)}'`);
    await loadLoops();
    return r.link;
  }

  // The keyboard way to add a link (and the form the drag gesture opens).
  function addLinkForm() {
    const opts = () => [h('option', { value: '' }, 'Choose…'),
      [...data.nodes].sort((a, b) => a.title.localeCompare(b.title)).map((n) => h('option', { value: String(n.id) }, n.title))];
    const from = h('select', { name: 'from', id: 'link-from', required: true }, opts());
    const to = h('select', { name: 'to', id: 'link-to', required: true }, opts());
    const delay = h('input', { type: 'checkbox', name: 'delay' });
    const note = h('input', { type: 'text', name: 'note' });
    const form = h('form', { class: 'add-link', id: 'add-link' },
      field('From', from), field('To', to), polarityField('+'),
      h('label', { class: 'check' }, delay, ' With a delay'), field('Note (optional)', note),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add link')));
    onSubmit(form, async (fd) => {
      if (!from.value) throw Object.assign(new Error('choose the factor the link starts from'), { field: 'from' });
      if (!to.value) throw Object.assign(new Error('choose the factor the link goes to'), { field: 'to' });
      await createLink(Number(from.value), Number(to.value), fd.get('polarity'), delay.checked, note.value.trim());
      note.value = '';
      delay.checked = false;
    });
    return h('details', { class: 'more add-link-box' }, h('summary', null, 'Add a link with the keyboard'), form);
  }

  // --- drawing links by dragging ----------------------------------------
  let eh = null;
  if (ctx.canContribute) {
    eh = cy.edgehandles({
      canConnect: (s, t) => !s.same(t) && s.edgesTo(t).filter((x) => !x.hasClass('eh-preview') && !x.hasClass('eh-ghost-edge')).empty(),
      edgeParams: () => ({ data: { label: '', lineColor: '#f5a623' } }),
      hoverDelay: 120, snap: true, snapThreshold: 24, noEdgeEventsInDraw: true, disableBrowserGestures: true,
    });
    cy.on('ehcomplete', (ev, source, target, added) => {
      added.remove();
      const from = source.data('itemId');
      const to = target.data('itemId');
      formDialog(`Link '${title(from)}' to '${title(to)}'`, (form, close) => {
        const delay = h('input', { type: 'checkbox', name: 'delay' });
        const note = h('input', { type: 'text', name: 'note' });
        fill(form,
          h('p', { class: 'hint' }, 'When the first goes up, does the second go up (+) or down (−)?'),
          polarityField('+'), h('label', { class: 'check' }, delay, ' With a delay'), field('Note (optional)', note),
          h('div', { class: 'actions' },
            h('button', { type: 'button', onclick: () => close(null) }, 'Cancel'),
            h('button', { type: 'submit', class: 'primary', id: 'confirm-link' }, 'Add link')));
        onSubmit(form, async (fd) => {
          const link = await createLink(from, to, fd.get('polarity'), delay.checked, note.value.trim());
          close(link);
        });
      });
    });
    drawBtn.addEventListener('click', () => {
      const on = drawBtn.getAttribute('aria-pressed') !== 'true';
      drawBtn.setAttribute('aria-pressed', String(on));
      drawBtn.textContent = on ? 'Drawing links: on' : 'Draw links';
      canvas.classList.toggle('drawing', on);
      if (on) eh.enableDrawMode();
      else eh.disableDrawMode();
    });
  }

  cy.on('tap', 'node', (ev) => showNode(ev.target));
  cy.on('tap', 'edge', (ev) => showEdge(ev.target));
  cy.on('tap', (ev) => {
    if (ev.target === cy) {
      showNothing();
      if (loopsView) loopsView.clear();
      highlight(null);
    }
  });
  cy.on('dragfree', 'node', () => savePositions(ctx.slug, cy));

  async function exportPng() {
    const blob = cy.png({ output: 'blob', full: true, scale: 2, bg: '#ffffff' });
    download(`${ctx.slug}-map.png`, blob);
  }

  function exportSvg() {
    const svg = cy.svg({ full: true, bg: '#ffffff', scale: 1 });
    download(`${ctx.slug}-map.svg`, new Blob([svg], { type: 'image/svg+xml' }));
  }

  const onResize = () => cy.resize();
  window.addEventListener('resize', onResize);
  counts();
  showNothing();
  layout(false);
  await loadLoops();

  return () => {
    window.removeEventListener('resize', onResize);
    if (eh) eh.destroy();
    cy.destroy();
    if (window.territoryMap === cy) delete window.territoryMap;
  };
}
