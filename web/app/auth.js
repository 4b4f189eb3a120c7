// auth.js - the sign-in and sign-up pages (and the same forms inside the
// invite page). The server sets the session cookie; the form shows its
// error message beside the field it names.
import { signIn, signUp } from './api.js';
import { h, fill, field, onSubmit, go } from './dom.js';

// The sign-in form. `after` runs once signed in (default: go to the
// workspaces page).
export function signInForm(after) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'card auth', id: 'signin-form', 'aria-labelledby': 'signin-h' },
    h('h2', { id: 'signin-h' }, 'Sign in'),
    field('E-mail', email),
    field('Password', password),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  onSubmit(form, async () => {
    await signIn(email.value.trim(), password.value);
    await (after ? after() : go('#/'));
  });
  return form;
}

export function signUpForm(after) {
  const name = h('input', { type: 'text', name: 'display_name', autocomplete: 'name', required: true, maxlength: 100 });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const form = h('form', { class: 'card auth', id: 'signup-form', 'aria-labelledby': 'signup-h' },
    h('h2', { id: 'signup-h' }, 'Create an account'),
    field('Your name, as others will see it', name),
    field('E-mail', email, 'Only you see your e-mail address.'),
    field('Password', password, 'At least 8 characters.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create account')));
  onSubmit(form, async () => {
    await signUp(email.value.trim(), password.value, name.value.trim());
    await (after ? after() : go('#/'));
  });
  return form;
}

function intro() {
  return h('div', { class: 'intro' },
    h('h1', null, 'Territory'),
    h('p', { class: 'lead' },
      'A shared workbench for making sense of public-service reform: list the issues, group them into themes, ' +
      'map how they drive one another, and find the feedback loops.'),
    h('ol', { class: 'steps' },
      h('li', null, h('strong', null, 'List'), ' – everyone adds the issues they see, and rates them.'),
      h('li', null, h('strong', null, 'Themes'), ' – group the list, by hand or from suggestions.'),
      h('li', null, h('strong', null, 'Map'), ' – link causes to effects, + or −, with delays.'),
      h('li', null, h('strong', null, 'Loops'), ' – see the vicious and virtuous circles and the leverage points.')));
}

export function renderSignIn(main) {
  fill(main, h('section', { class: 'page auth-page' }, intro(),
    h('div', { class: 'auth-forms' }, signInForm(),
      h('p', { class: 'switch' }, 'New here? ', h('a', { href: '#/signup' }, 'Create an account')))));
  main.querySelector('input').focus();
}

export function renderSignUp(main) {
  fill(main, h('section', { class: 'page auth-page' }, intro(),
    h('div', { class: 'auth-forms' }, signUpForm(),
      h('p', { class: 'switch' }, 'Have an account? ', h('a', { href: '#/signin' }, 'Sign in')))));
  main.querySelector('input').focus();
}
