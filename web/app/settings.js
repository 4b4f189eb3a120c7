// settings.js - the Facilitation page: my display name and digest, the
// Atom feed and the exports (everyone); the workspace's name, description
// and lock, meetings, invite links and hidden contributions
// (facilitators); members' roles and deleting the workspace (owners).
import { api, ws } from './api.js';
import { h, fill, field, onSubmit, notify, notifyError, confirmDialog, go } from './dom.js';

const DIGESTS = [
  ['none', 'No e-mail'],
  ['meeting', 'After each meeting'],
  ['daily', 'Daily'],
  ['weekly', 'Weekly'],
];

const ROLES = ['viewer', 'contributor', 'facilitator', 'owner'];

function absolute(url) {
  try {
    return new URL(url, location.href).href;
  } catch {
    return url;
  }
}

function copyBox(label, value, id) {
  const input = h('input', { type: 'text', readonly: true, value, id });
  return h('div', { class: 'copy-box' }, field(label, input),
    h('button', {
      type: 'button',
      onclick: async () => {
        input.select();
        try {
          await navigator.clipboard.writeText(value);
          notify('Copied');
        } catch {
          notify('Select the text and copy it');
        }
      },
    }, 'Copy'));
}

function meSection(ctx) {
  const name = h('input', { type: 'text', name: 'display_name', value: ctx.ws.display_name, required: true, maxlength: 100 });
  const digest = h('select', { name: 'digest' }, DIGESTS.map(([v, l]) => h('option', { value: v, selected: v === ctx.ws.digest }, l)));
  const form = h('form', { class: 'card', id: 'me-form' },
    h('h2', null, 'You in this workspace'),
    field('Display name', name, 'Others see this name beside what you add.'),
    field('E-mail digest of changes', digest),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save')));
  onSubmit(form, async () => {
    await api.patch(ws(ctx.slug, 'me'), { display_name: name.value.trim(), digest: digest.value });
    await ctx.reload();
    notify('Saved');
  });
  return h('div', null, form,
    h('section', { class: 'card' },
      h('h2', null, 'Follow along'),
      h('p', { class: 'hint' }, 'Add this private link to a feed reader to follow the changes. Do not share it.'),
      ctx.ws.feed_url ? copyBox('Atom feed', absolute(ctx.ws.feed_url), 'feed-url') : h('p', null, 'No feed.')));
}

function exportsSection(ctx) {
  const base = `/api/w/${encodeURIComponent(ctx.slug)}/`;
  const link = (file, label, note) => h('li', null,
    h('a', { href: base + file, download: `${ctx.slug}-${file}` }, label), h('span', { class: 'hint' }, ' ', note));
  return h('section', { class: 'card', id: 'exports' },
    h('h2', null, 'Export'),
    h('ul', { class: 'plain exports' },
      link('export.json', 'Workspace (JSON)', 'everything, to import elsewhere'),
      link('export.graphml', 'Map (GraphML)', 'for yEd, Gephi and others'),
      link('export.dot', 'Map (Graphviz DOT)', 'for Graphviz'),
      link('items.csv', 'Items (CSV)', 'for a spreadsheet')));
}

function workspaceSection(ctx) {
  const name = h('input', { type: 'text', name: 'name', value: ctx.ws.name, required: true, maxlength: 200 });
  const desc = h('textarea', { name: 'description', rows: 3, value: ctx.ws.description || '' });
  const form = h('form', { class: 'card', id: 'ws-form' },
    h('h2', null, 'Workspace'),
    field('Name', name), field('Description', desc),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save')));
  onSubmit(form, async () => {
    await api.patch(ws(ctx.slug), { name: name.value.trim(), description: desc.value.trim() });
    await ctx.reload();
    notify('Saved');
  });
  const locked = ctx.ws.locked;
  const lock = h('section', { class: 'card', id: 'lock' },
    h('h2', null, 'Lock the list'),
    h('p', null, locked
      ? 'The list is locked: only facilitators and owners can change items, links and themes.'
      : 'While the list is locked, only facilitators and owners can change items, links and themes – for example during a meeting.'),
    h('div', { class: 'actions' },
      h('button', {
        type: 'button', id: 'lock-toggle', class: locked ? 'primary' : '',
        onclick: async () => {
          try {
            await api.patch(ws(ctx.slug), { locked: !locked });
            notify(locked ? 'The list is unlocked' : 'The list is locked');
            await ctx.reload();
            go(location.hash);
          } catch (e) {
            notifyError(e);
          }
        },
      }, locked ? 'Unlock the list' : 'Lock the list')));
  const note = h('input', { type: 'text', name: 'note', maxlength: 500 });
  const meeting = h('form', { class: 'card', id: 'meeting-form' },
    h('h2', null, 'Meetings'),
    h('p', { class: 'hint' }, 'Members who chose the digest "After each meeting" get the changes since the last meeting.'),
    field('Note (optional)', note),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'End the meeting now')));
  onSubmit(meeting, async () => {
    const body = note.value.trim() ? { note: note.value.trim() } : {};
    await api.post(ws(ctx.slug, 'meetings'), body);
    note.value = '';
    notify('Meeting marked as ended');
  });
  return [form, lock, meeting];
}

