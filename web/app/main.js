// main.js - starts the app: finds out who is signed in, draws the top bar,
// and routes the location hash to a view:
//   #/signin  #/signup  #/join/TOKEN  #/  (workspaces)
//   #/w/SLUG/list[/ITEM]  #/w/SLUG/themes  #/w/SLUG/map  #/w/SLUG/history
//   #/w/SLUG/settings
// Each view is `render(root, ctx, args)`; it may return a cleanup function,
// called when the route changes.
import { api, ws, loadMe, currentUser, signOut, onSignedOut } from './api.js';
import { h, fill, notifyError } from './dom.js';
import { renderSignIn, renderSignUp } from './auth.js';
import { renderWorkspaces, renderJoin } from './workspaces.js';
import { renderList } from './list.js';
import { renderThemes } from './themes.js';
import { renderMap } from './map.js';
import { renderHistory } from './history.js';
import { renderSettings } from './settings.js';
import { renderFraming } from './framing.js';
import { renderModels } from './models.js';
import { renderDemand } from './demand.js';

const RANK = { viewer: 0, contributor: 1, facilitator: 2, owner: 3 };

const TABS = [
  ['list', 'List'],
  ['themes', 'Themes'],
  ['map', 'Map'],
  ['scenarios', 'Scenarios'],
  ['demand', 'Demand'],
  ['history', 'History'],
  ['settings', 'Facilitation'],
];

const VIEWS = {
  list: renderList,
  themes: renderThemes,
  map: renderMap,
  scenarios: renderFraming,
  demand: renderDemand,
  history: renderHistory,
  settings: renderSettings,
};

const app = {
  cleanup: null, // the current view's cleanup function
  seq: 0, // bumps on every route, so a slow route does not draw over a newer one
  token: null, // the drawn view's token: it changes when another view replaces it
  ctx: null, // the open workspace's context
  view: null, // {key: 'SLUG/TAB', update, cleanup} of the view on screen
};

// The context a workspace view gets: the workspace as GET /api/w/SLUG
// answers it, the caller's role and what it allows, the themes, and a way
// to reload them after a change.
async function workspaceContext(slug) {
  const [w, t] = await Promise.all([api.get(ws(slug)), api.get(ws(slug, 'themes'))]);
  const ctx = {
    slug,
    ws: w.workspace,
    themes: t.themes,
    get role() {
      return this.ws.role;
    },
    get rank() {
      return RANK[this.ws.role] ?? 0;
    },
    // may add and change items, links, ratings (the server has the last word)
    get canContribute() {
      return this.rank >= 1 && (!this.ws.locked || this.rank >= 2);
    },
    get isFacilitator() {
      return this.rank >= 2;
    },
    get isOwner() {
      return this.rank >= 3;
    },
    // is this (item or link) author me? Authors are display names.
    mine(author) {
      return this.rank >= 1 && author === this.ws.display_name;
    },
    canEdit(author) {
      return this.canContribute && (this.isFacilitator || this.mine(author));
    },
    theme(id) {
      return this.themes.find((x) => x.id === id) || null;
    },
    async reload() {
      const [w2, t2] = await Promise.all([api.get(ws(slug)), api.get(ws(slug, 'themes'))]);
      this.ws = w2.workspace;
      this.themes = t2.themes;
      drawTopbar();
    },
    async reloadThemes() {
      this.themes = (await api.get(ws(slug, 'themes'))).themes;
    },
  };
  return ctx;
}

