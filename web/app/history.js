// history.js - who changed what, newest first (GET /events), a page at a
// time; each change shows the fields it changed, and a facilitator can put
// an item or a link back to the state it had just after any change.
import { api, ws, query } from './api.js';
import { h, fill, timeEl, notify, notifyError, confirmDialog } from './dom.js';

const PAGE = 50;

const ACTIONS = {
  'item.add': 'added an item',
  'item.edit': 'edited an item',
  'item.delete': 'deleted an item',
  'item.merge': 'merged an item',
  'item.hide': 'hid an item',
  'item.restore': 'restored an item',
  'item.rollback': 'rolled an item back',
  'item.theme': 'changed an item\u2019s theme',
  'rating.set': 'rated an item',
  'evidence.add': 'added evidence',
  'link.add': 'added a link',
  'link.edit': 'edited a link',
  'link.delete': 'deleted a link',
  'link.hide': 'hid a link',
  'link.restore': 'restored a link',
  'link.rollback': 'rolled a link back',
  'theme.add': 'added a theme',
  'theme.edit': 'changed a theme',
  'theme.delete': 'deleted a theme',
  'workspace.edit': 'edited the workspace',
  'workspace.lock': 'locked the list',
  'workspace.unlock': 'unlocked the list',
  'member.join': 'joined',
  'member.role': 'changed a role',
  'member.remove': 'removed a member',
  'meeting.end': 'ended a meeting',
};

const SHOWN = ['title', 'body', 'theme_id', 'status', 'hidden', 'merged_into', 'polarity', 'delay', 'note', 'name', 'color',
  'from', 'to', 'locked', 'role', 'importance', 'uncertainty', 'kind', 'text', 'source', 'value'];

function show(v) {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// The fields that differ between before and after, as a small table.
function diff(before, after) {
  const b = before && typeof before === 'object' ? before : {};
  const a = after && typeof after === 'object' ? after : {};
  const keys = SHOWN.filter((k) => k in a || k in b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  if (keys.length === 0) return null;
  return h('table', { class: 'diff' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
    h('tbody', null, keys.map((k) => h('tr', null,
      h('th', { scope: 'row' }, k), h('td', { class: 'before' }, show(b[k])), h('td', { class: 'after' }, show(a[k]))))));
}

export async function renderHistory(main, ctx, args, stale) {
  const list = h('ol', { class: 'events', id: 'events' });
  const more = h('button', { type: 'button', id: 'older', hidden: true }, 'Older changes');
  let last = null;

  function row(e) {
    const state = (e.after && typeof e.after === 'object' ? e.after : null) ||
      (e.before && typeof e.before === 'object' ? e.before : {});
    const name = state.title || state.name || null;
    const target = e.target_type === 'item' && e.target_id
      ? h('a', { href: `#/w/${encodeURIComponent(ctx.slug)}/list/${e.target_id}` }, name || `item ${e.target_id}`)
      : e.target_type === 'theme' && name ? h('span', { class: 'target' }, name) : null;
    const canRoll = ctx.isFacilitator && (e.target_type === 'item' || e.target_type === 'link') && e.after &&
      !e.action.startsWith('rating') && !e.action.startsWith('evidence');
    const d = diff(e.before, e.after);
    return h('li', { class: 'event', dataset: { id: String(e.id), action: e.action } },
      h('div', { class: 'event-head' },
        timeEl(e.at),
        h('span', { class: 'actor' }, e.actor || 'someone'),
        h('span', { class: 'action' }, ACTIONS[e.action] || e.action),
        target),
      e.summary ? h('p', { class: 'summary' }, e.summary) : null,
      d ? h('details', null, h('summary', null, 'What changed'), d) : null,
      canRoll ? h('button', {
        type: 'button', class: 'small rollback',
        onclick: async () => {
          if (!await confirmDialog(`Put this ${e.target_type} back to how it was just after this change?`, 'Roll back')) return;
          try {
            await api.post(ws(ctx.slug, `${e.target_type}s/${e.target_id}/rollback`), { event_id: e.id });
            notify('Rolled back');
            await reload();
          } catch (err) {
            notifyError(err);
          }
        },
      }, 'Roll back to this') : null);
  }

  async function page(before) {
    const r = await api.get(ws(ctx.slug, 'events') + query({ before, limit: PAGE }));
    if (stale()) return;
    if (!before && r.events.length === 0) {
      fill(list, h('li', { class: 'empty' }, 'No changes yet.'));
    }
    for (const e of r.events) list.appendChild(row(e));
    if (r.events.length) last = r.events[r.events.length - 1].id;
    more.hidden = r.events.length < PAGE;
  }

  async function reload() {
    fill(list);
    last = null;
    await page(null);
  }

  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await page(last);
    } catch (e) {
      notifyError(e);
    } finally {
      more.disabled = false;
    }
  });

  main.appendChild(h('section', { class: 'page history-page' },
    h('header', { class: 'page-head' }, h('h1', null, 'History'),
      h('p', { class: 'lead' }, 'Every change to the workspace, newest first.' +
        (ctx.isFacilitator ? ' You can put an item or a link back to an earlier state.' : ''))),
    list, more));
  try {
    await page(null);
  } catch (e) {
    fill(list, h('li', { class: 'form-error', role: 'alert' }, e.message));
  }
}
