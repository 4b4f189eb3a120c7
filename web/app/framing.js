// framing.js - the Scenarios tab: scenario framing in a workspace
// (docs/http-api.md, "Scenario framing"). The impact/uncertainty grid of
// the rated items as an SVG scatter (x uncertainty, y impact, a dot per
// item sized by its raters, whiskers for the spread between them,
// inevitables and critical uncertainties marked; hover or focus shows the
// title, Enter opens the item to rate it); the two axes a facilitator
// picks among the critical uncertainties; the 2x2 of scenario cards with
// their names, narratives, items and the inevitables every scenario must
// contain; robust moves with a checkbox per card; leading indicators per
// card. Every user text goes in through textContent (dom.js's h()).
import { api, ws } from './api.js';
import { h, fill, field, onSubmit, notify, notifyError, confirmDialog, formDialog, mean, go } from './dom.js';

const SVGNS = 'http://www.w3.org/2000/svg';
const W = 560; // the plot's width in SVG units
const H = 420; // and height
const PAD = { l: 56, r: 16, t: 16, b: 48 };
// Quadrants as the server numbers them, laid out top-left, top-right,
// bottom-left, bottom-right (x low/high, y high/low).
const LAYOUT = [2, 1, 3, 4];

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// The stylesheet of this view, added once (CSP: same origin).
function ensureStyle() {
  if (document.getElementById('framing-css')) return;
  document.head.appendChild(h('link', { id: 'framing-css', rel: 'stylesheet', href: '/app/framing.css' }));
}

const sx = (u) => PAD.l + ((u - 1) / 4) * (W - PAD.l - PAD.r);
const sy = (i) => H - PAD.b - ((i - 1) / 4) * (H - PAD.t - PAD.b);

// The scatter of the grid's rated items.
function drawGrid(ctx, grid, caption) {
  const rule = grid.rule;
  const rated = grid.items.filter((it) => it.raters > 0);
  const show = (it) => {
    caption.textContent = it
      ? `${it.title} — impact ${mean(it.impact)} (± ${it.spread.impact.toFixed(1)}), ` +
        `uncertainty ${mean(it.uncertainty)} (± ${it.spread.uncertainty.toFixed(1)}), ` +
        `${it.raters} ${it.raters === 1 ? 'rater' : 'raters'}`
      : 'Hover over or tab to a dot to see its item; press Enter to open it and rate it.';
  };
  const axes = [];
  for (let v = 1; v <= 5; v++) {
    axes.push(svg('line', { class: 'gridline', x1: sx(v), x2: sx(v), y1: sy(1), y2: sy(5) }));
    axes.push(svg('line', { class: 'gridline', x1: sx(1), x2: sx(5), y1: sy(v), y2: sy(v) }));
    axes.push(svg('text', { class: 'tick', x: sx(v), y: sy(1) + 16, 'text-anchor': 'middle' }, String(v)));
    axes.push(svg('text', { class: 'tick', x: sx(1) - 10, y: sy(v) + 4, 'text-anchor': 'end' }, String(v)));
  }
  const zones = [
    svg('rect', {
      class: 'zone-inevitable', x: sx(1), y: sy(5),
      width: sx(rule.inevitable_uncertainty_max) - sx(1),
      height: sy(rule.inevitable_impact_min) - sy(5),
    }),
    svg('rect', {
      class: 'zone-critical', x: sx(rule.critical_uncertainty_min), y: sy(5),
      width: sx(5) - sx(rule.critical_uncertainty_min),
      height: sy(rule.critical_impact_min) - sy(5),
    }),
    svg('text', { class: 'zone-label', x: sx(1) + 4, y: sy(5) + 14 }, 'inevitables'),
    svg('text', { class: 'zone-label', x: sx(5) - 4, y: sy(5) + 14, 'text-anchor': 'end' }, 'critical uncertainties'),
  ];
  const dots = rated.map((it) => {
    const cx = sx(it.uncertainty);
    const cy = sy(it.impact);
    const r = 5 + 2.5 * Math.sqrt(it.raters);
    const open = () => go(`#/w/${encodeURIComponent(ctx.slug)}/list/${it.id}`);
    const label = `${it.title}: impact ${mean(it.impact)}, uncertainty ${mean(it.uncertainty)}, ` +
      `${it.raters} ${it.raters === 1 ? 'rater' : 'raters'}${it.inevitable ? ', inevitable' : ''}` +
      `${it.critical ? ', critical uncertainty' : ''}`;
    return svg('g', {
      class: 'dot' + (it.inevitable ? ' inevitable' : '') + (it.critical ? ' critical' : ''),
      tabindex: 0, role: 'link', 'aria-label': label, 'data-id': it.id,
      onmouseenter: () => show(it), onfocus: () => show(it),
      onmouseleave: () => show(null), onblur: () => show(null),
      onclick: open,
      onkeydown: (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          open();
        }
      },
    },
    svg('title', null, it.title),
    svg('line', { class: 'whisker', x1: sx(Math.max(1, it.uncertainty - it.spread.uncertainty)), x2: sx(Math.min(5, it.uncertainty + it.spread.uncertainty)), y1: cy, y2: cy }),
    svg('line', { class: 'whisker', x1: cx, x2: cx, y1: sy(Math.max(1, it.impact - it.spread.impact)), y2: sy(Math.min(5, it.impact + it.spread.impact)) }),
    svg('circle', { cx, cy, r }));
  });
  show(null);
  return svg('svg', {
    class: 'grid-plot', viewBox: `0 0 ${W} ${H}`, role: 'group',
    'aria-label': 'Impact against uncertainty of the rated items',
  },
  zones, axes,
  svg('text', { class: 'axis-label', x: (sx(1) + sx(5)) / 2, y: H - 8, 'text-anchor': 'middle' }, 'uncertainty →'),
  svg('text', { class: 'axis-label', x: 14, y: (sy(1) + sy(5)) / 2, transform: `rotate(-90 14 ${(sy(1) + sy(5)) / 2})`, 'text-anchor': 'middle' }, 'impact →'),
  dots);
}