function drawTopbar(tab) {
  const bar = document.getElementById('topbar');
  const user = currentUser();
  const ctx = app.ctx;
  const current = tab || document.body.dataset.tab || '';
  const nav = ctx
    ? h('nav', { class: 'tabs', 'aria-label': 'Workspace' },
      TABS.map(([key, label]) => h('a', {
        href: `#/w/${encodeURIComponent(ctx.slug)}/${key}`,
        class: key === current ? 'tab current' : 'tab',
        'aria-current': key === current ? 'page' : false,
        dataset: { tab: key },
      }, label)))
    : null;
  const right = user
    ? h('div', { class: 'who' },
      ctx ? h('span', { class: 'role role-' + ctx.role, title: 'Your role in this workspace' }, ctx.role) : null,
      ctx && ctx.ws.locked ? h('span', { class: 'badge locked', title: 'Only facilitators may change the list' }, 'Locked') : null,
      h('span', { class: 'name' }, ctx ? ctx.ws.display_name : user.display_name),
      h('button', {
        type: 'button', class: 'quiet', id: 'signout',
        title: `Signed in as ${ctx ? ctx.ws.display_name : user.display_name}`,
        onclick: async () => {
          try {
            await signOut();
          } catch (e) {
            notifyError(e);
          }
          location.hash = '#/signin';
        },
      }, 'Sign out'))
    : null;
  fill(bar,
    h('a', { href: '#/', class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Territory'),
    ctx ? h('a', { href: `#/w/${encodeURIComponent(ctx.slug)}/list`, class: 'ws-name' }, ctx.ws.name) : null,
    nav,
    user ? h('a', {
      href: ctx ? `#/models/in/${encodeURIComponent(ctx.slug)}` : '#/models',
      class: current === 'models' ? 'tab current' : 'tab', id: 'models-link',
      title: ctx ? 'Test it on a model' : 'The model library',
    }, ctx ? 'Test it on a model' : 'Models') : null,
    right);
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const parts = raw.split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return parts;
}

async function route() {
  const seq = ++app.seq;
  const main = document.getElementById('main');
  const parts = parseHash();
  const sameView = app.view && parts[0] === 'w' && app.view.key === `${parts[1]}/${parts[2]}` &&
    app.view.update && currentUser();
  if (!sameView) {
    if (app.cleanup) {
      try {
        app.cleanup();
      } catch {
        /* a view's cleanup must not stop the next view */
      }
    }
    app.cleanup = null;
    app.view = null;
  }
  // A view is stale once another view replaces it (not when the same view
  // only updates, say to show another item's detail).
  const token = sameView ? app.token : {};
  app.token = token;
  const stale = () => app.token !== token;
  const superseded = () => seq !== app.seq;
  const user = currentUser();
  const [head, ...rest] = parts;

  if (head === 'join' && rest[0]) {
    app.ctx = null;
    drawTopbar();
    return renderJoin(main, rest[0], stale);
  }
  if (!user || head === 'signin' || head === 'signup') {
    app.ctx = null;
    document.body.dataset.tab = '';
    drawTopbar();
    if (user && (head === 'signin' || head === 'signup')) {
      location.hash = '#/';
      return undefined;
    }
    return head === 'signup' ? renderSignUp(main) : renderSignIn(main);
  }
  if (head === 'models') {
    // A model opened from a workspace (#/models/in/SLUG, #/models/NAME/SLUG)
    // keeps that workspace's bar, so its tabs are one click away.
    const slug = rest[0] === 'in' ? rest[1] : rest[1];
    if (!slug) {
      app.ctx = null;
    } else if (!app.ctx || app.ctx.slug !== slug) {
      try {
        app.ctx = await workspaceContext(slug);
      } catch {
        app.ctx = null; /* the library still works without the workspace */
      }
      if (superseded()) return undefined;
    }
    document.body.dataset.tab = 'models';
    drawTopbar('models');
    const r = await renderModels(main, rest, stale);
    app.cleanup = typeof r === 'function' ? r : null;
    return undefined;
  }
  if (head === 'w' && rest[0]) {
    const slug = rest[0];
    const tab = VIEWS[rest[1]] ? rest[1] : 'list';
    if (!rest[1]) {
      location.replace(`#/w/${encodeURIComponent(slug)}/list`);
      return undefined;
    }
    document.body.dataset.tab = tab;
    try {
      if (!app.ctx || app.ctx.slug !== slug) {
        fill(main, h('p', { class: 'loading' }, 'Loading…'));
        const ctx = await workspaceContext(slug);
        if (superseded()) return undefined;
        app.ctx = ctx;
      } else {
        await app.ctx.reload();
        if (superseded()) return undefined;
      }
    } catch (e) {
      if (superseded()) return undefined;
      app.ctx = null;
      drawTopbar();
      fill(main, h('section', { class: 'page narrow' },
        h('h1', null, 'Workspace not available'),
        h('p', { class: 'form-error', role: 'alert' }, e.message),
        h('p', null, h('a', { href: '#/' }, 'Back to your workspaces'))));
      return undefined;
    }
    drawTopbar(tab);
    // The same view with other arguments (another item's detail) updates in
    // place, keeping scroll position and drafts, when the view can.
    const key = `${slug}/${tab}`;
    if (app.view && app.view.key === key && app.view.update) {
      app.cleanup = app.view.cleanup;
      await app.view.update(rest.slice(2));
      return undefined;
    }
    app.view = null;
    fill(main);
    const r = await VIEWS[tab](main, app.ctx, rest.slice(2), stale);
    const view = typeof r === 'function' ? { cleanup: r } : r || {};
    if (stale()) {
      if (view.cleanup) view.cleanup();
    } else {
      app.cleanup = view.cleanup || null;
      app.view = { key, update: view.update, cleanup: view.cleanup };
    }
    return undefined;
  }
  app.ctx = null;
  document.body.dataset.tab = '';
  drawTopbar();
  return renderWorkspaces(main, stale);
}

async function start() {
  document.getElementById('skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    document.getElementById('main').focus();
  });
  onSignedOut(() => {
    app.ctx = null;
    location.hash = '#/signin';
  });
  try {
    await loadMe();
  } catch (e) {
    notifyError(e);
  }
  window.addEventListener('hashchange', () => {
    if (location.hash === '' || location.hash.startsWith('#/')) route().catch(notifyError);
  });
  await route().catch(notifyError);
}

start();
