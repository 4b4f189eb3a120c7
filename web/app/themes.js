// themes.js - the themes board: one column per theme and one for items
// with none; create, rename, colour and delete themes (facilitators); move
// items between themes by dragging a card or by selecting cards and
// choosing a theme (keyboard); and "Suggest themes", the server's clusters,
// each accepted (the theme is created with its items) or dismissed.
import { api, ws } from './api.js';
import { h, fill, field, onSubmit, notify, notifyError, confirmDialog } from './dom.js';

// Default colours offered for a new theme: Okabe-Ito's colour-blind-safe
// set first, then a few more distinct ones.
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#8c564b', '#6a3d9a',
  '#bcbd22', '#b15928', '#1b9e77', '#7f7f7f'];

export async function renderThemes(main, ctx, args, stale) {
  const selected = new Set();
  let items = [];
  const board = h('div', { class: 'board', id: 'theme-board' });
  const suggestions = h('section', { class: 'suggestions', id: 'suggestions', 'aria-live': 'polite' });
  const selBar = h('div', { class: 'selection-bar', role: 'region', 'aria-label': 'Selected items' });
  const page = h('section', { class: 'page themes-page' });

  const canMove = (item) => ctx.canContribute && (ctx.isFacilitator || ctx.mine(item.author));

  async function load() {
    const [r] = await Promise.all([api.get(ws(ctx.slug, 'items') + '?sort=title'), ctx.reloadThemes()]);
    if (stale()) return;
    items = r.items;
    for (const id of [...selected]) if (!items.some((i) => i.id === id)) selected.delete(id);
    draw();
  }

  async function move(ids, themeId) {
    let done = 0;
    for (const id of ids) {
      try {
        await api.post(ws(ctx.slug, `items/${id}/theme`), { theme_id: themeId });
        done += 1;
      } catch (e) {
        const it = items.find((i) => i.id === id);
        notifyError(new Error(`'${it ? it.title : id}': ${e.message}`));
      }
    }
    if (done) {
      const t = ctx.theme(themeId);
      notify(`Moved ${done} ${done === 1 ? 'item' : 'items'} to ${t ? `'${t.name}'` : 'no theme'}`);
    }
    selected.clear();
    await load();
  }

  function card(item) {
    const movable = canMove(item);
    const box = h('input', {
      type: 'checkbox', checked: selected.has(item.id), 'aria-label': `Select '${item.title}'`,
      onchange: (ev) => {
        if (ev.target.checked) selected.add(item.id);
        else selected.delete(item.id);
        drawSelection();
      },
    });
    const el = h('li', { class: 'card-item', draggable: movable ? 'true' : false, dataset: { id: String(item.id) } },
      movable ? box : null,
      h('a', { href: `#/w/${encodeURIComponent(ctx.slug)}/list/${item.id}` }, item.title));
    if (movable) {
      el.addEventListener('dragstart', (ev) => {
        ev.dataTransfer.setData('text/plain', String(item.id));
        ev.dataTransfer.effectAllowed = 'move';
        el.classList.add('dragging');
      });
      el.addEventListener('dragend', () => el.classList.remove('dragging'));
    }
    return el;
  }

  function columnHead(theme, n) {
    if (!theme) return h('header', { class: 'col-head' }, h('h2', null, 'No theme'), h('span', { class: 'count' }, String(n)));
    const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.background = theme.color;
    const head = h('header', { class: 'col-head' }, swatch, h('h2', null, theme.name), h('span', { class: 'count' }, String(n)));
    if (!ctx.isFacilitator) return head;
    const color = h('input', { type: 'color', value: theme.color, 'aria-label': `Colour of '${theme.name}'`, class: 'color' });
    color.addEventListener('change', async () => {
      try {
        await api.patch(ws(ctx.slug, `themes/${theme.id}`), { color: color.value });
        await load();
      } catch (e) {
        notifyError(e);
      }
    });
    const rename = h('button', {
      type: 'button', class: 'quiet small', 'aria-label': `Rename '${theme.name}'`,
      onclick: () => {
        const input = h('input', { type: 'text', name: 'name', value: theme.name, required: true, maxlength: 200 });
        const form = h('form', { class: 'rename' }, field('Theme name', input),
          h('div', { class: 'actions' },
            h('button', { type: 'button', onclick: () => draw() }, 'Cancel'),
            h('button', { type: 'submit', class: 'primary' }, 'Rename')));
        onSubmit(form, async () => {
          await api.patch(ws(ctx.slug, `themes/${theme.id}`), { name: input.value.trim() });
          await load();
        });
        head.replaceWith(form);
        input.select();
      },
    }, 'Rename');
    const del = h('button', {
      type: 'button', class: 'quiet small danger', 'aria-label': `Delete '${theme.name}'`,
      onclick: async () => {
        if (!await confirmDialog(`Delete the theme '${theme.name}'? Its items become unthemed.`, 'Delete')) return;
        try {
          await api.del(ws(ctx.slug, `themes/${theme.id}`));
          notify(`Deleted '${theme.name}'`);
          await load();
        } catch (e) {
          notifyError(e);
        }
      },
    }, 'Delete');
    head.append(h('div', { class: 'col-tools' }, color, rename, del));
    return head;
  }

  function column(theme) {
    const tid = theme ? theme.id : null;
    const its = items.filter((i) => (i.theme_id ?? null) === tid);
    const col = h('section', { class: 'column', dataset: { theme: tid === null ? 'none' : String(tid) },
      'aria-label': theme ? theme.name : 'No theme' },
    columnHead(theme, its.length),
    h('ul', { class: 'cards' }, its.length ? its.map(card) : h('li', { class: 'empty' }, 'Drop items here')));
    if (theme) col.style.setProperty('--theme', theme.color);
    col.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      ev.dataTransfer.dropEffect = 'move';
      col.classList.add('drop');
    });
    col.addEventListener('dragleave', () => col.classList.remove('drop'));
    col.addEventListener('drop', (ev) => {
      ev.preventDefault();
      col.classList.remove('drop');
      const id = Number(ev.dataTransfer.getData('text/plain'));
      const it = items.find((i) => i.id === id);
      if (it && (it.theme_id ?? null) !== tid) {
        const ids = selected.has(id) ? [...selected] : [id];
        move(ids, tid);
      }
    });
    return col;
  }

  function drawSelection() {
    if (selected.size === 0) {
      fill(selBar, h('p', { class: 'hint' }, ctx.canContribute
        ? 'Drag a card onto a theme, or tick cards and move them together.'
        : 'Themes group the list; facilitators and contributors arrange them.'));
      return;
    }
    const target = h('select', { name: 'target', 'aria-label': 'Move the selected items to' },
      h('option', { value: '' }, 'No theme'),
      ctx.themes.map((t) => h('option', { value: String(t.id) }, t.name)));
    fill(selBar,
      h('span', { class: 'n' }, `${selected.size} selected`),
      h('label', null, 'Move to ', target),
      h('button', {
        type: 'button', class: 'primary', id: 'move-selected',
        onclick: () => move([...selected], target.value ? Number(target.value) : null),
      }, 'Move'),
      h('button', {
        type: 'button', class: 'quiet',
        onclick: () => {
          selected.clear();
          draw();
        },
      }, 'Clear selection'));
  }

  function draw() {
    fill(board, ctx.themes.map(column), column(null));
    drawSelection();
  }

  function createForm() {
    const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 200 });
    const color = h('input', { type: 'color', name: 'color', value: PALETTE[ctx.themes.length % PALETTE.length] });
    const withSel = h('input', { type: 'checkbox', name: 'with_selected', checked: true });
    const form = h('form', { class: 'card create-theme', id: 'create-theme', 'aria-label': 'New theme' },
      field('New theme', name), field('Colour', color),
      h('label', { class: 'check' }, withSel, ' with the selected items'),
      h('button', { type: 'submit', class: 'primary' }, 'Create theme'));
    onSubmit(form, async () => {
      const body = { name: name.value.trim(), color: color.value };
      if (withSel.checked && selected.size) body.items = [...selected];
      const r = await api.post(ws(ctx.slug, 'themes'), body);
      notify(`Created '${r.theme.name}'`);
      name.value = '';
      selected.clear();
      await load();
      color.value = PALETTE[ctx.themes.length % PALETTE.length];
    });
    return form;
  }

  function suggestionCard(s, i, done) {
    const name = h('input', { type: 'text', name: 'name', value: s.name, required: true, maxlength: 200 });
    const color = h('input', { type: 'color', name: 'color', value: PALETTE[(ctx.themes.length + i) % PALETTE.length] });
    const titles = s.items.map((id) => items.find((x) => x.id === id)).filter(Boolean);
    const form = h('form', { class: 'card suggestion', dataset: { index: String(i) } },
      h('div', { class: 'row' }, field('Theme name', name), field('Colour', color)),
      s.terms && s.terms.length ? h('p', { class: 'terms' }, 'Shared words: ', s.terms.join(', ')) : null,
      h('ul', { class: 'plain' }, titles.map((t) => h('li', null, t.title))),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => done(form) }, 'Dismiss'),
        h('button', { type: 'submit', class: 'primary' }, `Accept (${s.items.length} items)`)));
    onSubmit(form, async () => {
      const r = await api.post(ws(ctx.slug, 'themes'), { name: name.value.trim(), color: color.value, items: s.items });
      notify(`Created '${r.theme.name}' with ${s.items.length} items`);
      done(form);
      await load();
    });
    return form;
  }

  async function suggest(btn) {
    btn.disabled = true;
    fill(suggestions, h('p', { class: 'loading' }, 'Looking for clusters in the text…'));
    try {
      const r = await api.post(ws(ctx.slug, 'themes/suggest'), {});
      const list = r.suggestions || [];
      const cards = h('div', { class: 'suggestion-list' });
      const done = (form) => {
        form.remove();
        if (!cards.querySelector('.suggestion')) fill(suggestions);
      };
      fill(cards, list.map((s, i) => suggestionCard(s, i, done)));
      fill(suggestions,
        h('header', { class: 'row-head' }, h('h2', null, 'Suggested themes'),
          h('button', { type: 'button', class: 'quiet', onclick: () => fill(suggestions) }, 'Close')),
        list.length ? h('p', { class: 'hint' }, 'Clusters of items that share words. Rename before accepting; ' +
          'nothing is stored until you accept.') : h('p', null, 'No suggestions: too few items share words.'),
        cards);
    } catch (e) {
      fill(suggestions, h('p', { class: 'form-error', role: 'alert' }, e.message));
    } finally {
      btn.disabled = false;
    }
  }

  const tools = ctx.isFacilitator ? h('div', { class: 'page-tools' },
    h('button', { type: 'button', id: 'suggest-themes', onclick: (ev) => suggest(ev.currentTarget) }, 'Suggest themes')) : null;
  fill(page,
    h('header', { class: 'page-head with-tools' },
      h('div', null, h('h1', null, 'Themes'),
        h('p', { class: 'lead' }, 'Group the list into themes. Colours carry through to the map.')),
      tools),
    ctx.isFacilitator ? createForm() : null,
    suggestions, selBar, board);
  main.appendChild(page);
  try {
    await load();
  } catch (e) {
    fill(board, h('p', { class: 'form-error', role: 'alert' }, e.message));
  }
}
