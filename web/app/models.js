// models.js - the Models view: the model library (#/models, or
// #/models/in/SLUG from a workspace), and one model's page
// (#/models/NAME[/SLUG]): its document as text, its parameters with
// editable values, its shipped scenarios and the workspace's saved ones;
// Run and Compare draw a line chart per chosen variable with a line per
// scenario, Ensemble draws 5-95 and 25-75 bands around the median, and Loop
// dominance charts each loop's relative score over time. Charts are uPlot
// (web/node_modules/uplot, served under /vendor/). All user text goes in as
// text (dom.js's h), never as HTML.
import { api, ws } from './api.js';
import { h, fill, notify, notifyError } from './dom.js';

const COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#999999', '#f0e442'];

let uplotLoaded = null;
function loadUplot() {
  if (!uplotLoaded) {
    uplotLoaded = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = '/vendor/uPlot.min.css';
      document.head.appendChild(css);
      const s = document.createElement('script');
      s.src = '/vendor/uPlot.iife.min.js';
      s.onload = () => resolve(window.uPlot);
      s.onerror = () => reject(new Error('the chart library did not load'));
      document.head.appendChild(s);
    });
  }
  return uplotLoaded;
}

const enc = encodeURIComponent;

export async function renderModels(main, parts, stale) {
  // parts: [] | ['in', SLUG] | [NAME] | [NAME, SLUG]
  if (parts.length === 0 || parts[0] === 'in') return renderLibrary(main, parts[1] || '', stale);
  return renderModel(main, parts[0], parts[1] || '', stale);
}

async function renderLibrary(main, slug, stale) {
  fill(main, h('p', { class: 'loading' }, 'Loading…'));
  const r = await api.get('models');
  if (stale()) return;
  fill(main, h('section', { class: 'page' },
    h('h1', null, 'Models'),
    h('p', null, 'System-dynamics models to test ideas on before trying them on people. Pick one to run it, compare scenarios, see its uncertainty and which feedback loops drive it.'),
    h('ul', { class: 'model-list' }, r.models.map((m) => h('li', { class: 'model-card' },
      h('h2', null, h('a', { href: `#/models/${enc(m.name)}${slug ? '/' + enc(slug) : ''}` }, m.title)),
      h('p', null, m.purpose),
      h('p', { class: 'hint' }, `${m.variables.filter((v) => v.constant).length} parameters, ${m.variables.length} variables, ${m.time.start}–${m.time.stop} ${m.time.units}`))))));
}

