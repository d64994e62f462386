// The object browser: #/b/<bucket>/<prefix> (the prefix is one encoded route part). One
// page of ListObjectsV2 (delimiter "/") at a time, Next/Previous through continuation
// tokens kept in a stack; folders as links, breadcrumbs, sort of the page, a filter by
// prefix within the folder, multi-select delete of objects and whole folders
// (DeleteObjects, a folder one listed page of keys at a time), delete of an empty folder,
// create folder, and the upload panel.

import { h, mount, field, button, formatBytes, timeEl, describeError, toast, errorBox, confirmDialog, busy, link, route } from '../ui.js';
import { request, text, children, xmlEscape, urlDecoded } from '../s3.js';
import { uploadPanel } from '../upload.js';

const MAX_KEYS = 1000;
/** The most per-key delete failures listed (the rest are counted). */
const MAX_ERRORS_SHOWN = 100;

const plural = (n, one, many = one + 's') => `${n} ${n === 1 ? one : many}`;

/** The folder part of a key ('a/b/' for 'a/b/c.txt'). */
export function folderOf(key) {
  const i = key.lastIndexOf('/', key.length - 2);
  return i < 0 ? '' : key.slice(0, i + 1);
}

/** Breadcrumbs Buckets › bucket › a › b for `prefix` ('a/b/'); the last is the page. */
export function breadcrumbs(bucket, prefix, tail) {
  const parts = prefix ? prefix.replace(/\/$/, '').split('/') : [];
  const items = [h('li', {}, link('#/buckets', 'Buckets'))];
  const last = !tail && parts.length === 0;
  items.push(h('li', {}, last ? h('span', { 'aria-current': 'page' }, bucket) : link(route('b', bucket), bucket)));
  let acc = '';
  parts.forEach((p, i) => {
    acc += p + '/';
    const isLast = !tail && i === parts.length - 1;
    items.push(h('li', {}, isLast ? h('span', { 'aria-current': 'page' }, p || '(empty)') : link(route('b', bucket, acc), p || '(empty)')));
  });
  if (tail) items.push(h('li', {}, h('span', { 'aria-current': 'page' }, tail)));
  return h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, h('ol', {}, items));
}

