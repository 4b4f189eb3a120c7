// dom.js - builds DOM from plain data, never from HTML strings: every text a
// user typed goes in through textContent or an attribute, so a title such as
// `<img src=x onerror=alert(1)>` stays text. Also small shared widgets: the
// status line, form error display, dates, theme chips, confirmation.

// h('button', {class: 'primary', onclick: f}, 'Save') makes an element.
// Attributes whose value is a function become event listeners; `false`,
// null and undefined attributes are left out; children are nodes, strings
// (as text), numbers, or arrays of those (nested), and null is skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Replaces el's children.
export function fill(el, ...children) {
  return append(clear(el), children);
}

let idSeq = 0;
export function uid(prefix) {
  idSeq += 1;
  return `${prefix || 'f'}-${idSeq}`;
}

// A labelled form field: label, control, and a slot for the server's message
// about that field (found by the control's name).
export function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  const msg = h('div', { class: 'field-error', role: 'alert', id: control.id + '-err' });
  control.setAttribute('aria-describedby', msg.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control,
    hint ? h('div', { class: 'hint' }, hint) : null, msg);
}

// Shows an API error on a form: the message beside the field it names (the
// field's last path segment, e.g. `title`), or in the form's general slot.
export function showFormError(form, err) {
  clearFormError(form);
  const message = err && err.message ? err.message : String(err);
  let target = null;
  if (err && err.field) {
    const name = String(err.field).replace(/^.*[.\]]/, '').replace(/\[.*$/, '');
    target = form.querySelector(`[name="${CSS.escape(err.field)}"]`) ||
      form.querySelector(`[name="${CSS.escape(name)}"]`);
  }
  if (target) {
    target.setAttribute('aria-invalid', 'true');
    const slot = form.querySelector('#' + CSS.escape(target.id + '-err'));
    if (slot) {
      slot.textContent = message;
      target.focus();
      return;
    }
  }
  let slot = form.querySelector(':scope > .form-error');
  if (!slot) {
    slot = h('div', { class: 'form-error', role: 'alert' });
    form.prepend(slot);
  }
  slot.textContent = err && err.field && !message.includes(err.field) ? `${err.field}: ${message}` : message;
}

export function clearFormError(form) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  const slot = form.querySelector(':scope > .form-error');
  if (slot) slot.remove();
}

// Runs fn (async) for a form's submit, with the submit buttons disabled and
// any thrown API error shown on the form.
export function onSubmit(form, fn) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const buttons = form.querySelectorAll('button');
    for (const b of buttons) b.disabled = true;
    clearFormError(form);
    try {
      await fn(new FormData(form));
    } catch (err) {
      showFormError(form, err);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  });
  return form;
}

// The status line at the foot of the page: short confirmations and errors
// that belong to no form. Read out by screen readers (aria-live).
export function notify(message, kind) {
  const box = document.getElementById('status');
  if (!box) return;
  const line = h('div', { class: 'status-line ' + (kind || 'info') }, message);
  box.appendChild(line);
  while (box.childElementCount > 3) box.firstElementChild.remove();
  setTimeout(() => line.remove(), kind === 'error' ? 9000 : 4000);
}

export function notifyError(err) {
  notify(err && err.message ? err.message : String(err), 'error');
}

// A modal question; resolves true when confirmed.
export function confirmDialog(question, okLabel) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'confirm', 'aria-label': question });
    const done = (v) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    append(dlg, [
      h('p', null, question),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => done(false) }, 'Cancel'),
        h('button', { type: 'button', class: 'danger', onclick: () => done(true) }, okLabel || 'OK')),
    ]);
    dlg.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      done(false);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    dlg.querySelector('.danger').focus();
  });
}

// A modal form; `build(form, close)` fills it. Resolves with what close got.
export function formDialog(title, build) {
  return new Promise((resolve) => {
    const form = h('form', { method: 'dialog' });
    const dlg = h('dialog', { class: 'form-dialog', 'aria-label': title }, h('h2', null, title), form);
    const close = (v) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    dlg.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      close(null);
    });
    build(form, close);
    document.body.appendChild(dlg);
    dlg.showModal();
    const first = form.querySelector('input, select, textarea, button');
    if (first) first.focus();
  });
}

const dateFmt = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : dateFmt.format(d);
}

export function timeEl(iso) {
  return h('time', { datetime: iso || '' }, when(iso));
}

// A small coloured mark and the theme's name (or "No theme").
export function themeChip(theme) {
  if (!theme) return h('span', { class: 'chip chip-none' }, 'No theme');
  const dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
  dot.style.background = theme.color || '#888888';
  return h('span', { class: 'chip' }, dot, theme.name);
}

export function mean(v) {
  return v === null || v === undefined ? '–' : Number(v).toFixed(1);
}

// Calls fn at most once per `ms` of quiet (for typing).
export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// Saves text as a file through a temporary link.
export function download(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// Goes to a route; draws it again when the hash is already there.
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