// A minimal Markdown: headings, paragraphs, list items and **bold** as text.
function markdown(text) {
  const out = [];
  for (const block of text.split(/\n\s*\n/)) {
    const t = block.trim();
    if (!t) continue;
    const m = /^(#{1,4})\s+(.*)$/s.exec(t);
    if (m) {
      out.push(h(`h${Math.min(m[1].length + 1, 5)}`, null, m[2]));
    } else if (/^[-*] /.test(t)) {
      out.push(h('ul', null, t.split(/\n(?=[-*] )/).map((li) => h('li', null, inline(li.replace(/^[-*] /, ''))))));
    } else {
      out.push(h('p', null, inline(t.replace(/\n/g, ' '))));
    }
  }
  return out;
}

function inline(s) {
  return s.split(/(\*\*[^*]+\*\*)/).map((p) => (p.startsWith('**') && p.endsWith('**') && p.length > 4
    ? h('strong', null, p.slice(2, -2)) : p));
}

function chart(uPlot, el, title, time, series, opts) {
  const width = Math.max(320, Math.min(760, el.clientWidth || 640));
  return new uPlot({
    title,
    width,
    height: 240,
    scales: { x: { time: false } },
    series: [{ label: 'time' }, ...series],
    bands: opts && opts.bands,
    legend: { show: true },
  }, [time, ...series.map((s) => s.data)], el);
}

async function renderModel(main, name, slug, stale) {
  fill(main, h('p', { class: 'loading' }, 'Loading…'));
  const [m, saved, uPlot] = await Promise.all([
    api.get(`models/${enc(name)}`),
    slug ? api.get(ws(slug, `scenarios?model=${enc(name)}`)).catch(() => ({ scenarios: [] })) : { scenarios: [] },
    loadUplot(),
  ]);
  if (stale()) return;
  const params = m.variables.filter((v) => v.constant);
  const reportable = m.variables.filter((v) => !v.constant);
  const inputs = new Map();
  const picked = new Set(reportable.slice(0, 2).map((v) => v.name));
  const scenChecks = new Map();
  const charts = h('div', { class: 'charts', id: 'model-charts' });
  const status = h('p', { class: 'hint', role: 'status' });
  const charted = [];
  const clearCharts = () => {
    for (const c of charted.splice(0)) c.destroy();
    fill(charts);
  };

  const paramRows = params.map((v) => {
    const input = h('input', { type: 'number', step: 'any', value: String(v.value), 'aria-label': v.name, dataset: { param: v.name } });
    inputs.set(v.name, input);
    const lo = h('input', { type: 'number', step: 'any', value: String(v.value * 0.8), 'aria-label': `${v.name} low`, class: 'narrow' });
    const hi = h('input', { type: 'number', step: 'any', value: String(v.value * 1.2), 'aria-label': `${v.name} high`, class: 'narrow' });
    const dist = h('select', { 'aria-label': `${v.name} distribution` },
      h('option', { value: '' }, 'fixed'), h('option', { value: 'uniform' }, 'uniform'), h('option', { value: 'triangular' }, 'triangular'));
    v.range = { lo, hi, dist };
    return h('tr', null, h('th', { scope: 'row', title: v.doc || '' }, v.name), h('td', null, input), h('td', null, v.units),
      h('td', null, dist, ' ', lo, ' – ', hi));
  });

  const setOf = () => {
    const set = {};
    for (const v of params) {
      const x = Number(inputs.get(v.name).value);
      if (inputs.get(v.name).value !== '' && Number.isFinite(x) && x !== v.value) set[v.name] = x;
    }
    return set;
  };
  const vars = () => [...picked];

  const drawCompare = (r) => {
    clearCharts();
    for (const v of r.vars) {
      const box = h('figure', { class: 'chart' });
      charts.appendChild(box);
      charted.push(chart(uPlot, box, v.name, r.time,
        v.series.map((s, i) => ({ label: r.scenarios[i].name, stroke: COLORS[i % COLORS.length], width: 2, data: s }))));
    }
  };

  const run = async () => {
    status.textContent = 'Running…';
    const r = await api.post(`models/${enc(name)}/run`, { set: setOf(), vars: vars() });
    drawCompare(r);
    status.textContent = 'Ran the model with the values above.';
  };
  const compare = async () => {
    const scenarios = [];
    const set = setOf();
    if (Object.keys(set).length) scenarios.push({ name: 'your values', set });
    for (const [sc, box] of scenChecks) {
      if (box.checked) scenarios.push({ name: sc.name, set: sc.set || {}, ...(sc.graphs ? { graphs: sc.graphs } : {}) });
    }
    if (!scenarios.length) {
      notify('Tick a scenario to compare, or change a value', 'error');
      return;
    }
    status.textContent = 'Comparing…';
    const r = await api.post(`models/${enc(name)}/compare`, { scenarios, vars: vars() });
    drawCompare(r);
    status.textContent = `Compared ${r.scenarios.length} runs.`;
  };
  const runs = h('input', { type: 'number', min: '1', max: '5000', value: '200', 'aria-label': 'runs', class: 'narrow' });
  const seed = h('input', { type: 'number', min: '0', value: '1', 'aria-label': 'seed', class: 'narrow' });
  const ensemble = async () => {
    const vary = [];
    for (const v of params) {
      const { lo, hi, dist } = v.range;
      if (!dist.value) continue;
      vary.push(dist.value === 'uniform'
        ? `${v.name}=uniform(${lo.value}, ${hi.value})`
        : `${v.name}=triangular(${lo.value}, ${inputs.get(v.name).value}, ${hi.value})`);
    }
    if (!vary.length) {
      notify('Choose a distribution for at least one parameter', 'error');
      return;
    }
    status.textContent = 'Running the ensemble…';
    const r = await api.post(`models/${enc(name)}/ensemble`,
      { runs: Number(runs.value), seed: Number(seed.value), vary, vars: vars() });
    clearCharts();
    for (const v of r.vars) {
      const box = h('figure', { class: 'chart band-chart' });
      charts.appendChild(box);
      const line = (label, data, color, w) => ({ label, data, stroke: color, width: w });
      charted.push(chart(uPlot, box, `${v.name} (${r.runs} runs)`, r.time, [
        line('p95', v.p95, '#9ecae1', 1), line('p75', v.p75, '#4292c6', 1), line('median', v.p50, '#08306b', 2),
        line('p25', v.p25, '#4292c6', 1), line('p5', v.p5, '#9ecae1', 1)], {
        bands: [{ series: [1, 5], fill: 'rgba(66,146,198,0.15)' }, { series: [2, 4], fill: 'rgba(66,146,198,0.3)' }],
      }));
    }
    status.textContent = `Ensemble of ${r.runs} runs: shaded 5–95% and 25–75%, the median as a line.`;
  };
  const dominance = async () => {
    status.textContent = 'Scoring the loops…';
    const r = await api.get(`models/${enc(name)}/dominance`);
    clearCharts();
    const box = h('figure', { class: 'chart' });
    charts.appendChild(box);
    charted.push(chart(uPlot, box, 'Relative loop scores', r.time,
      r.loops.map((l, i) => ({ label: l.id, stroke: COLORS[i % COLORS.length], width: 2, data: l.relative }))));
    charts.appendChild(h('div', { class: 'dominance' },
      h('h3', null, 'Dominant loop by period'),
      h('ul', null, r.periods.map((p) => h('li', null, `${p.from}–${p.to}: ${p.loop || 'none'}`))),
      h('h3', null, 'Loops'),
      h('ul', null, r.loops.map((l) => h('li', null, h('strong', null, l.id), ' ', l.loop)))));
    status.textContent = r.method === 'strongest'
      ? `${r.scored} loops found by strongest path and scored (of ${r.count}${r.exact ? '' : '+'}); ${r.listed} shown.`
      : `${r.scored} loops scored.`;
  };
  const guard = (fn) => async () => {
    try {
      await fn();
    } catch (e) {
      status.textContent = '';
      notifyError(e);
    }
  };
  const save = async () => {
    const nameInput = document.getElementById('save-name');
    const set = setOf();
    if (!nameInput.value.trim()) {
      notify('Name the scenario first', 'error');
      return;
    }
    await api.post(ws(slug, 'scenarios'), { model: name, name: nameInput.value.trim(), set });
    notify(`Saved '${nameInput.value.trim()}' in the workspace`);
    nameInput.value = '';
  };

  const scenList = (list, kind) => list.map((sc) => {
    const box = h('input', { type: 'checkbox', 'aria-label': sc.name });
    scenChecks.set(sc, box);
    return h('li', null, h('label', null, box, ' ', h('strong', null, sc.name), kind ? ` (${kind})` : ''),
      sc.description ? h('p', { class: 'hint' }, sc.description) : null);
  });

  fill(main, h('section', { class: 'page model-page' },
    h('p', null, h('a', { href: slug ? `#/models/in/${enc(slug)}` : '#/models' }, '← All models'),
      slug ? [' · ', h('a', { href: `#/w/${enc(slug)}/map` }, 'Back to the workspace')] : null),
    h('h1', null, m.title),
    h('p', { class: 'lead' }, m.purpose),
    h('div', { class: 'model-actions' },
      h('button', { type: 'button', class: 'primary', id: 'run', onclick: guard(run) }, 'Run'),
      h('button', { type: 'button', id: 'compare', onclick: guard(compare) }, 'Compare'),
      h('span', null, ' Ensemble: ', runs, ' runs, seed ', seed, ' ',
        h('button', { type: 'button', id: 'ensemble', onclick: guard(ensemble) }, 'Ensemble')),
      h('button', { type: 'button', id: 'dominance', onclick: guard(dominance) }, 'Loop dominance')),
    status,
    charts,
    h('h2', null, 'Variables to chart'),
    h('div', { class: 'var-picks' }, reportable.map((v) => h('label', { class: 'pick' },
      h('input', { type: 'checkbox', checked: picked.has(v.name), 'aria-label': `chart ${v.name}`,
        onchange: (ev) => (ev.target.checked ? picked.add(v.name) : picked.delete(v.name)) }), ' ', v.name))),
    h('h2', null, 'Parameters'),
    h('table', { class: 'params' }, h('thead', null, h('tr', null, h('th', null, 'parameter'), h('th', null, 'value'),
      h('th', null, 'units'), h('th', null, 'ensemble range'))), h('tbody', null, paramRows)),
    h('h2', null, 'Scenarios'),
    h('ul', { class: 'scenarios' }, scenList(m.scenarios, 'shipped'), scenList(saved.scenarios, 'saved')),
    slug ? h('p', null, h('input', { id: 'save-name', placeholder: 'Scenario name', 'aria-label': 'scenario name' }), ' ',
      h('button', { type: 'button', id: 'save', onclick: guard(save) }, 'Save these values as a scenario')) : null,
    h('h2', null, 'About this model'),
    h('div', { class: 'model-doc' }, markdown(m.document))));
  return () => clearCharts();
}
