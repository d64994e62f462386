// The console's shell: the top bar, the hash router and the sign-in guard. Each screen
// is a module in views/ exporting `render(main, params, ctx)`, which may return a
// function called when the user leaves the screen (to stop timers). Routes:
//
//   #/signin              sign in or register
//   #/buckets             buckets                      views/buckets.js
//   #/b/<bucket>/<prefix> objects in a bucket          views/objects.js
//   #/o/<bucket>/<key>    one object: details, versions views/object.js
//   #/search  #/stats  #/health  #/keys  #/admin       views/<name>.js
//
// Route parts are encodeURIComponent'd; params arrive decoded.

import { session } from './session.js';
import { h, mount, link, describeError, errorBox, closeDialogs, clearToasts, toast } from './ui.js';

const VIEWS = {
  signin: './views/signin.js',
  buckets: './views/buckets.js',
  b: './views/objects.js',
  o: './views/object.js',
  search: './views/search.js',
  stats: './views/stats.js',
  health: './views/health.js',
  keys: './views/keys.js',
  admin: './views/admin.js',
};

const NAV = [
  ['buckets', 'Buckets'],
  ['search', 'Search'],
  ['stats', 'Statistics'],
  ['health', 'Health'],
  ['keys', 'Access keys'],
];

let leave = null;
let generation = 0;
let signInMessage = '';

export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function parse() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [name, ...rest] = raw.split('/');
  let params;
  try {
    params = rest.map((p) => decodeURIComponent(p));
  } catch {
    params = [];
  }
  return { name: name || 'buckets', params };
}

function topBar(current) {
  const top = document.getElementById('top');
  const s = session.current();
  if (!s) {
    mount(top, h('div', { class: 'bar' }, h('span', { class: 'brand' }, 'Depot')));
    return;
  }
  const items = s.isRoot ? [...NAV, ['admin', 'Administration']] : NAV;
  const section = current === 'b' || current === 'o' ? 'buckets' : current;
  mount(
    top,
    h(
      'div',
      { class: 'bar' },
      h('a', { class: 'brand', href: '#/buckets' }, 'Depot'),
      h(
        'nav',
        { 'aria-label': 'Main' },
        h('ul', {}, items.map(([name, label]) => h('li', {}, link('#/' + name, label, { 'aria-current': section === name ? 'page' : false })))),
      ),
      h(
        'div',
        { class: 'who' },
        h('span', { class: 'user', title: s.kind === 'keys' ? `Signed in with access key ${s.creds.accessKeyId}` : 'Signed in with a password' }, s.username + (s.isRoot ? ' (root)' : '')),
        h('button', { type: 'button', class: 'secondary', onclick: () => session.signOut('You have signed out.') }, 'Sign out'),
      ),
    ),
  );
}

async function render() {
  // `#main` and other plain anchors (the skip link) are not routes.
  if (location.hash && !location.hash.startsWith('#/')) return;
  closeDialogs();
  if (leave) {
    try {
      leave();
    } catch {
      /* a view's clean-up failing must not block the next one */
    }
    leave = null;
  }
  const main = document.getElementById('main');
  let { name, params } = parse();
  if (!session.current() && name !== 'signin') {
    location.replace('#/signin');
    return;
  }
  if (session.current() && name === 'signin') {
    location.replace('#/buckets');
    return;
  }
  if (!VIEWS[name]) name = 'buckets';
  topBar(name);
  // Each screen renders into a container of its own: when the user moves on before a slow
  // screen has finished, the stale one writes into a detached node (not over the next
  // screen), and its clean-up runs as soon as it is returned.
  const mine = ++generation;
  const box = h('div', { class: 'view' }, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  mount(main, box);
  try {
    const view = await import(VIEWS[name]);
    // The sign-in page keeps its message (why the session ended) until the next sign-in,
    // also when a navigation lands on it again.
    const ctx = { navigate, session, message: name === 'signin' ? signInMessage : '' };
    const cleanup = await view.render(box, params, ctx);
    if (typeof cleanup === 'function') {
      if (mine === generation) leave = cleanup;
      else cleanup();
    }
  } catch (err) {
    if (staleBuild(err)) return;
    if (mine === generation) mount(box, h('h1', {}, 'Something went wrong'), errorBox(err));
    console.error('view failed', name, describeError(err));
  }
}

/**
 * A screen's module that fails to load usually means Depot was upgraded since this page
 * loaded (old asset URLs are gone): reload the page once to get the new ones.
 */
function staleBuild(err) {
  if (!(err instanceof TypeError) || !/dynamically imported module|Importing a module script failed/i.test(err.message)) return false;
  const last = Number(sessionStorage.getItem('depot.reloaded') || 0);
  if (Date.now() - last < 30000) return false;
  sessionStorage.setItem('depot.reloaded', String(Date.now()));
  location.reload();
  return true;
}

/**
 * Five minutes before a password session ends, a warning: what is still uploading then
 * is cancelled with it.
 */
let endingTimer = null;
function warnBeforeTheEnd(state) {
  clearTimeout(endingTimer);
  if (!state || state.kind !== 'password') return;
  const warnAt = state.tokenExpires - 5 * 60 * 1000 - Date.now();
  endingTimer = setTimeout(() => {
    const at = new Date(state.tokenExpires).toLocaleTimeString();
    toast(`Your session ends at ${at}: uploads still running then are cancelled. Sign out and in again for another session.`, 'error');
  }, Math.max(0, warnAt));
}

session.onChange((state, message) => {
  warnBeforeTheEnd(state);
  if (!state) {
    clearToasts();
    closeDialogs();
    signInMessage = message || '';
    if (location.hash === '#/signin') render();
    else location.hash = '#/signin';
  } else {
    signInMessage = '';
    navigate('#/buckets');
  }
});

window.addEventListener('hashchange', render);
// The skip link moves focus to the content without leaving the screen (its `#main`
// would otherwise replace the route in the address).
document.querySelector('a.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  document.getElementById('main').focus();
});
warnBeforeTheEnd(session.restore());
render();
