// demand.js - the Demand tab: a workspace's contact logs (upload by file
// input or drag and drop, the rows rejected with line and reason), the
// measures of one log (totals, failure share by service, channel and type,
// a Pareto bar chart, first-contact resolution, handoffs, end-to-end time)
// and its two XmR charts drawn here as SVG with their limits, signals and
// split markers; the coding screen (one contact at a time, keyboard
// shortcuts, suggestions from the rules and from repeats, progress); the
// rules editor with its errors in place; and "Use in a model", which saves
// a measured figure as a scenario's parameter (POST /scenarios).
//
// Routes: #/w/SLUG/demand, #/w/SLUG/demand/LOG[/code|/rules].
// Every text from a log goes in through textContent or an attribute.
import { api, ws, query } from './api.js';
import { h, fill, field, notify, notifyError, confirmDialog, formDialog, showFormError, timeEl } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const TYPE_KEYS = 9; // types on the number keys 1-9

// An SVG element, like h() (attributes only; children are nodes or text).
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function addCss() {
  if (document.getElementById('demand-css')) return;
  document.head.appendChild(h('link', { id: 'demand-css', rel: 'stylesheet', href: '/app/demand.css' }));
}

const pct = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)}%`);
const num = (v, d = 1) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
const fmtUnit = (unit, v) => (unit === 'share' ? pct(v) : `${num(v)} d`);

// ---- charts ---------------------------------------------------------------

// A horizontal Pareto bar chart of types: bar per type, count, running share.
function paretoChart(rows, title) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty' }, 'No coded contacts of this kind yet.');
  const shown = rows.slice(0, 15);
  const barH = 22, labelW = 190, barW = 380, w = labelW + barW + 120;
  const max = Math.max(...shown.map((r) => r.count));
  const svg = s('svg', {
    class: 'pareto', viewBox: `0 0 ${w} ${shown.length * barH + 30}`, width: w, role: 'img',
    'aria-label': title,
  });
  svg.appendChild(s('title', null, title));
  shown.forEach((r, i) => {
    const y = 20 + i * barH;
    const bw = max > 0 ? (r.count / max) * barW : 0;
    svg.appendChild(s('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'lbl' }, r.type || '(none)'));
    svg.appendChild(s('rect', { x: labelW, y: y + 3, width: Math.max(bw, 1), height: barH - 6, class: 'bar' },
      s('title', null, `${r.type}: ${r.count} (${pct(r.share)}), cumulative ${pct(r.cumulative)}`)));
    svg.appendChild(s('text', { x: labelW + bw + 5, y: y + 15, class: 'val' }, `${r.count}`));
    svg.appendChild(s('text', { x: w - 4, y: y + 15, 'text-anchor': 'end', class: 'cum' }, pct(r.cumulative)));
  });
  svg.appendChild(s('text', { x: w - 4, y: 12, 'text-anchor': 'end', class: 'axis' }, 'cumulative'));
  return svg;
}

// One XmR chart (individuals and moving ranges) with its parts' limits,
// signals highlighted and split markers.
function xmrChart(chart) {
  const pts = chart.points || [];
  const wrap = h('figure', { class: 'xmr', dataset: { chart: chart.name } });
  wrap.appendChild(h('figcaption', null, chart.title, ' ',
    h('span', { class: 'hint' }, `(${pts.length} points; ${(chart.signals || []).length} signals)`)));
  if (pts.length === 0) {
    wrap.appendChild(h('p', { class: 'empty' }, 'No points to chart yet.'));
    return wrap;
  }
  const W = 760, L = 56, R = 90, xH = 210, mH = 110, gap = 26;
  const plotW = W - L - R;
  const xAt = (i) => L + (pts.length === 1 ? plotW / 2 : (i / (pts.length - 1)) * plotW);
  const parts = chart.parts && chart.parts.length ? chart.parts : [];
  const firstOf = (p) => pts.findIndex((q) => q.part === p);
  const lastOf = (p) => {
    for (let i = pts.length - 1; i >= 0; i--) if (pts[i].part === p) return i;
    return -1;
  };
  const vals = pts.map((p) => p.value);
  for (const p of parts) {
    for (const v of [p.upper, p.lower, p.mean]) if (v !== null && v !== undefined) vals.push(v);
  }
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.06;
  lo -= pad;
  hi += pad;
  if (chart.floor !== null && chart.floor !== undefined) lo = Math.max(lo, chart.floor - pad);
  const yX = (v) => 14 + (1 - (v - lo) / (hi - lo)) * (xH - 28);
  const mrs = pts.map((p) => p.mr).filter((v) => v !== null && v !== undefined);
  let mHi = Math.max(0, ...mrs, ...parts.map((p) => p.mr_upper || 0));
  if (mHi === 0) mHi = 1;
  const top = xH + gap;
  const yM = (v) => top + 8 + (1 - v / mHi) * (mH - 16);
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${top + mH + 22}`, class: 'xmr-svg', role: 'img',
    'aria-label': `${chart.title}: individuals and moving ranges`,
  });
  svg.appendChild(s('rect', { x: L, y: 4, width: plotW, height: xH - 8, class: 'frame' }));
  svg.appendChild(s('rect', { x: L, y: top, width: plotW, height: mH, class: 'frame' }));
  svg.appendChild(s('text', { x: 6, y: 16, class: 'axis' }, 'X'));
  svg.appendChild(s('text', { x: 6, y: top + 14, class: 'axis' }, 'mR'));
  svg.appendChild(s('text', { x: L - 4, y: yX(hi - pad) + 4, 'text-anchor': 'end', class: 'axis' }, fmtUnit(chart.unit, hi - pad)));
  svg.appendChild(s('text', { x: L - 4, y: yX(lo + pad) + 4, 'text-anchor': 'end', class: 'axis' }, fmtUnit(chart.unit, lo + pad)));
  // limits per part
  parts.forEach((p, k) => {
    const a = firstOf(p.part), b = lastOf(p.part);
    if (a < 0) return;
    const x1 = xAt(a) - (a === 0 ? 0 : 4), x2 = xAt(b) + (b === pts.length - 1 ? 0 : 4);
    const line = (v, cls, label, yf) => {
      if (v === null || v === undefined) return;
      svg.appendChild(s('line', { x1, x2, y1: yf(v), y2: yf(v), class: cls }));
      if (k === parts.length - 1) {
        svg.appendChild(s('text', { x: x2 + 4, y: yf(v) + 4, class: 'lim-lbl lbl-' + cls }, `${label} ${fmtUnit(chart.unit, v)}`));
      }
    };
    line(p.mean, 'mean', 'mean', yX);
    line(p.upper, 'limit', 'UNPL', yX);
    if (p.lower !== null && p.lower !== undefined && !(p.lower_floored && p.lower <= lo + pad)) line(p.lower, 'limit', 'LNPL', yX);
    line(p.mr_mean, 'mean', 'mean mR', (v) => yM(v));
    line(p.mr_upper, 'limit', 'URL', (v) => yM(v));
    if (k > 0) {
      const xs = (xAt(a - 1) + xAt(a)) / 2;
      svg.appendChild(s('line', { x1: xs, x2: xs, y1: 4, y2: top + mH, class: 'split' }));
      svg.appendChild(s('text', { x: xs + 3, y: 14, class: 'split-lbl' }, `split ${p.from || ''}`));
    }
  });
  // the series
  const path = (yf, key) => {
    let d = '';
    pts.forEach((p, i) => {
      const v = p[key];
      if (v === null || v === undefined) return;
      const cont = i > 0 && pts[i - 1][key] !== null && pts[i - 1][key] !== undefined && pts[i - 1].part === p.part;
      d += `${cont ? 'L' : 'M'}${xAt(i).toFixed(1)},${yf(v).toFixed(1)} `;
    });
    return s('path', { d: d.trim(), class: 'series' });
  };
  svg.appendChild(path(yX, 'value'));
  svg.appendChild(path(yM, 'mr'));
  pts.forEach((p, i) => {
    const sig = p.signal;
    const c = s('circle', {
      cx: xAt(i), cy: yX(p.value), r: sig ? 4.5 : 2.8, class: sig ? 'pt sig sig-' + sig : 'pt',
      dataset: null,
    }, s('title', null, `${p.x}: ${fmtUnit(chart.unit, p.value)}${sig ? ' — signal: ' + sig.replace('_', ' ') : ''}`));
    if (sig) c.setAttribute('data-signal', sig);
    svg.appendChild(c);
    if (p.mr !== null && p.mr !== undefined) {
      const rangeSig = sig === 'range';
      svg.appendChild(s('circle', { cx: xAt(i), cy: yM(p.mr), r: rangeSig ? 4 : 2.2, class: rangeSig ? 'pt sig' : 'pt' }));
    }
  });
  const step = Math.max(1, Math.ceil(pts.length / 8));
  for (let i = 0; i < pts.length; i += step) {
    svg.appendChild(s('text', { x: xAt(i), y: top + mH + 16, 'text-anchor': 'middle', class: 'axis' }, pts[i].date || pts[i].x));
  }
  wrap.appendChild(svg);
  const sigs = chart.signals || [];
  if (sigs.length) {
    wrap.appendChild(h('ul', { class: 'signals' }, sigs.slice(0, 12).map((g) => h('li', null,
      h('span', { class: 'sig-dot', 'aria-hidden': 'true' }), `${g.text} at ${g.x}${g.x_last && g.x_last !== g.x ? ' – ' + g.x_last : ''}`))));
  }
  return wrap;
}

