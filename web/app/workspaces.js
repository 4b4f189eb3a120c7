// workspaces.js - the home page (the caller's workspaces; create one;
// import a workspace document; join by an invite link) and the invite page
// (#/join/TOKEN), which signs a visitor in or up first.
import { api, currentUser } from './api.js';
import { h, fill, field, onSubmit, go, notify } from './dom.js';
import { signInForm, signUpForm } from './auth.js';

const ROLE_NOTE = {
  owner: 'Owner',
  facilitator: 'Facilitator',
  contributor: 'Contributor',
  viewer: 'Viewer',
};

function wsRow(w) {
  return h('li', { class: 'ws-card' },
    h('a', { href: `#/w/${encodeURIComponent(w.slug)}/list`, class: 'ws-link' },
      h('span', { class: 'ws-title' }, w.name),
      h('span', { class: 'ws-slug' }, w.slug)),
    h('span', { class: 'role role-' + w.role }, ROLE_NOTE[w.role] || w.role),
    w.locked ? h('span', { class: 'badge locked' }, 'Locked') : null);
}

function createForm() {
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 200 });
  const slug = h('input', { type: 'text', name: 'slug', pattern: '[a-z0-9-]{1,64}', maxlength: 64 });
  const desc = h('textarea', { name: 'description', rows: 2 });
  const form = h('form', { class: 'card', id: 'create-ws' },
    h('h2', null, 'New workspace'),
    field('Name', name),
    field('Short name for links (optional)', slug, 'Lower-case letters, digits and dashes; made from the name when empty.'),
    field('Description (optional)', desc),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create workspace')));
  onSubmit(form, async () => {
    const body = { name: name.value.trim() };
    if (slug.value.trim()) body.slug = slug.value.trim();
    if (desc.value.trim()) body.description = desc.value.trim();
    const r = await api.post('workspaces', body);
    go(`#/w/${encodeURIComponent(r.workspace.slug)}/list`);
  });
  return form;
}

function importForm() {
  const file = h('input', { type: 'file', name: 'document', accept: '.json,application/json', required: true });
  const form = h('form', { class: 'card', id: 'import-ws' },
    h('h2', null, 'Import a workspace'),
    h('p', { class: 'hint' }, 'A workspace document (JSON) exported from Territory or written by hand; ' +
      'nothing is imported when it has any problem.'),
    field('Workspace document', file),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Import')));
  onSubmit(form, async () => {
    const f = file.files[0];
    if (!f) throw new Error('choose a file to import');
    if (f.size > 1024 * 1024) throw new Error(`'${f.name}' is larger than 1 MiB`);
    const text = await f.text();
    const r = await api.post('workspaces/import', text);
    notify(`Imported '${r.workspace.name}'`);
    go(`#/w/${encodeURIComponent(r.workspace.slug)}/list`);
  });
  return form;
}

function joinForm() {
  const link = h('input', { type: 'text', name: 'token', required: true, placeholder: 'https://…/#/join/…' });
  const form = h('form', { class: 'card', id: 'join-ws' },
    h('h2', null, 'Join with an invite'),
    field('Invite link or code', link),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Join')));
  onSubmit(form, async () => {
    const v = link.value.trim();
    const m = v.match(/#\/join\/([^/?#\s]+)/);
    const token = m ? m[1] : v;
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw Object.assign(new Error('this is not an invite link'), { field: 'token' });
    go('#/join/' + token);
  });
  return form;
}

export async function renderWorkspaces(main, stale) {
  const list = h('ul', { class: 'ws-list', id: 'workspaces' }, h('li', { class: 'loading' }, 'Loading…'));
  fill(main, h('section', { class: 'page' },
    h('header', { class: 'page-head' },
      h('h1', null, 'Your workspaces'),
      h('p', { class: 'lead' }, `Signed in as ${currentUser().display_name}.`)),
    h('div', { class: 'home-grid' },
      h('div', null, list),
      h('div', { class: 'side-forms' }, createForm(), joinForm(), importForm()))));
  try {
    const r = await api.get('workspaces');
    if (stale()) return;
    if (r.workspaces.length === 0) {
      fill(list, h('li', { class: 'empty' }, 'You are in no workspace yet. Create one, or ask a facilitator for an invite link.'));
    } else {
      fill(list, r.workspaces.map(wsRow));
    }
  } catch (e) {
    fill(list, h('li', { class: 'form-error', role: 'alert' }, e.message));
  }
}

async function accept(main, token) {
  const r = await api.post(`invites/${encodeURIComponent(token)}/accept`);
  notify(`You joined '${r.workspace.name}' as ${r.workspace.role}`);
  go(`#/w/${encodeURIComponent(r.workspace.slug)}/list`);
}

export async function renderJoin(main, token) {
  const user = currentUser();
  if (!user) {
    const after = () => accept(main, token);
    fill(main, h('section', { class: 'page auth-page' },
      h('div', { class: 'intro' },
        h('h1', null, 'You have been invited to a workspace'),
        h('p', { class: 'lead' }, 'Sign in, or create an account, to join it.')),
      h('div', { class: 'auth-forms two' }, signInForm(after), signUpForm(after))));
    main.querySelector('input').focus();
    return;
  }
  const status = h('p', { role: 'status' }, 'Joining…');
  fill(main, h('section', { class: 'page narrow' }, h('h1', null, 'Joining a workspace'), status));
  try {
    await accept(main, token);
  } catch (e) {
    status.className = 'form-error';
    status.setAttribute('role', 'alert');
    status.textContent = `This invite cannot be used: ${e.message}`;
    main.querySelector('section').appendChild(h('p', null, h('a', { href: '#/' }, 'Back to your workspaces')));
  }
}
