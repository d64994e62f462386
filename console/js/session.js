// Who is signed in, with which credentials. Kept in memory and in sessionStorage (this
// tab only, gone when it closes) so a reload keeps the session; never in localStorage
// or cookies. A password sign-in exchanges the login token for temporary credentials
// through STS AssumeRoleWithWebIdentity and refreshes them before they expire; the
// session ends when the login token does. An access-key sign-in keeps the keys.

import { signRequest, setServerDate, serverNow, forgetSigningKeys, EMPTY_SHA256 } from './sigv4.js';

const STORE = 'depot.session';
/** Refresh temporary credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** How long temporary credentials are asked for. */
const SESSION_SECONDS = 3600;

let state = null; // { kind, username, userId, isRoot, creds, token, tokenExpires }
let timer = null;
let refreshing = null;
const listeners = new Set();

function region() {
  const meta = document.querySelector('meta[name="depot-region"]');
  const value = meta && meta.content;
  return value && !value.includes('{') ? value : 'us-east-1';
}

function save() {
  if (state) sessionStorage.setItem(STORE, JSON.stringify(state));
  else sessionStorage.removeItem(STORE);
}

function notify(message) {
  for (const f of listeners) f(state, message);
}

/** Seconds to wait before the next try after a refresh failed for a passing reason. */
let retryDelayMs = 0;

function schedule() {
  clearTimeout(timer);
  if (!state || state.kind !== 'password') return;
  // Expirations are the server's times: compare them with the server's clock.
  const now = serverNow().getTime();
  const tokenLeft = state.tokenExpires - now;
  const credsLeft = retryDelayMs || state.creds.expiration - now - REFRESH_MARGIN_MS;
  if (tokenLeft <= 0) {
    session.expire('Your session has expired. Sign in again.');
    return;
  }
  // Whichever comes first: the credentials need refreshing, or the login token ends.
  const mine = state;
  timer = setTimeout(() => {
    if (state !== mine) return;
    if (serverNow().getTime() >= state.tokenExpires) session.expire('Your session has expired. Sign in again.');
    else
      refresh()
        .then(() => {
          retryDelayMs = 0;
        })
        .catch(() => {
          // Depot busy or unreachable: try again later, backing off to a minute.
          retryDelayMs = Math.min(60000, Math.max(2000, retryDelayMs * 2));
        })
        .finally(schedule);
  }, Math.max(1000, Math.min(tokenLeft, credsLeft)));
}

/** Reads a JSON answer; throws `{status, code, message}` for an error document. */
async function jsonOf(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  if (!resp.ok) {
    const e = (body && body.error) || {};
    throw Object.assign(new Error(e.message || `${resp.status} ${resp.statusText}`), { status: resp.status, code: e.code || `HTTP${resp.status}` });
  }
  return body;
}

async function post(path, body) {
  let resp;
  try {
    resp = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw Object.assign(new Error('Depot did not answer (network error)'), { status: 0, code: 'NetworkError' });
  }
  return jsonOf(resp);
}

/** Temporary credentials for a login token, from STS. */
async function assumeRole(token) {
  const form = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleSessionName: 'console',
    DurationSeconds: String(SESSION_SECONDS),
    WebIdentityToken: token,
  });
  const resp = await fetch('/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), credentials: 'omit', cache: 'no-store' });
  setServerDate(resp.headers.get('date'));
  const doc = new DOMParser().parseFromString(await resp.text(), 'application/xml');
  const pick = (tag) => (doc.getElementsByTagName(tag)[0] || {}).textContent || '';
  if (!resp.ok) {
    throw Object.assign(new Error(pick('Message') || `STS answered ${resp.status}`), { status: resp.status, code: pick('Code') || `HTTP${resp.status}` });
  }
  return {
    accessKeyId: pick('AccessKeyId'),
    secretAccessKey: pick('SecretAccessKey'),
    sessionToken: pick('SessionToken'),
    expiration: Date.parse(pick('Expiration')),
  };
}

/** STS answers that mean the login token is no longer good (others may pass). */
const TOKEN_REFUSED = new Set(['ExpiredTokenException', 'InvalidIdentityToken', 'AccessDenied']);

