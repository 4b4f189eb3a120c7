// list.js - the big messy list: add an issue (with near-duplicates shown
// while the title is typed), sort and filter it, and open an item's detail
// beside the list (#/w/SLUG/list/ID).
import { api, ws, query } from './api.js';
import { h, fill, field, onSubmit, debounce, themeChip, timeEl, mean, notify } from './dom.js';
import { renderItemDetail } from './item.js';

const SORTS = [
  ['recent', 'Most recent'],
  ['oldest', 'Oldest'],
  ['title', 'Title'],
  ['importance', 'Importance'],
  ['uncertainty', 'Uncertainty'],
];

// The filters are kept per workspace for the browser tab's life.
function loadFilters(slug) {
  try {
    const v = JSON.parse(sessionStorage.getItem('territory.list.' + slug) || '{}');
    return { sort: 'recent', theme: '', q: '', status: 'open', hidden: false, ...v };
  } catch {
    return { sort: 'recent', theme: '', q: '', status: 'open', hidden: false };
  }
}

function saveFilters(slug, f) {
  try {
    sessionStorage.setItem('territory.list.' + slug, JSON.stringify(f));
  } catch {
    /* storage full or off: filters simply are not kept */
  }
}

export function themeOptions(ctx, selected, noneLabel) {
  return [h('option', { value: '' }, noneLabel || 'No theme'),
    ...ctx.themes.map((t) => h('option', { value: String(t.id), selected: t.id === selected }, t.name))];
}

// The list of near-duplicates under the title box.
function similarBox(ctx, items, heading) {
  if (!items || items.length === 0) return null;
  return h('div', { class: 'similar', role: 'status' },
    h('strong', null, heading),
    h('ul', null, items.map((s) => h('li', null,
      h('a', { href: `#/w/${encodeURIComponent(ctx.slug)}/list/${s.id}` }, s.title),
      h('span', { class: 'score', title: 'Similarity of the words' }, ` ${Math.round(s.score * 100)}% alike`)))));
}

function addForm(ctx, onAdded) {
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 500, autocomplete: 'off',
    placeholder: 'An issue, in a short statement' });
  const body = h('textarea', { name: 'body', rows: 2, placeholder: 'Why it matters, an example (optional)' });
  const theme = h('select', { name: 'theme_id' }, themeOptions(ctx, null));
  const similar = h('div', { class: 'similar-slot', 'aria-live': 'polite' });
  let asked = '';
  const lookUp = debounce(async () => {
    const text = title.value.trim();
    if (text === asked) return;
    asked = text;
    if (text.length < 4) {
      fill(similar);
      return;
    }
    try {
      const r = await api.get(ws(ctx.slug, 'similar') + query({ text }));
      if (asked !== text) return;
      fill(similar, similarBox(ctx, r.similar, 'Already on the list? Similar items:'));
    } catch {
      fill(similar);
    }
  }, 300);
  title.addEventListener('input', lookUp);
  const form = h('form', { class: 'add-item card', id: 'add-item', 'aria-label': 'Add an issue' },
    h('div', { class: 'add-row' },
      field('New issue', title),
      field('Theme', theme),
      h('div', { class: 'field submit' }, h('button', { type: 'submit', class: 'primary' }, 'Add'))),
    similar,
    h('details', { class: 'more' }, h('summary', null, 'Add details'), field('Details', body)));
  onSubmit(form, async () => {
    const payload = { title: title.value.trim() };
    if (body.value.trim()) payload.body = body.value.trim();
    if (theme.value) payload.theme_id = Number(theme.value);
    const r = await api.post(ws(ctx.slug, 'items'), payload);
    title.value = '';
    body.value = '';
    asked = '';
    const others = (r.similar || []).filter((s) => s.id !== r.item.id);
    fill(similar, similarBox(ctx, others, `Added. It looks like ${others.length === 1 ? 'this item' : 'these items'} – merge if it is the same:`));
    notify(`Added '${r.item.title}'`);
    title.focus();
    await onAdded(r.item);
  });
  return form;
}

function itemRow(ctx, item, selectedId) {
  const href = `#/w/${encodeURIComponent(ctx.slug)}/list/${item.id}`;
  const cls = ['item-row'];
  if (item.hidden) cls.push('is-hidden');
  if (item.status !== 'open') cls.push('is-' + item.status);
  if (item.id === selectedId) cls.push('selected');
  return h('li', { class: cls.join(' '), dataset: { id: String(item.id) } },
    h('a', { href, class: 'item-title', 'aria-current': item.id === selectedId ? 'true' : false }, item.title),
    h('div', { class: 'meta' },
      themeChip(ctx.theme(item.theme_id)),
      item.status !== 'open' ? h('span', { class: 'badge' }, item.status) : null,
      item.hidden ? h('span', { class: 'badge warn' }, 'hidden') : null,
      h('span', { class: 'author' }, item.author || 'imported'),
      timeEl(item.created_at),
      h('span', { class: 'rating', title: `Importance (mean of ${item.ratings} ratings)` }, 'Imp ', h('b', null, mean(item.importance))),
      h('span', { class: 'rating', title: `Uncertainty (mean of ${item.ratings} ratings)` }, 'Unc ', h('b', null, mean(item.uncertainty))),
      item.evidence_count ? h('span', { class: 'evidence-count', title: 'Pieces of evidence' }, `${item.evidence_count} evidence`) : null));
}