// ---- tables ---------------------------------------------------------------

function groupTable(rows, label) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty' }, 'None.');
  return h('table', { class: 'grid' },
    h('thead', null, h('tr', null, h('th', null, label), h('th', null, 'Contacts'), h('th', null, 'Value'),
      h('th', null, 'Failure'), h('th', null, 'Uncoded'), h('th', null, 'Failure share'))),
    h('tbody', null, rows.slice(0, 30).map((r) => h('tr', null, h('td', null, r.name), h('td', { class: 'n' }, r.total),
      h('td', { class: 'n' }, r.value), h('td', { class: 'n' }, r.failure), h('td', { class: 'n' }, r.unclassified),
      h('td', { class: 'n' }, pct(r.failure_share))))));
}

function stat(label, value, id) {
  return h('div', { class: 'stat', dataset: { stat: id } }, h('div', { class: 'stat-v' }, value), h('div', { class: 'stat-l' }, label));
}

function rejectedList(rejected) {
  if (!rejected || rejected.length === 0) return null;
  return h('details', { class: 'rejected', open: true },
    h('summary', null, `${rejected.length} ${rejected.length === 1 ? 'row' : 'rows'} rejected`),
    h('table', { class: 'grid' }, h('thead', null, h('tr', null, h('th', null, 'Line'), h('th', null, 'Reason'))),
      h('tbody', null, rejected.slice(0, 200).map((r) => h('tr', null, h('td', { class: 'n' }, r.line), h('td', null, r.reason))))));
}

