// Sign in with a username and password (the accounts of /_depot/auth/) or with an
// access key and secret key (root has no password: this is how root signs in), and
// register a new account.

import { h, mount, field, errorBox, describeError } from '../ui.js';

export function render(main, _params, ctx) {
  document.title = 'Sign in · Depot';
  const status = h('div', { class: 'form-status', 'aria-live': 'assertive' });
  if (ctx.message) mount(status, h('div', { class: 'notice', role: 'alert' }, ctx.message));
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel' });
  const tabs = {
    password: h('button', { type: 'button', role: 'tab', id: 'tab-password' }, 'Password'),
    keys: h('button', { type: 'button', role: 'tab', id: 'tab-keys' }, 'Access key'),
    register: h('button', { type: 'button', role: 'tab', id: 'tab-register' }, 'Register'),
  };
  const show = (which) => {
    for (const [name, tab] of Object.entries(tabs)) {
      tab.setAttribute('aria-selected', String(name === which));
      tab.tabIndex = name === which ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', tabs[which].id);
    mount(panel, forms[which]());
    const first = panel.querySelector('input');
    if (first) first.focus();
  };
  const submitting = (form, work) => {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const btn = form.querySelector('button[type=submit]');
      btn.disabled = true;
      mount(status);
      try {
        await work();
      } catch (err) {
        mount(status, errorBox(err.code === 'InvalidCredentials' || err.status === 401 ? { message: 'Wrong username or password, or the account is disabled.', status: err.status, code: err.code } : err));
        console.info('sign-in failed:', describeError(err));
      } finally {
        btn.disabled = false;
      }
    });
    return form;
  };
  const forms = {
    password() {
      const user = h('input', { name: 'username', autocomplete: 'username', required: true });
      const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
      return submitting(h('form', { class: 'stack' }, field('Username', user), field('Password', pass), h('button', { type: 'submit', class: 'primary' }, 'Sign in')), () =>
        ctx.session.signInWithPassword(user.value.trim(), pass.value),
      );
    },
    keys() {
      const key = h('input', { name: 'access-key', autocomplete: 'username', required: true, spellcheck: 'false' });
      const secret = h('input', { name: 'secret-key', type: 'password', autocomplete: 'current-password', required: true });
      return submitting(
        h(
          'form',
          { class: 'stack' },
          h('p', { class: 'hint' }, 'Root signs in here, with the access key and secret key Depot printed when it first started.'),
          field('Access key', key),
          field('Secret key', secret),
          h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
        ),
        () => ctx.session.signInWithKeys(key.value, secret.value),
      );
    },
    register() {
      const user = h('input', { name: 'new-username', autocomplete: 'username', required: true });
      const pass = h('input', { name: 'new-password', type: 'password', autocomplete: 'new-password', required: true });
      const again = h('input', { name: 'new-password-again', type: 'password', autocomplete: 'new-password', required: true });
      return submitting(
        h(
          'form',
          { class: 'stack' },
          field('New username', user, '3–32 characters: lower-case letters, digits, dots, hyphens and underscores.'),
          field('New password', pass, 'At least 8 characters.'),
          field('Repeat password', again),
          h('button', { type: 'submit', class: 'primary' }, 'Create account'),
        ),
        async () => {
          if (pass.value !== again.value) throw { message: 'The two passwords differ.' };
          await ctx.session.register(user.value.trim(), pass.value);
          await ctx.session.signInWithPassword(user.value.trim(), pass.value);
        },
      );
    },
  };
  for (const [name, tab] of Object.entries(tabs)) tab.addEventListener('click', () => show(name));
  const tablist = h('div', { role: 'tablist', 'aria-label': 'How to sign in' }, Object.values(tabs));
  tablist.addEventListener('keydown', (e) => {
    const order = Object.keys(tabs);
    const i = order.findIndex((n) => tabs[n].getAttribute('aria-selected') === 'true');
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const next = order[(i + (e.key === 'ArrowRight' ? 1 : order.length - 1)) % order.length];
      show(next);
      tabs[next].focus();
    }
  });
  mount(main, h('section', { class: 'signin card' }, h('h1', {}, 'Sign in to Depot'), status, tablist, panel));
  show('password');
}
