// loops.js - the panel beside the map: the feedback loops the server found
// (GET /loops), grouped by polarity (reinforcing, balancing, unknown) and
// by length, each one a button that highlights it on the map; and the
// leverage table (loops through each factor, betweenness, links in and out).
import { h, fill } from './dom.js';

const POLARITY = [
  ['R', 'Reinforcing', 'Vicious or virtuous circles: a change comes back amplified.'],
  ['B', 'Balancing', 'Goal-seeking loops: a change comes back opposed.'],
  ['?', 'Unknown polarity', 'Loops with a link of unknown sign.'],
];

// A stable name of a loop, to tell new loops from old ones.
export function loopKey(loop) {
  return `${loop.polarity}:${loop.nodes.join(',')}`;
}

// Draws the loops list into `box`. `title(id)` names a factor; `onPick(loop
// or null)` is called when the user chooses (or un-chooses) a loop; `fresh`
// is the set of loop keys that are new since the last look.
export function drawLoops(box, data, title, onPick, fresh) {
  let picked = null;
  const buttons = [];
  const pick = (loop, btn) => {
    const same = picked === loop;
    for (const b of buttons) b.setAttribute('aria-pressed', 'false');
    picked = same ? null : loop;
    if (!same) btn.setAttribute('aria-pressed', 'true');
    onPick(picked);
  };
  const summary = data.count === 0
    ? 'No feedback loops yet. Link factors in a circle to make one.'
    : `${data.count} ${data.count === 1 ? 'loop' : 'loops'}` +
      (data.listed < data.count ? `, the ${data.listed} shortest listed` : '');
  const groups = POLARITY.map(([pol, label, help]) => {
    const loops = data.loops.filter((l) => l.polarity === pol);
    if (loops.length === 0) return null;
    const byLen = new Map();
    for (const l of loops) {
      if (!byLen.has(l.length)) byLen.set(l.length, []);
      byLen.get(l.length).push(l);
    }
    const lens = [...byLen.keys()].sort((a, b) => a - b);
    let n = 0;
    return h('section', { class: 'loop-group pol-' + (pol === '?' ? 'u' : pol), dataset: { polarity: pol } },
      h('h3', null, h('span', { class: 'pol-mark', 'aria-hidden': 'true' }, pol), ` ${label} `,
        h('span', { class: 'count' }, `(${loops.length})`)),
      h('p', { class: 'hint' }, help),
      lens.map((len, li) => h('details', { class: 'loop-len', open: li < 2 || byLen.get(len).some((l) => fresh.has(loopKey(l))) },
        h('summary', null, `${len} ${len === 1 ? 'factor' : 'factors'} (${byLen.get(len).length})`),
        h('ol', { class: 'loop-list' }, byLen.get(len).map((loop) => {
          n += 1;
          const isNew = fresh.has(loopKey(loop));
          const names = loop.nodes.map(title);
          const btn = h('button', {
            type: 'button', class: 'loop' + (isNew ? ' new' : ''), 'aria-pressed': 'false',
            dataset: { key: loopKey(loop) },
            title: names.concat(names[0]).join(' → '),
          },
          h('span', { class: 'loop-id' }, `${pol}${n}`),
          isNew ? h('span', { class: 'badge new' }, 'new') : null,
          loop.delay ? h('span', { class: 'badge delay', title: 'Has a delay' }, 'delay') : null,
          h('span', { class: 'loop-path' }, names.join(' → '), ' → ', h('i', null, names[0])));
          btn.addEventListener('click', () => pick(loop, btn));
          buttons.push(btn);
          return h('li', null, btn);
        })))));
  });
  fill(box,
    h('p', { class: 'loops-summary', id: 'loops-summary', role: 'status' }, summary),
    groups);
  return {
    clear: () => {
      picked = null;
      for (const b of buttons) b.setAttribute('aria-pressed', 'false');
    },
  };
}

// Betweenness may be a fraction (normalised) or a count of paths.
function betweenness(v) {
  const n = Number(v);
  if (!Number.isFinite(n)) return '–';
  if (Number.isInteger(n)) return String(n);
  return n < 10 ? n.toFixed(3) : n.toFixed(1);
}

// The leverage table: factors ranked by loops through them, then by
// betweenness. `onPick(id)` centres the factor on the map.
export function drawLeverage(box, data, title, onPick) {
  const rows = [...(data.leverage || [])].sort((a, b) => (b.loops - a.loops) ||
    (b.betweenness - a.betweenness) || (a.id - b.id));
  if (rows.length === 0) {
    fill(box, h('p', { class: 'empty' }, 'No factors on the map yet.'));
    return;
  }
  fill(box,
    h('p', { class: 'hint' }, 'Factors that sit on many loops, or on many paths between others, are candidate leverage points.'),
    h('table', { class: 'leverage', id: 'leverage' },
      h('caption', { class: 'sr-only' }, 'Leverage: factors ranked by loops through them'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'Factor'),
        h('th', { scope: 'col', class: 'num', title: 'Loops through the factor' }, 'Loops'),
        h('th', { scope: 'col', class: 'num', title: 'Betweenness centrality' }, 'Betw.'),
        h('th', { scope: 'col', class: 'num', title: 'Links in' }, 'In'),
        h('th', { scope: 'col', class: 'num', title: 'Links out' }, 'Out'))),
      h('tbody', null, rows.map((r, i) => h('tr', null,
        h('td', { class: 'num' }, String(i + 1)),
        h('td', null, h('button', { type: 'button', class: 'link', onclick: () => onPick(r.id) }, title(r.id))),
        h('td', { class: 'num' }, String(r.loops)),
        h('td', { class: 'num' }, betweenness(r.betweenness)),
        h('td', { class: 'num' }, String(r.in)),
        h('td', { class: 'num' }, String(r.out)))))));
}