// ---- "Use in a model" -----------------------------------------------------

async function useInModel(ctx, log, m) {
  let models;
  try {
    models = (await api.get('models')).models;
  } catch (e) {
    notifyError(e);
    return;
  }
  const figures = [['Failure share (all contacts)', m.failure_share]];
  for (const g of m.by_service || []) figures.push([`Failure share: ${g.name}`, g.failure_share]);
  for (const g of m.by_channel || []) figures.push([`Failure share by channel: ${g.name}`, g.failure_share]);
  if (m.first_contact) figures.push(['Resolved at first contact', m.first_contact.share]);
  if (m.handoffs) figures.push(['Mean handoffs', m.handoffs.mean]);
  if (m.end_to_end) figures.push(['Mean end-to-end days', m.end_to_end.mean], ['Median end-to-end days', m.end_to_end.median]);
  const usable = figures.filter(([, v]) => v !== null && v !== undefined);
  await formDialog('Use a measured figure in a model', (form, close) => {
    form.classList.add('demand-form');
    const fig = h('select', { name: 'figure' }, usable.map(([l, v], i) => h('option', { value: i }, `${l} = ${Number(v).toPrecision(4)}`)));
    const model = h('select', { name: 'model' }, models.map((x) => h('option', { value: x.name }, x.title || x.name)));
    const param = h('select', { name: 'set' });
    const name = h('input', { name: 'name', required: true, maxlength: 100, value: `measured: ${log.name}`.slice(0, 100) });
    const value = h('input', { name: 'value', type: 'number', step: 'any', required: true });
    const fillParams = () => {
      const mm = models.find((x) => x.name === model.value);
      const vars = (mm ? mm.variables : []).filter((v) => v.constant);
      fill(param, vars.map((v) => h('option', { value: v.name }, `${v.name}${v.value !== undefined ? ' (now ' + v.value + ')' : ''}`)));
      const guess = vars.find((v) => /failure/i.test(v.name) && /(share|fraction|proportion)/i.test(v.name));
      if (guess) param.value = guess.name;
    };
    const fillValue = () => {
      const f = usable[Number(fig.value)];
      if (f) value.value = String(Number(f[1].toPrecision(6)));
    };
    model.addEventListener('change', fillParams);
    fig.addEventListener('change', fillValue);
    const failureModel = models.find((x) => x.name === 'failure-demand');
    if (failureModel) model.value = failureModel.name;
    fillParams();
    fillValue();
    fill(form,
      field('Measured figure', fig),
      field('Model', model),
      field('Parameter', param, 'A constant of the model; the scenario sets it to the value below.'),
      field('Value', value),
      field('Scenario name', name),
      h('div', { class: 'form-error', role: 'alert' }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => close(null) }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary' }, 'Save scenario')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = usable[Number(fig.value)];
      const body = {
        model: model.value,
        name: name.value,
        description: `From the demand study of contact log '${log.name}': ${f ? f[0] : ''} = ${value.value}`.slice(0, 2000),
        set: { [param.value]: Number(value.value) },
      };
      try {
        await api.post(ws(ctx.slug, 'scenarios'), body);
        notify(`Saved scenario '${body.name}' for ${body.model}`);
        close(true);
      } catch (e) {
        showFormError(form, e);
      }
    });
  });
}

