// api.js - the one door to the server's JSON API (docs/http-api.md): sends
// the CSRF token on every write, turns error bodies into ApiError (code,
// message, field), and keeps the session's user and token.

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status; // HTTP status
    this.code = code; // error.code: bad_field, forbidden, locked, ...
    this.field = field || null; // the request field at fault, if named
  }
}

const session = {
  csrf: null, // the token to send as X-CSRF-Token
  user: null, // {id, email, display_name} when signed in
  onSignedOut: null, // called when a request finds the session gone
};

export function currentUser() {
  return session.user;
}

export function onSignedOut(fn) {
  session.onSignedOut = fn;
}

function cookieToken() {
  const m = document.cookie.match(/(?:^|;\s*)territory_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : null;
}

// Asks who is signed in; keeps the CSRF token either way. Returns the body
// of GET /api/me, or null when nobody is signed in.
export async function loadMe() {
  const res = await fetch('/api/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  const token = data && (data.csrf_token || (data.error && data.error.csrf_token));
  session.csrf = token || cookieToken();
  if (res.ok && data && data.user) {
    session.user = data.user;
    return data;
  }
  session.user = null;
  return null;
}

async function send(method, path, body, retried) {
  const headers = { Accept: 'application/json' };
  const opts = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    if (!session.csrf) session.csrf = cookieToken();
    if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path.startsWith('/') ? path : '/api/' + path, opts);
  } catch (e) {
    throw new ApiError(0, 'network', 'cannot reach the server: ' + e.message);
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.ok) return data;
  const e = data && data.error ? data.error : {};
  const err = new ApiError(res.status, e.code || 'http_' + res.status,
    e.message || `the server answered ${res.status} ${res.statusText}`.trim(), e.field);
  // A stale token (another tab signed in again): fetch a fresh one, once.
  if (res.status === 403 && err.code === 'csrf' && !retried) {
    await loadMe();
    return send(method, path, body, true);
  }
  if (res.status === 401 && session.user && !path.includes('signin')) {
    session.user = null;
    if (session.onSignedOut) session.onSignedOut();
  }
  throw err;
}

export const api = {
  get: (path) => send('GET', path),
  post: (path, body) => send('POST', path, body === undefined ? {} : body),
  put: (path, body) => send('PUT', path, body),
  patch: (path, body) => send('PATCH', path, body),
  del: (path) => send('DELETE', path),
};

// Signs in or up; both answer {user, csrf_token} and set the cookies.
export async function signIn(email, password) {
  const r = await api.post('signin', { email, password });
  session.user = r.user;
  session.csrf = r.csrf_token || cookieToken();
  return r.user;
}

export async function signUp(email, password, displayName) {
  const r = await api.post('signup', { email, password, display_name: displayName });
  session.user = r.user;
  session.csrf = r.csrf_token || cookieToken();
  return r.user;
}

export async function signOut() {
  try {
    await api.post('signout');
  } finally {
    session.user = null;
    await loadMe();
  }
}

// Path of a workspace's endpoint: ws('my-slug', 'items/3') -> w/my-slug/items/3
export function ws(slug, rest) {
  return `w/${encodeURIComponent(slug)}${rest ? '/' + rest : ''}`;
}

// A query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