function itemList(items, empty) {
  if (!items.length) return h('p', { class: 'empty' }, empty);
  return h('ul', { class: 'framing-items' }, items.map((it) => h('li', null, it.title)));
}

// The axes: shown to all; a facilitator chooses them.
function axesSection(ctx, grid, framing, reload) {
  const ax = framing.axes;
  const shown = ax
    ? h('dl', { class: 'axes-now' },
      h('dt', null, 'Horizontal'), h('dd', { id: 'axis-x' }, `${ax.x.title}: ${ax.x.low} ↔ ${ax.x.high}`),
      h('dt', null, 'Vertical'), h('dd', { id: 'axis-y' }, `${ax.y.title}: ${ax.y.low} ↔ ${ax.y.high}`))
    : h('p', { class: 'empty' }, 'No axes chosen yet: a facilitator picks two critical uncertainties.');
  if (!ctx.isFacilitator) return h('section', { class: 'card axes' }, h('h2', null, 'Axes'), shown);
  // critical uncertainties first, then the other rated items, then the rest
  const ranked = grid.items.slice().sort((a, b) => (b.critical - a.critical) ||
    ((b.raters > 0) - (a.raters > 0)) || ((b.uncertainty || 0) - (a.uncertainty || 0)) || (a.id - b.id));
  const pick = (name, cur) => h('select', { name, required: true },
    h('option', { value: '' }, 'Choose an item…'),
    ranked.map((it) => h('option', { value: String(it.id), selected: cur === it.id },
      (it.critical ? '★ ' : '') + it.title)));
  const form = h('form', { class: 'axes-form', id: 'axes-form', 'aria-label': 'Choose the axes' },
    h('fieldset', null, h('legend', null, 'Horizontal axis'),
      field('Item', pick('x.item', ax && ax.x.item)),
      field('Low pole', h('input', { name: 'x.low', required: true, maxlength: 100, value: ax ? ax.x.low : '' })),
      field('High pole', h('input', { name: 'x.high', required: true, maxlength: 100, value: ax ? ax.x.high : '' }))),
    h('fieldset', null, h('legend', null, 'Vertical axis'),
      field('Item', pick('y.item', ax && ax.y.item)),
      field('Low pole', h('input', { name: 'y.low', required: true, maxlength: 100, value: ax ? ax.y.low : '' })),
      field('High pole', h('input', { name: 'y.high', required: true, maxlength: 100, value: ax ? ax.y.high : '' }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save axes')));
  onSubmit(form, async (d) => {
    await api.put(ws(ctx.slug, 'framing/axes'), {
      x: { item: Number(d.get('x.item')), low: d.get('x.low'), high: d.get('x.high') },
      y: { item: Number(d.get('y.item')), low: d.get('y.low'), high: d.get('y.high') },
    });
    notify('Axes saved');
    await reload();
  });
  return h('section', { class: 'card axes' }, h('h2', null, 'Axes'), shown,
    h('p', { class: 'hint' }, '★ marks the critical uncertainties (high impact, high uncertainty).'), form);
}

// A facilitator's dialog to edit one card.
async function editCard(ctx, grid, card, reload) {
  const chosen = new Set(card.items.map((it) => it.id));
  const saved = await formDialog(`Scenario ${card.quadrant}`, (form, close) => {
    const name = h('input', { name: 'name', maxlength: 200, value: card.name });
    const narr = h('textarea', { name: 'narrative', rows: 5 }, card.narrative);
    const boxes = grid.items.map((it) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'items', value: String(it.id), checked: chosen.has(it.id) }),
      ' ', it.title));
    fill(form, field('Name', name), field('Narrative', narr),
      h('fieldset', { class: 'pick-items' }, h('legend', null, 'The items that matter most'), boxes,
        h('div', { class: 'field-error', role: 'alert', id: 'items-err' })),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => close(false) }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary' }, 'Save card')));
    onSubmit(form, async (d) => {
      await api.patch(ws(ctx.slug, `framing/cards/${card.quadrant}`), {
        name: d.get('name'), narrative: d.get('narrative'),
        items: d.getAll('items').map(Number),
      });
      close(true);
    });
  });
  if (saved) {
    notify('Card saved');
    await reload();
  }
}

function indicatorList(ctx, card, framing, reload) {
  const mine = framing.indicators.filter((x) => x.card === card.quadrant);
  const list = mine.length
    ? h('ul', { class: 'indicators' }, mine.map((x) => h('li', null,
      h('span', null, x.text), x.item ? h('span', { class: 'hint' }, ` (watching ${x.item.title})`) : null,
      (ctx.isFacilitator || x.mine) && ctx.rank >= 1
        ? h('button', {
          type: 'button', class: 'quiet small', 'aria-label': `Delete indicator ${x.text}`,
          onclick: async () => {
            if (!(await confirmDialog('Delete this indicator?', 'Delete'))) return;
            try {
              await api.del(ws(ctx.slug, `framing/indicators/${x.id}`));
              await reload();
            } catch (e) {
              notifyError(e);
            }
          },
        }, '×') : null)))
    : h('p', { class: 'empty' }, 'No leading indicators yet.');
  if (ctx.rank < 1) return h('div', null, h('h4', null, 'Leading indicators'), list);
  const text = h('input', { name: 'text', required: true, maxlength: 1000, placeholder: 'What would tell us this world is coming?' });
  const form = h('form', { class: 'inline-form indicator-form', 'aria-label': `Add an indicator to scenario ${card.quadrant}` },
    field('New indicator', text), h('button', { type: 'submit' }, 'Add'));
  onSubmit(form, async (d) => {
    await api.post(ws(ctx.slug, 'framing/indicators'), { text: d.get('text'), card: card.quadrant });
    await reload();
  });
  return h('div', null, h('h4', null, 'Leading indicators'), list, form);
}

function cardsSection(ctx, grid, framing, reload) {
  const ax = framing.axes;
  const pole = (axis, side) => (ax ? ax[axis][side] : `${axis} ${side}`);
  const cards = LAYOUT.map((q) => framing.cards.find((c) => c.quadrant === q)).map((card) => h('article', {
    class: 'scenario-card', id: `card-${card.quadrant}`, 'aria-labelledby': `card-${card.quadrant}-name`,
  },
  h('p', { class: 'poles' }, `${pole('x', card.x)} · ${pole('y', card.y)}`),
  h('h3', { id: `card-${card.quadrant}-name` }, card.name || `Scenario ${card.quadrant}`),
  card.narrative ? h('p', { class: 'narrative' }, card.narrative) : h('p', { class: 'empty' }, 'No narrative yet.'),
  h('h4', null, 'Matters most'), itemList(card.items, 'No items chosen.'),
  h('h4', null, 'In every scenario'), itemList(framing.inevitables, 'No inevitables yet.'),
  indicatorList(ctx, card, framing, reload),
  ctx.isFacilitator ? h('button', {
    type: 'button', class: 'edit-card', onclick: () => editCard(ctx, grid, card, reload).catch(notifyError),
  }, `Edit scenario ${card.quadrant}`) : null));
  return h('section', { class: 'scenarios' }, h('h2', null, 'Scenarios'),
    h('div', { class: 'two-by-two' }, cards));
}

function movesSection(ctx, framing, reload) {
  const names = new Map(framing.cards.map((c) => [c.quadrant, c.name || `Scenario ${c.quadrant}`]));
  const boxes = (move, editable) => [1, 2, 3, 4].map((q) => h('label', { class: 'check' },
    h('input', {
      type: 'checkbox', name: 'cards', value: String(q), checked: move ? move.cards.includes(q) : false,
      disabled: !editable,
      onchange: move ? async (ev) => {
        const row = ev.target.closest('li');
        const cards = [...row.querySelectorAll('input[name=cards]:checked')].map((b) => Number(b.value));
        try {
          await api.patch(ws(ctx.slug, `framing/moves/${move.id}`), { cards });
          await reload();
        } catch (e) {
          notifyError(e);
        }
      } : null,
    }), ' ', names.get(q)));
  const list = framing.moves.length
    ? h('ul', { class: 'moves' }, framing.moves.map((m) => {
      const editable = ctx.rank >= 1 && (ctx.isFacilitator || m.mine);
      return h('li', { 'data-id': m.id },
        h('p', null, m.text, ' ', m.robust ? h('span', { class: 'badge robust' }, 'Robust') : null),
        h('div', { class: 'pays-off', role: 'group', 'aria-label': `Scenarios where '${m.text}' pays off` }, boxes(m, editable)),
        editable ? h('button', {
          type: 'button', class: 'quiet small', 'aria-label': `Delete move ${m.text}`,
          onclick: async () => {
            if (!(await confirmDialog('Delete this move?', 'Delete'))) return;
            try {
              await api.del(ws(ctx.slug, `framing/moves/${m.id}`));
              await reload();
            } catch (e) {
              notifyError(e);
            }
          },
        }, 'Delete') : null);
    }))
    : h('p', { class: 'empty' }, 'No moves yet.');
  let form = null;
  if (ctx.rank >= 1) {
    form = h('form', { class: 'move-form', id: 'move-form', 'aria-label': 'Add a move' },
      field('New move', h('input', { name: 'text', required: true, maxlength: 1000 })),
      h('fieldset', null, h('legend', null, 'Pays off in'), boxes(null, true)),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add move')));
    onSubmit(form, async (d) => {
      await api.post(ws(ctx.slug, 'framing/moves'), { text: d.get('text'), cards: d.getAll('cards').map(Number) });
      await reload();
    });
  }
  return h('section', { class: 'card moves-section' }, h('h2', null, 'Moves'),
    h('p', { class: 'hint' }, 'A move that pays off in all four scenarios is robust.'), list, form);
}

export async function renderFraming(root, ctx, args, stale) {
  ensureStyle();
  const page = h('section', { class: 'page framing' });
  fill(root, page);
  const reload = async () => {
    const [grid, fr] = await Promise.all([api.get(ws(ctx.slug, 'grid')), api.get(ws(ctx.slug, 'framing'))]);
    if (stale && stale()) return;
    const framing = fr.framing;
    const caption = h('p', { class: 'grid-caption', 'aria-live': 'polite' });
    const unrated = grid.items.filter((it) => it.raters === 0);
    fill(page,
      h('div', { class: 'page-head' }, h('h1', null, 'Scenarios'),
        h('p', { class: 'hint' }, 'Impact and uncertainty are the members\' mean ratings; whiskers show the spread ',
          '(standard deviation) between raters. Inevitables: mean impact ≥ ', String(grid.rule.inevitable_impact_min),
          ' and mean uncertainty ≤ ', String(grid.rule.inevitable_uncertainty_max), '.')),
      h('div', { class: 'grid-row' },
        h('section', { class: 'card grid-card' }, h('h2', null, 'Impact and uncertainty'),
          drawGrid(ctx, grid, caption), caption,
          unrated.length ? h('p', { class: 'hint' }, `${unrated.length} open ${unrated.length === 1 ? 'item is' : 'items are'} not rated yet: `,
            h('a', { href: `#/w/${encodeURIComponent(ctx.slug)}/list` }, 'rate them in the list'), '.') : null),
        h('section', { class: 'card inevitables', id: 'inevitables' }, h('h2', null, 'Inevitables'),
          h('p', { class: 'hint' }, 'High impact, low uncertainty: every scenario must contain these.'),
          itemList(framing.inevitables, 'None yet.'))),
      axesSection(ctx, grid, framing, reload),
      cardsSection(ctx, grid, framing, reload),
      movesSection(ctx, framing, reload));
  };
  try {
    await reload();
  } catch (e) {
    fill(page, h('p', { class: 'form-error', role: 'alert' }, e.message));
  }
}