// ---- the coding screen ----------------------------------------------------

function codingScreen(box, ctx, log, measures, state) {
  const canCode = ctx.rank >= 1;
  const contacts = state.contacts;
  const types = [];
  for (const g of measures.by_type || []) {
    // "(no type)" is the engine's name for none: not a type to code with
    if (g.name && !/^\(.*\)$/.test(g.name) && types.length < TYPE_KEYS) types.push(g.name);
  }
  const progress = h('div', { class: 'code-progress', 'aria-live': 'polite' });
  const card = h('div', { class: 'code-card card' });
  const keys = h('div', { class: 'keys card' },
    h('h3', null, 'Keyboard'),
    h('ul', { class: 'plain' },
      h('li', null, h('kbd', null, 'V'), ' value demand'),
      h('li', null, h('kbd', null, 'F'), ' failure demand'),
      h('li', null, h('kbd', null, '1'), '–', h('kbd', null, String(Math.max(1, types.length))), ' choose a type (then V or F)'),
      h('li', null, h('kbd', null, 'Enter'), ' accept the suggestion'),
      h('li', null, h('kbd', null, 'S'), ' skip'),
      h('li', null, h('kbd', null, '←'), ' ', h('kbd', null, '→'), ' back, forward')),
    h('ol', { class: 'type-keys' }, types.map((t, i) => h('li', { dataset: { type: t } }, h('kbd', null, String(i + 1)), ' ', t))));
  let typeInput = null;
  const counts = () => {
    const coded = contacts.filter((c) => c.demand).length;
    return { coded, total: contacts.length };
  };
  const drawProgress = () => {
    const { coded, total } = counts();
    fill(progress,
      h('span', { class: 'code-count', dataset: { coded, total } }, `${coded} of ${total} coded · ${total - coded} uncoded · contact ${state.index + 1} of ${total}`),
      h('progress', { max: total || 1, value: coded }));
  };
  const draw = () => {
    drawProgress();
    const c = contacts[state.index];
    if (!c) {
      fill(card, h('p', { class: 'empty' }, 'No contacts in this log.'));
      return;
    }
    typeInput = h('input', { name: 'type', maxlength: 200, value: state.type ?? (c.type || (c.suggestion ? c.suggestion.type : '')), 'aria-label': 'Type' });
    typeInput.addEventListener('input', () => {
      state.type = typeInput.value;
    });
    typeInput.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === 'Escape') {
        ev.preventDefault();
        typeInput.blur();
      }
    });
    const sug = c.suggestion;
    fill(card,
      h('div', { class: 'code-meta' },
        h('strong', null, c.ext_id), ` · line ${c.line} · `, c.received_at, ' · ', c.channel || 'no channel', ' · ', c.service || 'no service',
        c.case_id ? ` · case ${c.case_id}` : '', c.repeat ? h('span', { class: 'badge warn' }, ' repeat ') : null),
      h('blockquote', { class: 'words' }, c.words || '(no words recorded)'),
      c.what_matters ? h('p', { class: 'matters' }, h('span', { class: 'hint' }, 'What matters: '), c.what_matters) : null,
      h('p', { class: 'hint' },
        `Handoffs: ${c.handoffs ?? 'not recorded'} · resolved at first contact: ${c.first_contact === null ? 'not recorded' : c.first_contact ? 'yes' : 'no'}`),
      h('p', { class: 'coded-now', dataset: { demand: c.demand || 'none' } },
        c.demand ? h('span', { class: 'kind kind-' + c.demand }, c.demand) : h('span', { class: 'kind kind-none' }, 'not coded'),
        c.type ? ` · ${c.type}` : '',
        c.coding ? h('span', { class: 'hint' }, ` (coded by ${c.coding.by || 'someone'})`) : c.imported.demand ? h('span', { class: 'hint' }, ' (as imported)') : null),
      sug ? h('p', { class: 'suggestion' }, 'Suggested: ', h('span', { class: 'kind kind-' + sug.demand }, sug.demand),
        sug.type ? ` · ${sug.type}` : '', h('span', { class: 'hint' }, ` — ${sug.why}`)) : null,
      canCode ? h('div', { class: 'code-actions' },
        field('Type', typeInput, 'Type or press 1–9; then V or F.'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', onclick: () => move(-1) }, '← Back'),
          h('button', { type: 'button', onclick: () => move(1) }, 'Skip →'),
          c.coding ? h('button', { type: 'button', onclick: () => code(null) }, 'Clear my coding') : null,
          h('button', { type: 'button', class: 'kind-btn value', onclick: () => code('value') }, 'Value (V)'),
          h('button', { type: 'button', class: 'kind-btn failure', onclick: () => code('failure') }, 'Failure (F)')))
        : h('p', { class: 'notice' }, 'Viewers read the coding; contributors code.'));
    for (const li of keys.querySelectorAll('.type-keys li')) li.classList.toggle('on', li.dataset.type === typeInput.value);
  };
  const move = (d) => {
    state.index = Math.min(Math.max(0, state.index + d), Math.max(0, contacts.length - 1));
    state.type = null;
    draw();
  };
  let busy = false;
  const code = async (demand) => {
    const c = contacts[state.index];
    if (!c || busy || !canCode) return;
    busy = true;
    const type = typeInput ? typeInput.value.trim() : '';
    try {
      const r = await api.put(ws(ctx.slug, `demand/contacts/${c.id}`), { demand, type });
      c.coding = r.contact.coding;
      c.demand = demand || c.imported.demand;
      c.type = demand ? type : c.imported.type;
      state.dirty = true;
      if (demand) {
        // on to the next contact still uncoded (or simply the next one)
        const next = contacts.findIndex((x, i) => i > state.index && !x.demand);
        state.index = next >= 0 ? next : Math.min(state.index + 1, contacts.length - 1);
        state.type = null;
      }
      draw();
    } catch (e) {
      notifyError(e);
    } finally {
      busy = false;
    }
  };
  const onKey = (ev) => {
    if (!box.isConnected || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    if (document.querySelector('dialog[open]')) return;
    const k = ev.key;
    let done = true;
    if (k === 'ArrowRight') move(1);
    else if (k === 'ArrowLeft') move(-1);
    else if (k === 's' || k === 'S') move(1);
    else if ((k === 'v' || k === 'V') && canCode) code('value');
    else if ((k === 'f' || k === 'F') && canCode) code('failure');
    else if (k === 'Enter' && canCode && contacts[state.index] && contacts[state.index].suggestion) {
      const sug = contacts[state.index].suggestion;
      if (typeInput) typeInput.value = sug.type;
      code(sug.demand);
    } else if (/^[1-9]$/.test(k) && canCode && types[Number(k) - 1]) {
      state.type = types[Number(k) - 1];
      draw();
    } else done = false;
    if (done) ev.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  fill(box, h('div', { class: 'code-layout' }, h('div', null, progress, card), keys));
  draw();
  return () => document.removeEventListener('keydown', onKey);
}

// ---- the rules editor -----------------------------------------------------

// PUT /demand/rules, keeping the error's list of every rule error (which
// the shared client drops): throws {message, errors}.
async function putRules(slug, text) {
  try {
    return await api.put(ws(slug, 'demand/rules'), { text });
  } catch (e) {
    if (e.status !== 400 || e.field !== 'text') throw e;
    // ask again for the full error: the check is pure, nothing was saved
    const m = document.cookie.match(/(?:^|;\s*)territory_csrf=([^;]*)/);
    const res = await fetch(`/api/${ws(slug, 'demand/rules')}`, {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': m ? decodeURIComponent(m[1]) : '' },
      body: JSON.stringify({ text }),
    });
    const data = await res.json().catch(() => null);
    const err = new Error(e.message);
    err.errors = data && data.error && Array.isArray(data.error.errors) ? data.error.errors : [];
    throw err;
  }
}

function rulesEditor(box, ctx, onSaved) {
  const text = h('textarea', { name: 'text', rows: 16, spellcheck: 'false', class: 'rules-text', 'aria-label': 'Rules' });
  const errs = h('ol', { class: 'rule-errors', 'aria-live': 'polite' });
  const meta = h('p', { class: 'hint' });
  const canEdit = ctx.rank >= 1;
  const form = h('form', { class: 'card rules' },
    h('h2', null, 'Classification rules'),
    h('p', { class: 'hint' }, 'One rule a line: ', h('code', null, 'phrase => type, value|failure'), ' or ',
      h('code', null, '/regular expression/ => type, value|failure'), '. The first rule that matches the customer\u2019s words suggests a coding for uncoded contacts; ',
      h('code', null, '#'), ' starts a comment.'),
    text, errs, meta,
    canEdit ? h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save rules')) : null);
  const showErrors = (list) => {
    fill(errs, (list || []).map((e) => h('li', null, h('button', {
      type: 'button', class: 'link',
      onclick: () => {
        const lines = text.value.split('\n');
        let at = 0;
        for (let i = 0; i < e.line - 1 && i < lines.length; i++) at += lines[i].length + 1;
        const col = Math.max(0, (e.column || 1) - 1);
        text.focus();
        text.setSelectionRange(at + col, at + (lines[e.line - 1] || '').length);
      },
    }, `line ${e.line}, column ${e.column}`), ': ', e.message)));
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await putRules(ctx.slug, text.value);
      showErrors([]);
      fill(meta, `Saved ${r.rules.updated_at || ''}`);
      notify('Rules saved');
      onSaved();
    } catch (e) {
      const list = e.errors || [];
      showErrors(list.length ? list : [{ line: 0, column: 0, message: e.message }]);
    }
  });
  fill(box, form);
  api.get(ws(ctx.slug, 'demand/rules')).then((r) => {
    text.value = r.rules.text;
    if (r.rules.updated_at) fill(meta, 'Last saved by ', r.rules.author || 'someone', ' ', timeEl(r.rules.updated_at));
  }).catch(notifyError);
}

