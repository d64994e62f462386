// Access keys (`#/keys`): the signed-in user's long-term keys — list (never a secret),
// create (the secret is shown once, with a copy button), revoke (after a confirmation;
// effective at once). GET/POST /_depot/auth/keys, DELETE /_depot/auth/keys/{id}.

import { api } from '../api.js';
import { h, mount, button, timeEl, errorBox, toast, confirmDialog, busy, copyText } from '../ui.js';

export async function render(main, _params, ctx) {
  document.title = 'Access keys · Depot';
  const s = ctx.session.current();
  const sessionKey = s && s.kind === 'keys' ? s.creds.accessKeyId : null;
  const created = h('div', { class: 'created-key', 'aria-live': 'polite' });
  const list = h('div', {}, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const createBtn = button('Create access key', () => create(), { class: 'primary' });
  let stopped = false;

  mount(
    main,
    h('h1', {}, 'Access keys'),
    h(
      'p',
      { class: 'hint' },
      'Access keys let S3 tools (the AWS CLI, SDKs, rclone…) act as you. Each key has a secret that Depot shows only when the key is created. Revoke a key you no longer use: it stops working at once.',
    ),
    h('div', { class: 'toolbar' }, createBtn),
    created,
    h('h2', {}, 'Your keys'),
    list,
  );

  async function load() {
    try {
      const doc = await api('GET', '/_depot/auth/keys');
      if (!stopped) show(doc.keys || []);
    } catch (err) {
      if (!stopped) mount(list, errorBox(err));
    }
  }

  function show(keys) {
    if (!keys.length) {
      mount(list, h('p', { class: 'empty' }, 'You have no access keys yet.'));
      return;
    }
    mount(
      list,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'keys-table' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Access key'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Status'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          h(
            'tbody',
            {},
            keys.map((k) =>
              h(
                'tr',
                { 'data-key': k.access_key_id },
                h('td', {}, h('code', {}, k.access_key_id), k.access_key_id === sessionKey ? h('span', { class: 'hint' }, ' (this session)') : null),
                h('td', {}, timeEl(k.created_at)),
                h('td', { class: 'hide-narrow' }, h('span', { class: 'badge ok' }, k.status || 'active')),
                h('td', { class: 'actions-cell' }, button('Revoke', (e) => revoke(k.access_key_id, e.currentTarget), { class: 'danger', 'aria-label': `Revoke ${k.access_key_id}` })),
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function create() {
    const result = await busy(createBtn, () => api('POST', '/_depot/auth/keys'), created);
    if (!result || result.error) return;
    const secret = h('input', { class: 'mono secret', readonly: true, value: result.secret_access_key, spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Secret key' });
    const keyInput = h('input', { class: 'mono', readonly: true, value: result.access_key_id, spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Access key ID' });
    secret.addEventListener('focus', () => secret.select());
    keyInput.addEventListener('focus', () => keyInput.select());
    mount(
      created,
      h(
        'section',
        { class: 'card new-key', 'aria-labelledby': 'new-key-title' },
        h('h2', { id: 'new-key-title' }, 'New access key'),
        h('div', { class: 'notice', role: 'alert' }, 'Copy the secret key now: Depot will not show it again. If you lose it, revoke this key and create a new one.'),
        h(
          'dl',
          { class: 'props' },
          h('dt', {}, 'Access key ID'),
          h('dd', { class: 'copy-row' }, keyInput, button('Copy key ID', () => copyText(result.access_key_id, keyInput))),
          h('dt', {}, 'Secret key'),
          h('dd', { class: 'copy-row' }, secret, button('Copy secret', () => copyText(result.secret_access_key, secret), { class: 'primary' })),
        ),
        h('div', { class: 'actions' }, button("I've saved it", () => mount(created))),
      ),
    );
    secret.focus();
    await load();
  }

  async function revoke(id, btn) {
    const own = id === sessionKey;
    const ok = await confirmDialog(
      'Revoke access key?',
      [
        h('p', {}, 'Revoke ', h('code', {}, id), '? Every tool using it stops working at once. This cannot be undone.'),
        own ? h('p', { class: 'notice' }, 'You are signed in with this key: revoking it signs you out.') : null,
      ],
      'Revoke',
    );
    if (!ok) return;
    const result = await busy(btn, () => api('DELETE', `/_depot/auth/keys/${encodeURIComponent(id)}`));
    if (result && result.error) return;
    toast(`Access key ${id} revoked.`, 'ok');
    if (own) {
      ctx.session.signOut('You revoked the access key you were signed in with. Sign in again.');
      return;
    }
    await load();
  }

  await load();
  return () => {
    stopped = true;
  };
}
