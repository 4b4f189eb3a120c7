// item.js - one item's detail beside the list: its text, source and status;
// edit, delete, hide/restore and merge (as the role allows); the caller's
// importance and uncertainty ratings; and its evidence (story, quote,
// figure with its source).
import { api, ws } from './api.js';
import { h, fill, field, onSubmit, themeChip, timeEl, mean, notify, notifyError, confirmDialog, go, uid } from './dom.js';
import { themeOptions } from './list.js';

const KINDS = [
  ['story', 'Story'],
  ['quote', 'Quote'],
  ['figure', 'Figure'],
];

// A 1-5 scale as a group of radio buttons (keyboard: arrows).
function scale(name, label, value, low, high) {
  const id = uid('scale');
  return h('fieldset', { class: 'scale', id },
    h('legend', null, label),
    h('span', { class: 'scale-end' }, low),
    [1, 2, 3, 4, 5].map((n) => h('label', { class: 'scale-step' },
      h('input', { type: 'radio', name, value: String(n), checked: value === n, required: true }),
      h('span', null, String(n)))),
    h('span', { class: 'scale-end' }, high),
    h('div', { class: 'field-error', role: 'alert', id: `${id}-err` }));
}

function ratingForm(ctx, item, refresh) {
  const mine = item.my_rating || {};
  const form = h('form', { class: 'rating-form', id: 'rating-form', 'aria-label': 'Your rating' },
    scale('importance', 'Importance', mine.importance, 'low', 'high'),
    scale('uncertainty', 'Uncertainty', mine.uncertainty, 'known', 'unknown'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, item.my_rating ? 'Update my rating' : 'Rate')));
  onSubmit(form, async (data) => {
    const importance = Number(data.get('importance'));
    const uncertainty = Number(data.get('uncertainty'));
    await api.put(ws(ctx.slug, `items/${item.id}/rating`), { importance, uncertainty });
    notify('Rating saved');
    await refresh(true);
  });
  return form;
}

function evidenceList(item) {
  const ev = item.evidence || [];
  if (ev.length === 0) return h('p', { class: 'empty' }, 'No evidence yet.');
  return h('ul', { class: 'evidence' }, ev.map((e) => h('li', { class: 'evidence-' + e.kind },
    h('span', { class: 'badge kind' }, e.kind),
    e.kind === 'quote' ? h('blockquote', null, e.text) : h('p', null, e.text),
    e.kind === 'figure' && e.value !== null && e.value !== undefined
      ? h('p', { class: 'figure-value' }, h('b', null, String(e.value))) : null,
    h('p', { class: 'meta' },
      e.source ? h('span', { class: 'source' }, 'Source: ', e.source) : null,
      h('span', null, e.author), timeEl(e.created_at)))));
}

function evidenceForm(ctx, item, refresh) {
  const kind = h('select', { name: 'kind' }, KINDS.map(([v, l]) => h('option', { value: v }, l)));
  const text = h('textarea', { name: 'text', rows: 3, required: true });
  const value = h('input', { type: 'text', name: 'value', inputmode: 'decimal' });
  const source = h('input', { type: 'text', name: 'source' });
  const valueField = field('Figure (number)', value);
  const sync = () => {
    const fig = kind.value === 'figure';
    valueField.hidden = !fig;
    value.required = fig;
    source.required = fig;
  };
  kind.addEventListener('change', sync);
  const form = h('form', { class: 'evidence-form', id: 'evidence-form', 'aria-label': 'Add evidence' },
    h('div', { class: 'row' }, field('Kind', kind), valueField),
    field('What was said, seen or measured', text),
    field('Source', source, 'Who said it, or where the figure comes from.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add evidence')));
  sync();
  onSubmit(form, async () => {
    const body = { kind: kind.value, text: text.value.trim() };
    if (source.value.trim()) body.source = source.value.trim();
    if (kind.value === 'figure') {
      const n = Number(value.value.replace(/,/g, ''));
      if (value.value.trim() === '' || !Number.isFinite(n)) {
        throw Object.assign(new Error('a figure needs a number'), { field: 'value' });
      }
      body.value = n;
    }
    await api.post(ws(ctx.slug, `items/${item.id}/evidence`), body);
    notify('Evidence added');
    await refresh(true);
  });
  return form;
}

function editForm(ctx, item, done) {
  const title = h('input', { type: 'text', name: 'title', value: item.title, required: true, maxlength: 500 });
  const body = h('textarea', { name: 'body', rows: 4, value: item.body || '' });
  const theme = h('select', { name: 'theme_id' }, themeOptions(ctx, item.theme_id));
  const form = h('form', { class: 'edit-item', id: 'edit-item' },
    field('Title', title), field('Details', body), field('Theme', theme),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => done(false) }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Save')));
  onSubmit(form, async () => {
    const patch = {};
    if (title.value.trim() !== item.title) patch.title = title.value.trim();
    if (body.value !== (item.body || '')) patch.body = body.value;
    const t = theme.value ? Number(theme.value) : null;
    if (t !== item.theme_id) patch.theme_id = t;
    if (Object.keys(patch).length) await api.patch(ws(ctx.slug, `items/${item.id}`), patch);
    await done(true);
  });
  return form;
}