// ---- the page -------------------------------------------------------------

function uploadCard(ctx, onDone) {
  const name = h('input', { name: 'name', maxlength: 200, required: true, placeholder: 'Housing repairs, March' });
  const file = h('input', { type: 'file', name: 'csv', accept: '.csv,text/csv' });
  const out = h('div', { class: 'upload-result' });
  const form = h('form', { class: 'card upload' });
  let text = null;
  const take = async (f) => {
    if (!f) return;
    if (f.size > 1000000) {
      fill(out, h('p', { class: 'form-error' }, `${f.name} is over 1 MB; split it into smaller logs`));
      return;
    }
    text = await f.text();
    if (!name.value) name.value = f.name.replace(/\.csv$/i, '').slice(0, 200);
    fill(out, h('p', { class: 'hint' }, `${f.name}: ${text.split('\n').length} lines read. Press Upload.`));
  };
  file.addEventListener('change', () => take(file.files[0]));
  const drop = h('div', { class: 'drop', tabindex: 0 }, 'Drop a CSV contact log here, or choose a file: ', file);
  drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    take(ev.dataTransfer.files[0]);
  });
  fill(form, h('h2', null, 'Upload a contact log'),
    h('p', { class: 'hint' }, 'CSV with a header row: received_at (required), id, channel, service, words, demand, type, what_matters, resolved_first_contact, handoffs, case_id, case_closed_at.'),
    field('Name', name), drop,
    h('div', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Upload')), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (text === null) {
      fill(out, h('p', { class: 'form-error' }, 'Choose a CSV file first'));
      return;
    }
    try {
      const r = await api.post(ws(ctx.slug, 'demand/logs'), { name: name.value, csv: text });
      fill(out, h('p', { class: 'ok' }, `Loaded ${r.log.contacts} contacts from '${r.log.name}'.`), rejectedList(r.log.rejected));
      onDone(r.log);
    } catch (e) {
      fill(out, h('p', { class: 'form-error', role: 'alert' }, e.message));
    }
  });
  return form;
}