export function render(main, params, ctx) {
  const bucket = params[0];
  // The prefix is one encoded part; a hand-written URL with raw slashes still works.
  const prefix = params.slice(1).join('/');
  document.title = `${prefix ? prefix + ' · ' : ''}${bucket} · Depot`;

  let alive = true;
  let tokens = ['']; // continuation token of each page seen: tokens[page]
  let page = 0;
  let filter = '';
  let sort = { by: 'name', desc: false };
  let current = { folders: [], objects: [], next: '', marker: false };
  let loadSeq = 0;
  const selected = new Set(); // object keys
  const selectedFolders = new Set(); // folder prefixes ('a/b/')

  const listArea = h('div', { class: 'object-list' });
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const summary = h('p', { class: 'hint list-summary', role: 'status' });
  const prevBtn = button('Previous', () => go(page - 1), { disabled: true, 'aria-label': 'Previous page' });
  const nextBtn = button('Next', () => go(page + 1), { disabled: true, 'aria-label': 'Next page' });
  const pageLabel = h('span', { class: 'page-label' }, 'Page 1');
  const deleteBtn = button('Delete selected', () => deleteSelected(), { class: 'danger', disabled: true });
  const filterInput = h('input', { type: 'search', name: 'filter', autocomplete: 'off', spellcheck: 'false' });

  const updateSelection = () => {
    const n = selected.size + selectedFolders.size;
    deleteBtn.disabled = n === 0;
    deleteBtn.textContent = n ? `Delete selected (${n})` : 'Delete selected';
  };

  const load = async () => {
    const seq = ++loadSeq;
    mount(listArea, h('p', { class: 'loading', role: 'status' }, 'Loading objects…'));
    prevBtn.disabled = true;
    nextBtn.disabled = true;
    const query = [['list-type', '2'], ['delimiter', '/'], ['prefix', prefix + filter], ['max-keys', String(MAX_KEYS)], ['encoding-type', 'url']];
    if (tokens[page]) query.push(['continuation-token', tokens[page]]);
    let doc;
    try {
      doc = await request({ bucket, query });
    } catch (err) {
      if (alive && seq === loadSeq) {
        mount(listArea, errorBox(err));
        prevBtn.disabled = page === 0;
      }
      return;
    }
    if (!alive || seq !== loadSeq) return;
    const root = doc && doc.documentElement;
    const folders = children(root, 'CommonPrefixes').map((c) => urlDecoded(text(c, 'Prefix')));
    // The folder's own marker (an empty object named like the folder) is not listed.
    const contents = children(root, 'Contents');
    const marker = !!prefix && contents.some((c) => urlDecoded(text(c, 'Key')) === prefix);
    const objects = contents.filter((c) => !prefix || urlDecoded(text(c, 'Key')) !== prefix).map((c) => ({
      key: urlDecoded(text(c, 'Key')),
      size: Number(text(c, 'Size')),
      modified: text(c, 'LastModified'),
      etag: text(c, 'ETag'),
      storageClass: text(c, 'StorageClass'),
    }));
    const truncated = text(root, 'IsTruncated') === 'true';
    current = { folders, objects, next: truncated ? text(root, 'NextContinuationToken') : '', marker };
    selected.clear();
    selectedFolders.clear();
    updateSelection();
    draw();
  };

  const go = (p) => {
    if (p < 0) return;
    if (p > page) {
      if (!current.next) return;
      tokens[p] = current.next;
      tokens = tokens.slice(0, p + 1);
    }
    page = p;
    load();
  };

  const restart = () => {
    tokens = [''];
    page = 0;
    load();
  };

  const sorted = () => {
    const list = [...current.objects];
    const dir = sort.desc ? -1 : 1;
    const cmp = {
      name: (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
      size: (a, b) => a.size - b.size || (a.key < b.key ? -1 : 1),
      date: (a, b) => Date.parse(a.modified) - Date.parse(b.modified) || (a.key < b.key ? -1 : 1),
    }[sort.by];
    list.sort((a, b) => dir * cmp(a, b));
    const folders = [...current.folders].sort();
    if (sort.by === 'name' && sort.desc) folders.reverse();
    return { folders, objects: list };
  };

  const sortHeader = (by, label, extra = {}) => {
    const active = sort.by === by;
    const btn = button(label + (active ? (sort.desc ? ' ▼' : ' ▲') : ''), () => {
      sort = { by, desc: sort.by === by ? !sort.desc : false };
      draw();
    }, { class: 'sort', 'aria-label': `Sort by ${label.toLowerCase()}` });
    return h('th', { scope: 'col', 'aria-sort': active ? (sort.desc ? 'descending' : 'ascending') : 'none', ...extra }, btn);
  };

  const draw = () => {
    const { folders, objects } = sorted();
    prevBtn.disabled = page === 0;
    nextBtn.disabled = !current.next;
    pageLabel.textContent = `Page ${page + 1}`;
    summary.textContent = `${objects.length} object${objects.length === 1 ? '' : 's'} and ${folders.length} folder${folders.length === 1 ? '' : 's'} on this page${current.next ? ' (more on the next page)' : ''}.`;
    if (!folders.length && !objects.length) {
      const message = h('p', { class: 'empty' }, filter ? `Nothing here starts with "${filter}".` : page ? 'This page is empty.' : 'This folder is empty: upload files below.');
      // A folder that is only its marker object (as "Create folder" makes it) can go.
      const canDelete = current.marker && !filter && page === 0 && !current.next;
      mount(listArea, message, canDelete ? h('p', { class: 'empty-actions' }, button('Delete this folder', () => deleteThisFolder(), { class: 'danger' })) : null);
      return;
    }
    const allBox = h('input', { type: 'checkbox', 'aria-label': 'Select all objects on this page' });
    const boxes = [];
    allBox.addEventListener('change', () => {
      for (const [box, key] of boxes) {
        box.checked = allBox.checked;
        if (allBox.checked) selected.add(key);
        else selected.delete(key);
      }
      updateSelection();
    });
    const rows = [];
    for (const f of folders) {
      const name = f.slice(prefix.length);
      const box = h('input', { type: 'checkbox', 'aria-label': `Select ${f}`, checked: selectedFolders.has(f) });
      box.addEventListener('change', () => {
        if (box.checked) selectedFolders.add(f);
        else selectedFolders.delete(f);
        updateSelection();
      });
      rows.push(
        h(
          'tr',
          { class: 'folder' },
          h('td', { class: 'select' }, box),
          h('td', {}, link(route('b', bucket, f), name, { class: 'name folder-link' })),
          h('td', { class: 'num' }, '—'),
          h('td', { class: 'hide-narrow' }, 'Folder'),
          h('td', { class: 'hide-narrow' }, ''),
        ),
      );
    }
    for (const o of objects) {
      const box = h('input', { type: 'checkbox', 'aria-label': `Select ${o.key}`, checked: selected.has(o.key) });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(o.key);
        else selected.delete(o.key);
        allBox.checked = selected.size === objects.length;
        updateSelection();
      });
      boxes.push([box, o.key]);
      const name = o.key.slice(prefix.length) || o.key;
      rows.push(
        h(
          'tr',
          { class: 'object' },
          h('td', { class: 'select' }, box),
          h('td', {}, link(route('o', bucket, o.key), name, { class: 'name object-link' })),
          h('td', { class: 'num', title: `${o.size} bytes` }, formatBytes(o.size)),
          h('td', { class: 'hide-narrow' }, o.modified ? timeEl(o.modified) : '—'),
          h('td', { class: 'hide-narrow' }, o.storageClass || ''),
        ),
      );
    }
    mount(
      listArea,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'objects' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'select' }, allBox), sortHeader('name', 'Name'), sortHeader('size', 'Size', { class: 'num' }), sortHeader('date', 'Last modified', { class: 'hide-narrow' }), h('th', { scope: 'col', class: 'hide-narrow' }, 'Class'))),
          h('tbody', {}, rows),
        ),
      ),
    );
  };

  /**
   * Deletes `keys` (at most 1,000) with one DeleteObjects: the keys that failed, as
   * `{key, code, message}`. Quiet: the answer lists only failures (a key XML 1.0 cannot
   * carry, such as one with a control character, then never has to come back in it).
   */
  const deleteBatch = async (keys) => {
    const body = '<Delete>' + keys.map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join('') + '<Quiet>true</Quiet></Delete>';
    const doc = await request({ method: 'POST', bucket, query: [['delete', '']], body, contentMd5: true });
    const root = doc && doc.documentElement;
    return children(root, 'Error').map((e) => ({ key: text(e, 'Key'), code: text(e, 'Code'), message: text(e, 'Message') }));
  };

  /**
   * Deletes every key under `folder` (its marker too): one page of ListObjectsV2 (no
   * delimiter), then one DeleteObjects of that page, then the next page — never more
   * than one page of keys held. `onBatch(tried, errors)` after each page.
   */
  const deleteFolder = async (folder, onBatch) => {
    let token = '';
    for (;;) {
      const query = [['list-type', '2'], ['prefix', folder], ['max-keys', String(MAX_KEYS)], ['encoding-type', 'url']];
      if (token) query.push(['continuation-token', token]);
      const doc = await request({ bucket, query });
      const root = doc && doc.documentElement;
      const keys = children(root, 'Contents').map((c) => urlDecoded(text(c, 'Key')));
      if (keys.length) onBatch(keys.length, await deleteBatch(keys));
      token = text(root, 'IsTruncated') === 'true' ? text(root, 'NextContinuationToken') : '';
      if (!token) return;
    }
  };

  const deleteSelected = async () => {
    const folders = [...selectedFolders].sort();
    const keys = [...selected];
    if (!keys.length && !folders.length) return;
    const names = [...folders, ...keys];
    const shown = names.slice(0, 10);
    const counts = [folders.length ? plural(folders.length, 'folder') : '', keys.length ? plural(keys.length, 'object') : ''].filter(Boolean).join(' and ');
    const ok = await confirmDialog(
      `Delete ${counts}?`,
      [
        h('ul', { class: 'key-list' }, shown.map((k) => h('li', {}, h('code', {}, k)))),
        names.length > shown.length ? h('p', {}, `and ${names.length - shown.length} more.`) : null,
        folders.length
          ? h('p', { class: 'delete-warning' }, `Everything under the selected ${folders.length === 1 ? 'folder' : 'folders'} is deleted too: every object in ${folders.length === 1 ? 'it' : 'them'} and in all of ${folders.length === 1 ? 'its' : 'their'} subfolders, not only what this page shows.`)
          : null,
      ],
      'Delete',
    );
    if (!ok) return;
    const progress = h('p', { class: 'hint delete-progress', role: 'status' }, folders.length ? 'Deleting…' : '');
    mount(status, folders.length ? progress : null);
    let deleted = 0;
    let failed = 0;
    const errors = []; // the first MAX_ERRORS_SHOWN failures
    const onBatch = (tried, errs) => {
      deleted += tried - errs.length;
      failed += errs.length;
      for (const e of errs) if (errors.length < MAX_ERRORS_SHOWN) errors.push(e);
      progress.textContent = `Deleted ${plural(deleted, 'object')}…`;
    };
    let stopped = null;
    await busy(deleteBtn, async () => {
      try {
        if (keys.length) onBatch(keys.length, await deleteBatch(keys));
        for (const f of folders) await deleteFolder(f, onBatch);
      } catch (err) {
        stopped = err;
      }
    });
    if (deleted) toast(`Deleted ${plural(deleted, 'object')}`, 'ok');
    if (stopped || failed) {
      mount(
        status,
        h(
          'div',
          { class: 'error-box', role: 'alert' },
          stopped ? h('p', {}, `Deleting stopped after ${plural(deleted, 'object')}: ${describeError(stopped)}`) : null,
          failed ? h('p', {}, `${plural(failed, 'object was', 'objects were')} not deleted:`) : null,
          errors.length ? h('ul', {}, errors.map((e) => h('li', {}, h('code', {}, e.key), ': ', describeError({ code: e.code, message: e.message })))) : null,
          failed > errors.length ? h('p', {}, `and ${failed - errors.length} more.`) : null,
        ),
      );
    } else {
      mount(status);
    }
    if (alive) load();
  };

  // An empty folder (only its marker object): delete the marker, back to the parent.
  const deleteThisFolder = async () => {
    const ok = await confirmDialog(`Delete the folder ${prefix}?`, h('p', {}, 'The folder is empty: only its folder marker is deleted.'), 'Delete');
    if (!ok) return;
    mount(status);
    const r = await busy(null, () => request({ method: 'DELETE', bucket, key: prefix }), status);
    if (r && r.error) return;
    toast(`Deleted the folder ${prefix}`, 'ok');
    if (!alive) return;
    const parent = folderOf(prefix);
    ctx.navigate(parent ? route('b', bucket, parent) : route('b', bucket));
  };

  // Filter by prefix within the folder (server-side: the listing's prefix).
  let filterTimer = null;
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      if (filterInput.value !== filter) {
        filter = filterInput.value;
        restart();
      }
    }, 300);
  });
  filterInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(filterTimer);
      filter = filterInput.value;
      restart();
    }
  });

  // Create folder: an empty object named <prefix><name>/.
  const folderInput = h('input', { name: 'folder', autocomplete: 'off', spellcheck: 'false' });
  const folderBtn = h('button', { type: 'submit' }, 'Create folder');
  const folderForm = h('form', { class: 'row create-folder' }, field('New folder name', folderInput), folderBtn);
  folderForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = folderInput.value.trim().replace(/\/+$/, '');
    mount(status);
    if (!name) {
      mount(status, h('div', { class: 'error-box', role: 'alert' }, 'Type a folder name first.'));
      return;
    }
    const r = await busy(folderBtn, () => request({ method: 'PUT', bucket, key: `${prefix}${name}/`, body: '' }), status);
    if (r && r.error) return;
    folderInput.value = '';
    ctx.navigate(route('b', bucket, `${prefix}${name}/`));
  });

  const up = uploadPanel({ bucket, prefix: () => prefix, refresh: () => alive && load() });

  mount(
    main,
    breadcrumbs(bucket, prefix),
    h('div', { class: 'title-row' }, h('h1', {}, prefix ? h('span', { class: 'name' }, prefix) : bucket), link(route('buckets', bucket), 'Bucket settings', { class: 'settings-link' })),
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'grow' }, field('Filter by prefix', filterInput, prefix ? `Names in ${prefix} starting with…` : 'Names starting with…')),
      button('Refresh', () => load()),
      deleteBtn,
    ),
    status,
    summary,
    listArea,
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, prevBtn, pageLabel, nextBtn),
    up.el,
    h('section', { class: 'card', 'aria-labelledby': 'folder-title' }, h('h2', { id: 'folder-title' }, 'New folder'), folderForm),
  );
  load();
  return () => {
    alive = false;
    clearTimeout(filterTimer);
    up.cleanup();
  };
}
