// The upload panel of the object browser: a file picker, a folder picker and a drop zone
// (files and whole folders), options applied to every file of a batch (description, tags,
// access level), and one row per file with its progress, speed, state and a Cancel button.
// A file of a folder keeps its path under the folder it is uploaded to: `photos/a.jpg`
// dropped (or picked) in `trips/` becomes `trips/photos/a.jpg`. Uploads go through
// s3.upload (files above 16 MiB as multipart uploads, aborted on the server when
// cancelled or failed).
//
// The rows live in this module, not in the view: moving to another folder re-renders the
// object browser, and the uploads in flight (and their rows) carry on in the new panel.
//
// Also the small helpers the storage screens share: tags as text, RFC 2047 header values.

import { h, mount, field, button, formatBytes, describeError, toast } from './ui.js';
import { upload, taggingHeader } from './s3.js';
import { session } from './session.js';

/** At most this many files upload at once (each multipart file sends 4 parts at once). */
const PARALLEL_FILES = 2;

// ---------------------------------------------------------------- shared helpers

/**
 * Tags typed by a user — `key=value`, one per line (a value may hold commas) — as
 * `[[k, v], …]`. Throws an Error with a message naming the problem.
 */
export function parseTagText(value) {
  const tags = [];
  const seen = new Set();
  for (const raw of String(value || '').split('\n')) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`Tag "${item}" is not of the form key=value.`);
    const k = item.slice(0, eq).trim();
    const v = item.slice(eq + 1).trim();
    if (!k) throw new Error(`Tag "${item}" has an empty key.`);
    if (k.length > 128) throw new Error(`Tag key "${k.slice(0, 20)}…" is longer than 128 characters.`);
    if (v.length > 256) throw new Error(`The value of tag "${k}" is longer than 256 characters.`);
    if (seen.has(k)) throw new Error(`Tag "${k}" is given twice.`);
    seen.add(k);
    tags.push([k, v]);
  }
  return tags;
}

/** `[[k, v], …]` as the text parseTagText reads (one per line). */
export function tagText(tags) {
  return tags.map(([k, v]) => `${k}=${v}`).join('\n');
}

/**
 * A header value XMLHttpRequest and fetch can send: ASCII as is, anything else as
 * RFC 2047 `=?UTF-8?B?<base64>?=`.
 */
export function encodeHeaderValue(value) {
  const s = String(value);
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  let bin = '';
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return `=?UTF-8?B?${btoa(bin)}?=`;
}

/** The reverse of encodeHeaderValue (other values as they are). */
export function decodeHeaderValue(value) {
  const s = String(value ?? '');
  const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i.exec(s.trim());
  if (m) {
    try {
      const bin = atob(m[1]);
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    } catch {
      return s;
    }
  }
  // A raw UTF-8 value arrives as Latin-1 characters (ByteString): decode it when it is valid UTF-8.
  if (/[\x80-\xff]/.test(s) && !/[^\x00-\xff]/.test(s)) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
    } catch {
      return s;
    }
  }
  return s;
}

/**
 * The access levels the console offers. "Authenticated" in S3 means anyone with
 * credentials: on Depot, anyone who registers an account, and the label says so.
 */
export const ACCESS_LEVELS = [
  ['private', 'Private'],
  ['public-read', 'Public read (anyone, no sign-in)'],
  ['authenticated-read', 'Any Depot account can read (anyone may register)'],
];

export function accessSelect(levels = ACCESS_LEVELS, current = 'private') {
  return h('select', {}, levels.map(([v, label]) => h('option', { value: v, selected: v === current }, label)));
}