export async function renderDemand(root, ctx, args, stale) {
  addCss();
  const page = h('section', { class: 'page demand-page' });
  fill(root, page);
  let cleanup = null;
  const view = { logId: null, mode: null, contacts: null };

  async function draw(a) {
    if (cleanup) cleanup();
    cleanup = null;
    const logId = a[0] ? Number(a[0]) : null;
    const mode = a[1] === 'code' || a[1] === 'rules' ? a[1] : 'measures';
    let logs;
    try {
      logs = (await api.get(ws(ctx.slug, 'demand/logs'))).logs;
    } catch (e) {
      fill(page, h('p', { class: 'form-error' }, e.message));
      return;
    }
    if (stale()) return;
    const base = `#/w/${encodeURIComponent(ctx.slug)}/demand`;
    const side = h('aside', { class: 'demand-side' },
      h('h2', null, 'Contact logs'),
      logs.length ? h('ul', { class: 'log-list plain' }, logs.map((l) => h('li', { class: l.id === logId ? 'current' : '' },
        h('a', { href: `${base}/${l.id}` }, l.name),
        h('span', { class: 'hint' }, ` ${l.contacts} contacts, ${l.coded} coded by members`))))
        : h('p', { class: 'empty' }, 'No contact log yet.'),
      ctx.rank >= 1 ? uploadCard(ctx, (l) => {
        location.hash = `${base}/${l.id}`;
      }) : null);
    const mainBox = h('div', { class: 'demand-main' });
    fill(page, h('div', { class: 'page-head' }, h('h1', null, 'Demand'),
      h('p', { class: 'lead' }, 'Study a service\u2019s contacts: code each as value or failure demand, and see what the numbers and the capability charts say.')),
    h('div', { class: 'demand-layout' }, side, mainBox));
    if (!logId) {
      if (logs.length) location.replace(`${base}/${logs[0].id}`);
      else fill(mainBox, h('p', { class: 'empty' }, 'Upload a contact log to begin. A sample: demand/housing-repairs.csv in the repository.'));
      return;
    }
    const log = logs.find((l) => l.id === logId);
    if (!log) {
      fill(mainBox, h('p', { class: 'form-error' }, 'No such contact log in this workspace.'));
      return;
    }
    const nav = h('nav', { class: 'subtabs', 'aria-label': 'Contact log' },
      [['measures', 'Measures', ''], ['code', 'Code contacts', '/code'], ['rules', 'Rules', '/rules']].map(([k, label, suffix]) =>
        h('a', { href: `${base}/${logId}${suffix}`, class: k === mode ? 'tab current' : 'tab', 'aria-current': k === mode ? 'page' : false }, label)),
      h('a', { href: `/api/w/${encodeURIComponent(ctx.slug)}/demand/logs/${logId}/report.html`, target: '_blank', rel: 'noopener', class: 'tab' }, 'Report (HTML)'));
    const body = h('div', { class: 'demand-body' });
    fill(mainBox, h('h2', { class: 'log-title' }, log.name), nav, body);
    fill(body, h('p', { class: 'loading' }, 'Loading…'));
    let m, full;
    try {
      [m, full] = await Promise.all([api.get(ws(ctx.slug, `demand/logs/${logId}/measures`)), api.get(ws(ctx.slug, `demand/logs/${logId}`))]);
    } catch (e) {
      fill(body, h('p', { class: 'form-error' }, e.message));
      return;
    }
    if (stale()) return;
    if (mode === 'rules') {
      rulesEditor(body, ctx, () => {});
      return;
    }
    if (mode === 'code') {
      try {
        if (view.logId !== logId || !view.contacts) {
          const all = [];
          for (let off = 0; ; off += 1000) {
            const r = await api.get(ws(ctx.slug, `demand/logs/${logId}/contacts`) + query({ filter: 'all', offset: off, limit: 1000 }));
            all.push(...r.contacts);
            if (all.length >= r.matched || r.contacts.length === 0) break;
          }
          const first = all.findIndex((c) => !c.demand);
          view.contacts = { contacts: all, index: first < 0 ? 0 : first, type: null };
          view.logId = logId;
        }
      } catch (e) {
        fill(body, h('p', { class: 'form-error' }, e.message));
        return;
      }
      if (stale()) return;
      cleanup = codingScreen(body, ctx, log, m, view.contacts);
      return;
    }
    view.contacts = null; // coding may have changed: reload next time
    drawMeasures(body, ctx, log, full.log, m, () => draw(a));
  }

  function drawMeasures(body, ctx2, log, full, m, redraw) {
    const fc = m.first_contact || {};
    const ho = m.handoffs || {};
    const e2e = m.end_to_end || {};
    const splitInput = h('input', { type: 'date', name: 'split', 'aria-label': 'Split date' });
    const splits = full.splits || [];
    const putSplits = async (list) => {
      try {
        await api.put(ws(ctx2.slug, `demand/logs/${log.id}/splits`), { splits: list });
        redraw();
      } catch (e) {
        notifyError(e);
      }
    };
    fill(body,
      rejectedList(full.rejected),
      h('div', { class: 'stats' },
        stat('contacts', m.total, 'total'),
        stat('value', m.value, 'value'),
        stat('failure', m.failure, 'failure'),
        stat('not coded', m.unclassified, 'unclassified'),
        stat('failure share', pct(m.failure_share), 'failure_share'),
        stat('with suggestions', pct(m.failure_share_with_suggestions), 'failure_share_with_suggestions')),
      h('p', { class: 'hint' }, m.share_basis, m.suggested && m.suggested.length ? `. ${m.suggested.length} uncoded contacts have a suggestion (see Code contacts).` : '.'),
      h('div', { class: 'actions left' },
        ctx2.rank >= 1 ? h('button', { type: 'button', class: 'primary', id: 'use-in-model', onclick: () => useInModel(ctx2, log, m) }, 'Use in a model…') : null,
        ctx2.isFacilitator ? h('button', {
          type: 'button', class: 'danger',
          onclick: async () => {
            if (!(await confirmDialog(`Delete the contact log '${log.name}' and its coding?`, 'Delete'))) return;
            try {
              await api.del(ws(ctx2.slug, `demand/logs/${log.id}`));
              location.hash = `#/w/${encodeURIComponent(ctx2.slug)}/demand`;
            } catch (e) {
              notifyError(e);
            }
          },
        }, 'Delete log') : null),
      h('section', { class: 'card' }, h('h2', null, 'Failure demand by type (Pareto)'), paretoChart(m.pareto && m.pareto.failure, 'Failure demand by type')),
      h('section', { class: 'card' }, h('h2', null, 'Value demand by type'), paretoChart(m.pareto && m.pareto.value, 'Value demand by type')),
      h('div', { class: 'two' },
        h('section', { class: 'card' }, h('h2', null, 'By service'), groupTable(m.by_service, 'Service')),
        h('section', { class: 'card' }, h('h2', null, 'By channel'), groupTable(m.by_channel, 'Channel'))),
      h('section', { class: 'card' }, h('h2', null, 'By type'), groupTable(m.by_type, 'Type')),
      h('div', { class: 'stats' },
        stat('resolved at first contact', pct(fc.share), 'first_contact'),
        stat('first contact not recorded', fc.not_recorded ?? '–', 'first_unknown'),
        stat('mean handoffs', num(ho.mean, 2), 'handoffs'),
        stat('cases (open)', `${e2e.cases ?? 0} (${e2e.open ?? 0})`, 'cases'),
        stat('end-to-end mean', `${num(e2e.mean)} d`, 'e2e_mean'),
        stat('median · 85th pct', `${num(e2e.median)} · ${num(e2e.p85)} d`, 'e2e_median')),
      ho.distribution && ho.distribution.length ? h('p', { class: 'hint' }, 'Handoffs: ',
        ho.distribution.map((d) => `${d.handoffs}: ${d.count}`).join(' · ')) : null,
      h('section', { class: 'card' }, h('h2', null, 'Capability charts'),
        h('div', { class: 'splits' }, h('span', null, 'Split dates (a change to the service): '),
          splits.length ? splits.map((d) => h('span', { class: 'split-chip' }, d,
            ctx2.rank >= 1 ? h('button', { type: 'button', class: 'quiet', 'aria-label': `Remove split ${d}`, onclick: () => putSplits(splits.filter((x) => x !== d)) }, '×') : null))
            : h('span', { class: 'hint' }, 'none '),
          ctx2.rank >= 1 ? h('span', null, splitInput, h('button', {
            type: 'button', onclick: () => {
              if (splitInput.value) putSplits([...new Set([...splits, splitInput.value])].sort());
            },
          }, 'Add split')) : null),
        (m.xmr || []).map(xmrChart)));
  }

  await draw(args);
  return {
    update: (a) => draw(a),
    cleanup: () => {
      if (cleanup) cleanup();
    },
  };
}
