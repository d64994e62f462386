// DOM helpers. Everything a user stored (keys, metadata, tags) reaches the page as text
// through `h()` (text nodes, attributes through setAttribute): nothing here, and nothing
// in the views, assigns innerHTML.

let uid = 0;

/** A fresh id for pairing a label with its control. */
export function nextId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * `h('button', {class: 'primary', onclick: f, disabled: true}, 'Save')`. Props starting
 * with `on` are listeners; `class`, `text`, `dataset`, `style` (an object) are special;
 * `false`/`null`/`undefined` props are skipped; `true` sets an empty attribute. Children:
 * nodes, strings (as text), numbers, arrays, null/false (skipped).
 */
export function h(tag, props = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'style') Object.assign(el.style, value);
    else if (name === 'value' && 'value' in el) el.value = value;
    else if (name === 'checked' || name === 'selected') el[name] = !!value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const kid of kids) {
    if (kid === null || kid === undefined || kid === false) continue;
    if (Array.isArray(kid)) append(el, kid);
    else if (kid instanceof Node) el.appendChild(kid);
    else el.appendChild(document.createTextNode(String(kid)));
  }
}

/** Replaces the children of `el`. */
export function mount(el, ...kids) {
  el.replaceChildren();
  append(el, kids);
  return el;
}

/**
 * A labelled control: `field('Bucket name', h('input', {...}), 'hint')` → a wrapper with
 * a <label for> and the control (given an id when it has none).
 */
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  const hintEl = hint ? h('small', { id: control.id + '-hint', class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

export function button(label, onclick, props = {}) {
  return h('button', { type: 'button', ...props, onclick }, label);
}

/** 1.5 MiB style sizes (binary units, as S3 tools show them). */
export function formatBytes(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  n = Number(n);
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i += 1;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A date as the user's locale shows it (with the ISO form as the tooltip). */
export function formatDate(value) {
  if (!value) return '—';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString();
}

export function timeEl(value) {
  const d = value instanceof Date ? value : new Date(value);
  return h('time', { datetime: Number.isNaN(d.getTime()) ? '' : d.toISOString(), title: Number.isNaN(d.getTime()) ? '' : d.toISOString() }, formatDate(value));
}

/** What to tell the user about a failed call (S3Error, ApiError or anything else). */
export function describeError(err) {
  if (!err) return 'Something went wrong.';
  const code = err.code || '';
  const known = {
    BucketNotEmpty: 'The bucket is not empty: delete its objects (and, in a versioned bucket, their versions and delete markers) first.',
    BucketAlreadyExists: 'That bucket name is taken. Bucket names are shared by every user of this Depot: choose another.',
    BucketAlreadyOwnedByYou: 'You already have a bucket with that name.',
    InvalidBucketName: 'That is not a valid bucket name: 3–63 characters, lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.',
    NoSuchBucket: 'The bucket does not exist (any more).',
    NoSuchKey: 'The object does not exist (any more).',
    AccessDenied: 'Access denied: you are not allowed to do that.',
    SlowDown: 'Depot is busy right now (503 SlowDown). Wait a moment and try again.',
    TooManyRequests: 'Too many requests: wait a moment and try again.',
    InsufficientStorage: 'Depot is out of storage space (507): nothing was stored.',
    ServiceUnavailable: 'Depot is unavailable right now (503). Try again shortly.',
    NetworkError: 'Depot did not answer. Check that it is running and reachable.',
    EntityTooLarge: 'The file is larger than this Depot accepts.',
  };
  const base = known[code] || err.message || String(err);
  const detail = known[code] && err.message && err.message !== base ? ` (${err.message})` : '';
  const status = err.status ? ` [${err.status}${code ? ' ' + code : ''}]` : '';
  return base + detail + status;
}

/** A short message in the status area (`kind`: 'info', 'ok', 'error'). */
export function toast(message, kind = 'info') {
  const area = document.getElementById('toasts');
  if (!area) return;
  const close = h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss message' }, '×');
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('span', {}, message), close);
  close.addEventListener('click', () => el.remove());
  area.appendChild(el);
  if (kind !== 'error') setTimeout(() => el.remove(), 6000);
}

/** An inline error box inside a view (role=alert, so screen readers hear it). */
export function errorBox(err) {
  return h('div', { class: 'error-box', role: 'alert' }, describeError(err));
}

/** The `done` of each open confirmation dialog. */
const openDialogs = new Set();

/**
 * Closes every open dialog as "no": a question asked on one screen (or for one user)
 * must not be answered on another.
 */
export function closeDialogs() {
  for (const done of [...openDialogs]) done(false);
}

/** Removes every message of the status area (on sign-out: they may name the last user's files). */
export function clearToasts() {
  const area = document.getElementById('toasts');
  if (area) area.replaceChildren();
}

/**
 * A modal dialog asking to confirm: resolves true when `confirmLabel` is pressed.
 * `body` may be a string or nodes.
 */
export function confirmDialog(title, body, confirmLabel = 'Delete', { danger = true } = {}) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' });
    const done = (value) => {
      openDialogs.delete(done);
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    openDialogs.add(done);
    mount(
      dialog,
      h('h2', { id: 'dialog-title' }, title),
      h('div', { class: 'dialog-body' }, body),
      h('div', { class: 'actions' }, button('Cancel', () => done(false)), button(confirmLabel, () => done(true), { class: danger ? 'danger' : 'primary' })),
    );
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

/**
 * Runs `work()` while `btn` shows it is busy; a failure is shown with `toast` (or in
 * `errorTarget` when given) and returned as `{error}`.
 */
export async function busy(btn, work, errorTarget) {
  const label = btn ? btn.textContent : '';
  if (btn) {
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
  }
  try {
    return await work();
  } catch (err) {
    if (errorTarget) mount(errorTarget, errorBox(err));
    else toast(describeError(err), 'error');
    return { error: err };
  } finally {
    if (btn) {
      btn.disabled = false;
      btn.removeAttribute('aria-busy');
      btn.textContent = label;
    }
  }
}

/** Copies text to the clipboard; falls back to selecting it in `input`. */
export async function copyText(value, input) {
  try {
    await navigator.clipboard.writeText(value);
    toast('Copied to the clipboard', 'ok');
  } catch {
    if (input) {
      input.focus();
      input.select();
    }
    toast('Select the text and copy it (the clipboard is not available here)', 'info');
  }
}

/** Hash-route links: `link('#/b/' + …, 'text')`. */
export function link(href, label, props = {}) {
  return h('a', { href, ...props }, label);
}

/** `#/o/<bucket>/<key>` and friends: each part encoded with encodeURIComponent. */
export function route(...parts) {
  return '#/' + parts.map((p) => encodeURIComponent(p)).join('/');
}