async function refresh() {
  if (!refreshing) {
    // The session this refresh is for: a sign-out (or another sign-in) while it is in
    // flight must not receive its credentials.
    const mine = state;
    const attempt = (async () => {
      try {
        const creds = await assumeRole(mine.token);
        if (state === mine) {
          state.creds = creds;
          save();
        }
      } catch (e) {
        if (state === mine && TOKEN_REFUSED.has(e.code)) session.expire('Your session has expired. Sign in again.');
        throw e;
      } finally {
        if (refreshing === attempt) refreshing = null;
      }
    })();
    refreshing = attempt;
  }
  return refreshing;
}

/**
 * `GET /_depot/auth/me`, signed with the given credentials (or the token). A signature
 * refused for a skewed clock is made again by the server's clock (from its answer).
 */
async function whoAmI(creds, token, retried = false) {
  let headers;
  if (token) headers = { authorization: `Bearer ${token}` };
  else headers = await signRequest({ method: 'GET', path: '/_depot/auth/me', creds, region: region(), payloadHash: EMPTY_SHA256 });
  let resp;
  try {
    resp = await fetch('/_depot/auth/me', { headers, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw Object.assign(new Error('Depot did not answer (network error)'), { status: 0, code: 'NetworkError' });
  }
  setServerDate(resp.headers.get('date'));
  try {
    return await jsonOf(resp);
  } catch (e) {
    if (e.code === 'RequestTimeTooSkewed' && !token && !retried) return whoAmI(creds, token, true);
    throw e;
  }
}

export const session = {
  /** The signed-in state, or null. */
  current() {
    return state;
  },
  region,
  /** Credentials to sign with: `{accessKeyId, secretAccessKey, sessionToken?}`. */
  creds() {
    return state ? state.creds : null;
  },
  /** The login token (password sign-in only). */
  token() {
    return state && state.kind === 'password' ? state.token : null;
  },
  /** Waits for a refresh in flight; refreshes credentials about to expire. */
  async ready() {
    if (!state) throw Object.assign(new Error('Not signed in'), { status: 401, code: 'NotSignedIn' });
    if (state.kind === 'password') {
      if (serverNow().getTime() >= state.tokenExpires) {
        session.expire('Your session has expired. Sign in again.');
        throw Object.assign(new Error('Your session has expired'), { status: 401, code: 'ExpiredToken' });
      }
      if (refreshing) await refreshing;
      else if (state.creds.expiration - serverNow().getTime() < REFRESH_MARGIN_MS) await refresh();
    }
  },
  /** Restores a session of this tab after a reload. */
  restore() {
    try {
      state = JSON.parse(sessionStorage.getItem(STORE) || 'null');
    } catch {
      state = null;
    }
    if (state && state.kind === 'password' && Date.now() >= state.tokenExpires) {
      // Expired while the page was closed: back to sign-in, saying why.
      state = null;
      save();
      notify('Your session has expired. Sign in again.');
    }
    schedule();
    return state;
  },
  async signInWithPassword(username, password) {
    const login = await post('/_depot/auth/login', { username, password });
    const creds = await assumeRole(login.token);
    const me = await whoAmI(null, login.token);
    state = { kind: 'password', username: me.username, userId: me.id, isRoot: !!me.is_root, creds, token: login.token, tokenExpires: Date.parse(login.expires_at) };
    save();
    schedule();
    notify();
  },
  async signInWithKeys(accessKeyId, secretAccessKey) {
    const creds = { accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim() };
    const me = await whoAmI(creds, null);
    state = { kind: 'keys', username: me.username, userId: me.id, isRoot: !!me.is_root, creds };
    save();
    schedule();
    notify();
  },
  register(username, password) {
    return post('/_depot/auth/register', { username, password });
  },
  /** Forgets everything; `message` is shown on the sign-in page. */
  signOut(message) {
    clearTimeout(timer);
    const was = state;
    state = null;
    refreshing = null;
    retryDelayMs = 0;
    forgetSigningKeys();
    save();
    if (was || message) notify(message);
  },
  /** Ends a session the server no longer accepts. */
  expire(message) {
    if (state) session.signOut(message);
  },
  /** `f(state, message)` on sign-in and sign-out. */
  onChange(f) {
    listeners.add(f);
  },
};