function inviteSection(ctx) {
  const role = h('select', { name: 'role' },
    ['viewer', 'contributor', 'facilitator'].map((r) => h('option', { value: r, selected: r === 'contributor' }, r)));
  const out = h('div', { class: 'invite-out', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', id: 'invite-form' },
    h('h2', null, 'Invite people'),
    h('p', { class: 'hint' }, 'Make a link and send it; whoever opens it joins with the role you chose.'),
    field('Role', role),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Make invite link')),
    out);
  onSubmit(form, async () => {
    const r = await api.post(ws(ctx.slug, 'invites'), { role: role.value });
    fill(out, copyBox(`Invite link (${role.value})`, absolute(r.url), 'invite-url'));
  });
  return form;
}

async function membersSection(ctx, box) {
  const r = await api.get(ws(ctx.slug, 'members'));
  const rows = r.members.map((m) => {
    let roleCell = h('span', { class: 'role role-' + m.role }, m.role);
    let remove = null;
    if (ctx.isOwner) {
      const sel = h('select', { 'aria-label': `Role of ${m.display_name}` },
        ROLES.map((x) => h('option', { value: x, selected: x === m.role }, x)));
      sel.addEventListener('change', async () => {
        try {
          await api.patch(ws(ctx.slug, `members/${m.user_id}`), { role: sel.value });
          notify(`${m.display_name} is now ${sel.value}`);
        } catch (e) {
          sel.value = m.role;
          notifyError(e);
        }
      });
      roleCell = sel;
      remove = h('button', {
        type: 'button', class: 'small danger',
        onclick: async () => {
          if (!await confirmDialog(`Remove ${m.display_name} from the workspace?`, 'Remove')) return;
          try {
            await api.del(ws(ctx.slug, `members/${m.user_id}`));
            notify(`Removed ${m.display_name}`);
            await membersSection(ctx, box);
          } catch (e) {
            notifyError(e);
          }
        },
      }, 'Remove');
    }
    return h('tr', null, h('td', null, m.display_name), h('td', null, roleCell), ctx.isOwner ? h('td', null, remove) : null);
  });
  fill(box, h('h2', null, 'Members'),
    h('table', { class: 'members', id: 'members' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Role'),
        ctx.isOwner ? h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
      h('tbody', null, rows)));
}

async function hiddenSection(ctx, box) {
  const [it, ln] = await Promise.all([
    api.get(ws(ctx.slug, 'items') + '?hidden=1&status=all'),
    api.get(ws(ctx.slug, 'links') + '?hidden=1'),
  ]);
  const items = it.items.filter((x) => x.hidden);
  const links = ln.links.filter((x) => x.hidden);
  const titles = new Map(it.items.map((x) => [x.id, x.title]));
  const restore = (kind, id) => h('button', {
    type: 'button', class: 'small',
    onclick: async () => {
      try {
        await api.post(ws(ctx.slug, `${kind}/${id}/restore`));
        notify('Restored');
        await hiddenSection(ctx, box);
      } catch (e) {
        notifyError(e);
      }
    },
  }, 'Restore');
  fill(box, h('h2', null, 'Hidden contributions'),
    items.length + links.length === 0 ? h('p', { class: 'hint' }, 'Nothing is hidden. Hide an item from its detail, or a link from the map.') : null,
    items.length ? h('ul', { class: 'plain hidden-list' }, items.map((x) => h('li', null, h('span', null, x.title), ' ', restore('items', x.id)))) : null,
    links.length ? h('ul', { class: 'plain hidden-list' }, links.map((l) => h('li', null,
      h('span', null, `${titles.get(l.from) || 'item ' + l.from} → ${l.polarity === '-' ? '\u2212' : '+'} → ${titles.get(l.to) || 'item ' + l.to}`),
      ' ', restore('links', l.id)))) : null);
}

function dangerSection(ctx) {
  return h('section', { class: 'card danger-zone' },
    h('h2', null, 'Delete the workspace'),
    h('p', null, 'Deletes the list, themes, map and history for every member. This cannot be undone.'),
    h('div', { class: 'actions' }, h('button', {
      type: 'button', class: 'danger',
      onclick: async () => {
        if (!await confirmDialog(`Delete '${ctx.ws.name}' for everyone?`, 'Delete workspace')) return;
        try {
          await api.del(ws(ctx.slug));
          notify(`Deleted '${ctx.ws.name}'`);
          go('#/');
        } catch (e) {
          notifyError(e);
        }
      },
    }, 'Delete workspace')));
}

export async function renderSettings(main, ctx) {
  const members = h('section', { class: 'card', id: 'members-box' }, h('p', { class: 'loading' }, 'Loading members…'));
  const hidden = ctx.isFacilitator ? h('section', { class: 'card', id: 'hidden-box' }, h('p', { class: 'loading' }, 'Loading…')) : null;
  main.appendChild(h('section', { class: 'page settings-page' },
    h('header', { class: 'page-head' }, h('h1', null, 'Facilitation'),
      h('p', { class: 'lead' }, `${ctx.ws.counts.items} items, ${ctx.ws.counts.links} links, ` +
        `${ctx.ws.counts.themes} themes, ${ctx.ws.counts.members} members. You are ${ctx.role === 'owner' ? 'an' : 'a'} ${ctx.role}.`)),
    h('div', { class: 'settings-grid' },
      h('div', { class: 'col' }, meSection(ctx), exportsSection(ctx), members),
      ctx.isFacilitator ? h('div', { class: 'col' }, inviteSection(ctx), workspaceSection(ctx), hidden,
        ctx.isOwner ? dangerSection(ctx) : null) : null)));
  await Promise.all([
    membersSection(ctx, members).catch((e) => fill(members, h('p', { class: 'form-error', role: 'alert' }, e.message))),
    hidden ? hiddenSection(ctx, hidden).catch((e) => fill(hidden, h('p', { class: 'form-error', role: 'alert' }, e.message))) : null,
  ]);
}