/** "3.2 MiB/s". */
export function formatSpeed(bytesPerSecond) {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '';
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

// ---------------------------------------------------------------- the uploads

const jobs = []; // every upload of this page: { bucket, key, file, row, state, … }
let listArea = null; // the panel's list (its current view)
let onFinished = null; // the current view's refresh

// A sign-out ends this user's uploads (each multipart upload aborted on the server) and
// clears their rows: the next user neither sees nor continues them.
session.onChange((state) => {
  if (state) return;
  for (const job of jobs) cancel(job);
  jobs.length = 0;
  if (listArea) listArea.replaceChildren();
});

function running() {
  return jobs.filter((j) => j.state === 'uploading').length;
}

function pump() {
  while (running() < PARALLEL_FILES) {
    const next = jobs.find((j) => j.state === 'waiting');
    if (!next) break;
    start(next);
  }
  if (!jobs.some((j) => j.state === 'waiting' || j.state === 'uploading') && onFinished) onFinished();
}

function setState(job, state, message) {
  job.state = state;
  const text = { waiting: 'Waiting', uploading: 'Uploading', done: 'Done', failed: `Failed: ${message}`, cancelled: 'Cancelled' }[state];
  job.stateEl.textContent = text;
  job.row.className = `upload-row ${state}`;
  if (state === 'done' || state === 'failed' || state === 'cancelled') {
    job.cancelBtn.disabled = true;
    job.cancelBtn.hidden = true;
  }
}

function start(job) {
  setState(job, 'uploading');
  job.started = performance.now();
  const progress = (sent) => {
    job.progress.value = sent;
    const secs = (performance.now() - job.started) / 1000;
    job.sent = sent;
    if (secs > 0.2) job.speedEl.textContent = formatSpeed(sent / secs);
  };
  try {
    job.handle = upload({ bucket: job.bucket, key: job.key, file: job.file, headers: job.headers, onProgress: progress });
  } catch (err) {
    setState(job, 'failed', describeError(err));
    return;
  }
  job.handle.promise.then(
    () => {
      job.progress.value = job.file.size;
      const secs = (performance.now() - job.started) / 1000;
      if (secs > 0) job.speedEl.textContent = formatSpeed(job.file.size / secs);
      setState(job, 'done');
      pump();
    },
    (err) => {
      if (job.state === 'cancelled' || (err && err.name === 'AbortError')) setState(job, 'cancelled');
      else {
        setState(job, 'failed', describeError(err));
        toast(`Upload of ${job.path} failed: ${describeError(err)}`, 'error');
      }
      pump();
    },
  );
}

function cancel(job) {
  if (job.state === 'waiting') {
    setState(job, 'cancelled');
    pump();
  } else if (job.state === 'uploading') {
    setState(job, 'cancelled');
    if (job.handle) job.handle.cancel();
  }
}

/**
 * One upload: `path` is the file's path under the folder it goes to (its name, or
 * `photos/a.jpg` for a file of a folder); rows and their controls are named by it.
 */
function addJob(bucket, key, path, file, headers) {
  const job = { bucket, key, path, file, headers, state: 'waiting', sent: 0 };
  job.progress = h('progress', { max: String(Math.max(1, file.size)), value: '0', 'aria-label': `Progress of ${path}` });
  job.speedEl = h('span', { class: 'speed' });
  job.stateEl = h('span', { class: 'state' });
  job.cancelBtn = button('Cancel', () => cancel(job), { 'aria-label': `Cancel ${path}`, class: 'small' });
  job.row = h(
    'li',
    { class: 'upload-row waiting' },
    h('div', { class: 'upload-name' }, h('span', { class: 'name', title: key }, key), ' ', h('span', { class: 'hint' }, formatBytes(file.size))),
    job.progress,
    h('div', { class: 'upload-meta' }, job.stateEl, job.speedEl, job.cancelBtn),
  );
  setState(job, 'waiting');
  jobs.push(job);
  if (listArea) listArea.appendChild(job.row);
}

// ---------------------------------------------------------------- dropped folders

/** Every entry of a directory: readEntries gives them in batches, until an empty one. */
async function readAll(dir) {
  const reader = dir.createReader();
  const all = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return all;
    all.push(...batch);
  }
}

/** `[{ file, path }]` of every file under `entry` (a FileSystemEntry), depth first. */
async function walkEntry(entry, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\/+/, '') || file.name });
  } else if (entry.isDirectory) {
    for (const child of await readAll(entry)) await walkEntry(child, out);
  }
  return out;
}

/**
 * What a drop carries, as `{ files: [{ file, path }], folders }` (a promise): dropped
 * folders are walked; plain files keep their names. The entries are taken while the
 * drop event runs (its DataTransfer is emptied afterwards).
 */
function droppedFiles(dataTransfer) {
  if (!dataTransfer) return Promise.resolve({ files: [], folders: 0 });
  const items = Array.from(dataTransfer.items || []).filter((i) => i.kind === 'file');
  const taken = items.map((item) => {
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    return { entry, file: item.getAsFile() };
  });
  if (!taken.some((t) => t.entry && t.entry.isDirectory)) {
    // Plain files (also what a browser without entries offers).
    const plain = Array.from(dataTransfer.files || []);
    return Promise.resolve({ files: plain.map((file) => ({ file, path: file.name })), folders: 0 });
  }
  return (async () => {
    const files = [];
    let folders = 0;
    for (const { entry, file } of taken) {
      if (entry && entry.isDirectory) {
        folders += 1;
        await walkEntry(entry, files);
      } else if (file) files.push({ file, path: file.name });
      else if (entry) await walkEntry(entry, files);
    }
    return { files, folders };
  })();
}

/**
 * The panel for `bucket`; `prefix()` gives the folder files go to; `refresh()` is called
 * when no upload is left running. Returns `{ el, cleanup }`.
 */