export async function renderList(main, ctx, args, stale) {
  const filters = loadFilters(ctx.slug);
  let selected = args[0] ? Number(args[0]) : null;
  const list = h('ol', { class: 'items', id: 'items', 'aria-label': 'Issues' });
  const count = h('p', { class: 'count', role: 'status' });
  const detail = h('aside', { class: 'detail-col', id: 'detail', 'aria-label': 'Item detail' });
  const page = h('section', { class: 'page list-page' });

  async function load() {
    const q = { sort: filters.sort, q: filters.q, theme: filters.theme };
    if (ctx.isFacilitator) {
      if (filters.status !== 'open') q.status = filters.status;
      if (filters.hidden) q.hidden = 1;
    }
    try {
      const r = await api.get(ws(ctx.slug, 'items') + query(q));
      if (stale()) return;
      fill(list, r.items.length ? r.items.map((it) => itemRow(ctx, it, selected))
        : h('li', { class: 'empty' }, filters.q || filters.theme ? 'No item matches.' : 'The list is empty: add the first issue.'));
      count.textContent = `${r.items.length} ${r.items.length === 1 ? 'item' : 'items'}`;
    } catch (e) {
      fill(list, h('li', { class: 'form-error', role: 'alert' }, e.message));
    }
  }

  const search = h('input', { type: 'search', name: 'q', value: filters.q, placeholder: 'Search titles and text' });
  search.addEventListener('input', debounce(() => {
    filters.q = search.value.trim();
    saveFilters(ctx.slug, filters);
    load();
  }, 250));
  const themeSel = h('select', { name: 'theme' },
    h('option', { value: '' }, 'All themes'),
    h('option', { value: 'none', selected: filters.theme === 'none' }, 'No theme'),
    ctx.themes.map((t) => h('option', { value: String(t.id), selected: String(t.id) === filters.theme }, t.name)));
  const sortSel = h('select', { name: 'sort' },
    SORTS.map(([v, l]) => h('option', { value: v, selected: v === filters.sort }, l)));
  const onFilter = () => {
    filters.theme = themeSel.value;
    filters.sort = sortSel.value;
    saveFilters(ctx.slug, filters);
    load();
  };
  themeSel.addEventListener('change', onFilter);
  sortSel.addEventListener('change', onFilter);
  const facil = [];
  if (ctx.isFacilitator) {
    const status = h('select', { name: 'status' },
      [['open', 'Open'], ['merged', 'Merged'], ['all', 'All']].map(([v, l]) => h('option', { value: v, selected: v === filters.status }, l)));
    const hidden = h('input', { type: 'checkbox', name: 'hidden', checked: filters.hidden });
    status.addEventListener('change', () => {
      filters.status = status.value;
      saveFilters(ctx.slug, filters);
      load();
    });
    hidden.addEventListener('change', () => {
      filters.hidden = hidden.checked;
      saveFilters(ctx.slug, filters);
      load();
    });
    facil.push(field('Status', status), h('label', { class: 'check' }, hidden, ' Show hidden'));
  }
  const toolbar = h('div', { class: 'toolbar', role: 'search' },
    field('Search', search), field('Theme', themeSel), field('Sort by', sortSel), facil);

  const lockNote = ctx.ws.locked && !ctx.isFacilitator
    ? h('p', { class: 'notice' }, 'The list is locked: only facilitators can change it now.') : null;
  fill(page,
    h('div', { class: 'list-col' },
      h('header', { class: 'page-head' },
        h('h1', null, 'The list'),
        ctx.ws.description ? h('p', { class: 'lead' }, ctx.ws.description) : null),
      lockNote,
      ctx.canContribute ? addForm(ctx, load) : null,
      toolbar, count, list),
    detail);
  main.appendChild(page);

  async function showDetail() {
    page.classList.toggle('has-detail', !!selected);
    for (const row of list.querySelectorAll('.item-row')) {
      const on = Number(row.dataset.id) === selected;
      row.classList.toggle('selected', on);
      const a = row.querySelector('a');
      if (on) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    }
    if (!selected) {
      fill(detail, h('div', { class: 'detail-empty' },
        h('p', null, 'Choose an item to see its detail, rate it, and add evidence.')));
      return;
    }
    await renderItemDetail(detail, ctx, selected, { onChange: load });
  }

  await load();
  await showDetail();
  return {
    update: async (a) => {
      selected = a[0] ? Number(a[0]) : null;
      await showDetail();
      if (selected) detail.querySelector('h2')?.focus();
    },
  };
}