async function mergeForm(ctx, item, done) {
  const r = await api.get(ws(ctx.slug, 'items') + '?sort=title');
  const others = r.items.filter((x) => x.id !== item.id);
  const into = h('select', { name: 'into', required: true },
    h('option', { value: '' }, 'Choose the item to keep…'),
    others.map((x) => h('option', { value: String(x.id) }, x.title)));
  const form = h('form', { class: 'merge-item', id: 'merge-item' },
    h('p', { class: 'hint' }, 'This item becomes part of the one you choose: its links move there, ' +
      'and its ratings and evidence stay readable.'),
    field('Merge into', into),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => done(null) }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Merge')));
  onSubmit(form, async () => {
    if (!into.value) throw Object.assign(new Error('choose an item to merge into'), { field: 'into' });
    const res = await api.post(ws(ctx.slug, `items/${item.id}/merge`), { into: Number(into.value) });
    await done(res.item);
  });
  return form;
}

export async function renderItemDetail(box, ctx, id, opts) {
  const back = `#/w/${encodeURIComponent(ctx.slug)}/list`;
  let item;
  try {
    item = (await api.get(ws(ctx.slug, `items/${id}`))).item;
  } catch (e) {
    fill(box, h('div', { class: 'detail' },
      h('p', { class: 'form-error', role: 'alert' }, e.message),
      h('a', { href: back }, 'Close')));
    return;
  }
  const refresh = async (listToo) => {
    await renderItemDetail(box, ctx, id, opts);
    if (listToo) await opts.onChange();
  };
  const canEdit = ctx.canEdit(item.author) && item.status === 'open';
  const actionSlot = h('div', { class: 'action-slot' });
  const actions = h('div', { class: 'actions item-actions' });
  if (canEdit) {
    actions.appendChild(h('button', {
      type: 'button', id: 'edit-item-btn',
      onclick: () => fill(actionSlot, editForm(ctx, item, async (saved) => {
        if (saved) {
          notify('Saved');
          await refresh(true);
        } else fill(actionSlot);
      })),
    }, 'Edit'));
  }
  if (ctx.isFacilitator && item.status === 'open') {
    actions.appendChild(h('button', {
      type: 'button', id: 'merge-item-btn',
      onclick: async () => {
        try {
          fill(actionSlot, await mergeForm(ctx, item, async (target) => {
            if (!target) {
              fill(actionSlot);
              return;
            }
            notify(`Merged into '${target.title}'`);
            await opts.onChange();
            go(`#/w/${encodeURIComponent(ctx.slug)}/list/${target.id}`);
          }));
          actionSlot.querySelector('select').focus();
        } catch (e) {
          notifyError(e);
        }
      },
    }, 'Merge into…'));
    actions.appendChild(h('button', {
      type: 'button',
      onclick: async () => {
        try {
          await api.post(ws(ctx.slug, `items/${item.id}/${item.hidden ? 'restore' : 'hide'}`));
          notify(item.hidden ? 'Restored' : 'Hidden from the list');
          await refresh(true);
        } catch (e) {
          notifyError(e);
        }
      },
    }, item.hidden ? 'Restore' : 'Hide'));
  }
  if (canEdit) {
    actions.appendChild(h('button', {
      type: 'button', class: 'danger',
      onclick: async () => {
        if (!await confirmDialog(`Delete '${item.title}'? Its links are hidden too.`, 'Delete')) return;
        try {
          await api.del(ws(ctx.slug, `items/${item.id}`));
          notify('Deleted');
          await opts.onChange();
          go(back);
        } catch (e) {
          notifyError(e);
        }
      },
    }, 'Delete'));
  }

  const status = [];
  if (item.status === 'merged') {
    status.push(h('p', { class: 'notice' }, 'Merged into ',
      h('a', { href: `${back}/${item.merged_into}` }, `item ${item.merged_into}`), '.'));
  } else if (item.status === 'deleted') {
    status.push(h('p', { class: 'notice' }, 'This item was deleted.'));
  }
  if (item.hidden) status.push(h('p', { class: 'notice warn' }, 'Hidden: only facilitators see it.'));

  const src = item.source;
  fill(box, h('article', { class: 'detail', 'aria-labelledby': 'detail-title' },
    h('div', { class: 'detail-head' },
      h('h2', { id: 'detail-title', tabindex: '-1' }, item.title),
      h('a', { href: back, class: 'close', 'aria-label': 'Close the detail' }, '×')),
    h('div', { class: 'meta' }, themeChip(ctx.theme(item.theme_id)), h('span', null, item.author ? `by ${item.author}` : 'imported'),
      timeEl(item.created_at), item.updated_at && item.updated_at !== item.created_at
        ? h('span', null, 'edited ', timeEl(item.updated_at)) : null),
    status,
    item.body ? h('p', { class: 'body' }, item.body) : null,
    src && (src.document || src.quote) ? h('div', { class: 'source-box' },
      src.quote ? h('blockquote', null, src.quote) : null,
      src.document ? h('p', { class: 'meta' }, 'Source: ', src.document) : null) : null,
    actions.childElementCount ? actions : null,
    actionSlot,
    h('section', { class: 'ratings' },
      h('h3', null, 'Ratings'),
      h('p', { class: 'means' },
        h('span', null, 'Importance ', h('b', null, mean(item.importance))),
        h('span', null, 'Uncertainty ', h('b', null, mean(item.uncertainty))),
        h('span', { class: 'hint' }, `${item.ratings} ${item.ratings === 1 ? 'rating' : 'ratings'}`)),
      ctx.rank >= 1 && item.status === 'open' ? ratingForm(ctx, item, refresh) : null),
    h('section', { class: 'evidence-section' },
      h('h3', null, 'Evidence'),
      evidenceList(item),
      ctx.rank >= 1 && item.status === 'open'
        ? h('details', { class: 'more' }, h('summary', null, 'Add evidence'), evidenceForm(ctx, item, refresh))
        : null)));
}