export function uploadPanel({ bucket, prefix, refresh }) {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const picker = h('input', { type: 'file', multiple: true, class: 'file-input' });
  // Chromium, Firefox and Safari all pick a whole folder with webkitdirectory; each
  // file then has its path from the picked folder on (webkitRelativePath).
  const folderPicker = h('input', { type: 'file', multiple: true, webkitdirectory: true, class: 'file-input' });
  const description = h('input', { name: 'description', autocomplete: 'off' });
  const tags = h('textarea', { name: 'tags', rows: '2', spellcheck: 'false' });
  const access = accessSelect();
  const zone = h(
    'div',
    { class: 'drop-zone', tabindex: '0', role: 'button' },
    h('strong', {}, 'Drop files here'),
    h('span', { class: 'hint' }, ' (whole folders too), or press Enter to choose files'),
  );

  /** Uploads `[{ file, path }]` to the current folder + path. */
  const startFiles = (files) => {
    mount(status);
    if (!files.length) return;
    let tagList;
    try {
      tagList = parseTagText(tags.value);
    } catch (err) {
      mount(status, h('div', { class: 'error-box', role: 'alert' }, err.message, ' Nothing was uploaded.'));
      return;
    }
    const headers = {};
    if (description.value.trim()) headers['x-amz-meta-description'] = encodeHeaderValue(description.value.trim());
    if (tagList.length) headers['x-amz-tagging'] = taggingHeader(tagList);
    if (access.value !== 'private') headers['x-amz-acl'] = access.value;
    const where = prefix();
    for (const { file, path } of files) addJob(bucket, where + path, path, file, { ...headers });
    pump();
  };

  picker.addEventListener('change', () => {
    startFiles(Array.from(picker.files || [], (file) => ({ file, path: file.name })));
    picker.value = '';
  });
  folderPicker.addEventListener('change', () => {
    const files = Array.from(folderPicker.files || [], (file) => ({ file, path: (file.webkitRelativePath || file.name).replace(/^\/+/, '') }));
    folderPicker.value = '';
    if (!files.length) {
      mount(status, h('p', { class: 'hint', role: 'status' }, 'That folder has no files: nothing was uploaded.'));
      return;
    }
    startFiles(files);
  });
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      picker.click();
    }
  });
  zone.addEventListener('click', () => picker.click());
  const over = (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('dragging');
  };
  zone.addEventListener('dragenter', over);
  zone.addEventListener('dragover', over);
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.remove('dragging');
    droppedFiles(e.dataTransfer).then(
      ({ files, folders }) => {
        if (!files.length && folders) mount(status, h('p', { class: 'hint', role: 'status' }, 'The dropped folder has no files: nothing was uploaded.'));
        else startFiles(files);
      },
      (err) => mount(status, h('div', { class: 'error-box', role: 'alert' }, `The dropped folder could not be read: ${describeError(err)} Nothing was uploaded.`)),
    );
  });
  // A file dropped beside the zone must not replace the console with the file.
  const guard = (e) => {
    if (e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files')) e.preventDefault();
  };
  window.addEventListener('dragover', guard);
  window.addEventListener('drop', guard);

  listArea = h('ul', { class: 'upload-list', 'aria-label': 'Uploads' });
  for (const job of jobs) listArea.appendChild(job.row);
  const clear = button('Clear finished', () => {
    for (let i = jobs.length - 1; i >= 0; i -= 1) {
      if (['done', 'failed', 'cancelled'].includes(jobs[i].state)) {
        jobs[i].row.remove();
        jobs.splice(i, 1);
      }
    }
  }, { class: 'small' });
  onFinished = refresh;

  const el = h(
    'section',
    { class: 'card upload-panel', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title' }, 'Upload'),
    h(
      'div',
      { class: 'upload-inputs' },
      zone,
      field('Choose files', picker),
      field('Choose a folder', folderPicker, 'Its files keep their paths: photos/a.jpg goes to this folder’s photos/a.jpg.'),
    ),
    h(
      'fieldset',
      { class: 'upload-options' },
      h('legend', {}, 'Applied to every file of the next upload'),
      h(
        'div',
        { class: 'row' },
        field('Description', description, 'Stored as x-amz-meta-description.'),
        field('Tags', tags, 'key=value, one per line (at most 10).'),
        field('Access level', access),
      ),
    ),
    status,
    listArea,
    h('div', { class: 'actions' }, clear),
  );
  return {
    el,
    cleanup() {
      window.removeEventListener('dragover', guard);
      window.removeEventListener('drop', guard);
      if (onFinished === refresh) onFinished = null;
      listArea = null;
    },
  };
}
