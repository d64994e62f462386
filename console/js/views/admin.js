// Administration (`#/admin`, root only): every user (enable/disable) and every bucket
// with its owner. GET /_depot/admin/users, POST /_depot/admin/users/{name}/disable|enable,
// GET /_depot/admin/buckets. Anyone else gets 403 from the server: the page says so.

import { api } from '../api.js';
import { h, mount, button, timeEl, errorBox, toast, confirmDialog, busy, route } from '../ui.js';

function onlyRoot() {
  return h(
    'div',
    { class: 'notice only-root', role: 'alert' },
    h('p', {}, 'Only root can use the administration pages.'),
    h('p', {}, 'You are signed in as a regular user. Sign in with the root access key to manage users and see every bucket.'),
  );
}

const yesNo = (v) => (v ? 'Yes' : 'No');

export async function render(main, _params, ctx) {
  document.title = 'Administration · Depot';
  const usersBox = h('div', {}, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const bucketsBox = h('div', {}, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const s = ctx.session.current();

  let users = [];
  let stopped = false;

  let doc;
  try {
    doc = await Promise.all([api('GET', '/_depot/admin/users'), api('GET', '/_depot/admin/buckets')]);
  } catch (err) {
    if (err.status === 403) mount(main, h('h1', {}, 'Administration'), onlyRoot());
    else mount(main, h('h1', {}, 'Administration'), errorBox(err));
    return undefined;
  }
  mount(main, h('h1', {}, 'Administration'), h('h2', {}, 'Users'), usersBox, h('h2', {}, 'Buckets'), bucketsBox);
  users = doc[0].users || [];
  showUsers();
  showBuckets(doc[1].buckets || []);

  function showUsers() {
    if (!users.length) {
      mount(usersBox, h('p', { class: 'empty' }, 'No users.'));
      return;
    }
    mount(
      usersBox,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'users-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Username'),
              h('th', { scope: 'col', class: 'hide-narrow' }, 'Created'),
              h('th', { scope: 'col' }, 'Root'),
              h('th', { scope: 'col' }, 'Status'),
              h('th', { scope: 'col', class: 'num' }, 'Keys'),
              h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
            ),
          ),
          h('tbody', {}, users.map(userRow)),
        ),
      ),
    );
  }

  function userRow(u) {
    const self = s && u.id === s.userId;
    let action = null;
    if (!u.is_root && !self) {
      action = u.disabled
        ? button('Enable', (e) => setDisabled(u, false, e.currentTarget), { 'aria-label': `Enable ${u.username}` })
        : button('Disable', (e) => setDisabled(u, true, e.currentTarget), { class: 'danger', 'aria-label': `Disable ${u.username}` });
    }
    return h(
      'tr',
      { 'data-user': u.username },
      h('td', {}, h('span', { class: 'name' }, u.username)),
      h('td', { class: 'hide-narrow' }, timeEl(u.created_at)),
      h('td', {}, yesNo(u.is_root)),
      h('td', {}, u.disabled ? h('span', { class: 'badge error' }, 'disabled') : h('span', { class: 'badge ok' }, 'active')),
      h('td', { class: 'num' }, String(u.access_keys ?? '—')),
      h('td', { class: 'actions-cell' }, action),
    );
  }

  async function setDisabled(u, disable, btn) {
    if (disable) {
      const ok = await confirmDialog(
        `Disable ${u.username}?`,
        h('p', {}, 'The user ', h('strong', {}, u.username), ' can no longer sign in, and their access keys, sessions and login tokens stop working with their next request. Their buckets and objects stay. You can enable the account again.'),
        'Disable',
      );
      if (!ok) return;
    }
    const result = await busy(btn, () => api('POST', `/_depot/admin/users/${encodeURIComponent(u.username)}/${disable ? 'disable' : 'enable'}`));
    if (stopped || !result || result.error) return;
    users = users.map((x) => (x.id === u.id ? { ...x, ...result, access_keys: x.access_keys } : x));
    showUsers();
    toast(`${u.username} is ${disable ? 'disabled' : 'enabled'}.`, 'ok');
  }

  function showBuckets(buckets) {
    if (!buckets.length) {
      mount(bucketsBox, h('p', { class: 'empty' }, 'No buckets yet.'));
      return;
    }
    mount(
      bucketsBox,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'admin-buckets-table' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Bucket'), h('th', { scope: 'col' }, 'Owner'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Region'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Created'))),
          h(
            'tbody',
            {},
            buckets.map((b) =>
              h(
                'tr',
                { 'data-bucket': b.name },
                h('td', {}, h('a', { class: 'name', href: route('b', b.name) }, b.name)),
                h('td', {}, h('span', { class: 'name' }, b.owner || b.owner_id || '—')),
                h('td', { class: 'hide-narrow' }, b.region || '—'),
                h('td', { class: 'hide-narrow' }, timeEl(b.created_at)),
              ),
            ),
          ),
        ),
      ),
    );
  }

  return () => {
    stopped = true;
  };
}
