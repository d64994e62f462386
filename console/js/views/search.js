// Search (`#/search`): GET /_depot/search over every bucket the user may read (the
// server scopes it), by bucket, name, description, tags, content type, size and date.
// The index trails the writes by the indexer's lag: the page polls /_depot/health and
// shows the lag when it is not zero, and re-runs the search every 2 s while the index
// lags and for a while after each search, so new objects appear by themselves. The
// polling pauses while the tab is hidden and resumes when it is shown again.

import { api } from '../api.js';
import { request, children, text } from '../s3.js';
import { h, mount, field, button, formatBytes, timeEl, describeError, errorBox, route } from '../ui.js';

const PAGE = 100;
const POLL_MS = 2000;
/** How long after a search (or a change in its results) the page keeps re-running it. */
const FRESH_MS = 2 * 60 * 1000;

const UNITS = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };

/** "1500", "10 KiB", "5MB" → bytes; '' → null; throws on anything else. */
export function parseSize(value, label) {
  const v = value.trim();
  if (!v) return null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v);
  const unit = m && UNITS[m[2].toLowerCase()];
  if (!m || !unit) throw { message: `${label}: write a number of bytes, optionally with a unit (10 KiB, 5 MB).` };
  return Math.round(Number(m[1]) * unit);
}

/**
 * One tag a line (a value may hold commas, as the tag editors allow):
 * "a=1\nb=x, y\ndraft" → ['a=1', 'b=x, y', 'draft'].
 */
function parseTags(value) {
  const tags = String(value || '')
    .split(/\r?\n/)
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of tags) if (t.startsWith('=')) throw { message: `Tags: "${t}" has no key. Write key=value, or a key alone.` };
  return tags;
}

function nextDay(date) {
  const d = new Date(date + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

async function listBuckets() {
  const doc = await request({});
  const list = doc && doc.getElementsByTagName('Buckets')[0];
  return children(list, 'Bucket')
    .map((b) => text(b, 'Name'))
    .sort();
}

export async function render(main) {
  document.title = 'Search · Depot';
  const bucket = h('select', { name: 'bucket' }, h('option', { value: '' }, 'All buckets'));
  const name = h('input', { name: 'name', type: 'search', spellcheck: 'false', placeholder: 'part of the key' });
  const description = h('input', { name: 'description', type: 'search' });
  const tags = h('textarea', { name: 'tags', rows: '2', spellcheck: 'false', placeholder: 'team=blue\ndraft' });
  const contentType = h('input', { name: 'content_type', spellcheck: 'false', placeholder: 'image/* or text/plain' });
  const minSize = h('input', { name: 'min_size', inputmode: 'decimal', spellcheck: 'false', placeholder: '0' });
  const maxSize = h('input', { name: 'max_size', inputmode: 'decimal', spellcheck: 'false', placeholder: 'any' });
  const after = h('input', { name: 'modified_after', type: 'date' });
  const before = h('input', { name: 'modified_before', type: 'date' });
  const sort = h(
    'select',
    { name: 'sort' },
    h('option', { value: 'key' }, 'Key (A–Z)'),
    h('option', { value: 'last_modified:desc' }, 'Newest first'),
    h('option', { value: 'last_modified' }, 'Oldest first'),
    h('option', { value: 'size:desc' }, 'Largest first'),
    h('option', { value: 'size' }, 'Smallest first'),
  );
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Search');
  const clear = button('Clear', () => {
    form.reset();
    run();
  });
  const form = h(
    'form',
    { class: 'search-form card', role: 'search', 'aria-label': 'Search objects' },
    h(
      'div',
      { class: 'search-grid' },
      field('Bucket', bucket),
      field('Name', name, 'Part of the key, any case.'),
      field('Description', description, 'Part of the description metadata.'),
      field('Tags', tags, 'key=value or a key alone, one per line (a value may hold commas).'),
      field('Content type', contentType, 'Exact, or a prefix with * (image/*).'),
      field('Min size', minSize, 'Bytes, or with a unit: 10 KiB, 5 MB.'),
      field('Max size', maxSize, 'Bytes, or with a unit.'),
      field('Modified from', after, 'Day (UTC), included.'),
      field('Modified until', before, 'Day (UTC), included.'),
      field('Sort by', sort),
    ),
    h('div', { class: 'actions' }, submit, clear),
  );
  const lagBox = h('div', { class: 'lag', 'aria-live': 'polite' });
  const status = h('div', { class: 'search-status', role: 'status' });
  const results = h('div', { class: 'search-results' });
  const more = h('div', { class: 'actions' });

  mount(main, h('h1', {}, 'Search'), form, lagBox, status, results, more);

  let stopped = false;
  let timer = null;
  let seq = 0;
  let current = null; // { query, hits, next, signature, at }
  let wasLagging = false;
  /**
   * The request now drawing the results (a search, a refresh or "More results"), or
   * null: the background refresh starts only when none is, so it cannot supersede a
   * page of "More results" (which would then be dropped with its button left busy).
   */
  let inFlight = null;
  let ticking = false;

  listBuckets()
    .then((names) => {
      for (const n of names) bucket.appendChild(h('option', { value: n }, n));
    })
    .catch((err) => {
      bucket.after(h('small', { class: 'hint' }, `Could not list your buckets: ${describeError(err)}`));
    });

  function buildQuery() {
    const q = [];
    const add = (k, v) => {
      if (v !== null && v !== undefined && String(v).trim() !== '') q.push([k, String(v).trim()]);
    };
    add('bucket', bucket.value);
    add('name', name.value);
    add('description', description.value);
    for (const t of parseTags(tags.value)) q.push(['tag', t]);
    add('content_type', contentType.value);
    const lo = parseSize(minSize.value, 'Min size');
    const hi = parseSize(maxSize.value, 'Max size');
    if (lo !== null && hi !== null && lo > hi) throw { message: 'Min size is larger than max size.' };
    add('min_size', lo);
    add('max_size', hi);
    // The API's bounds are exclusive and in UTC: "from" a day is after the midnight
    // starting it (less a millisecond), "until" a day is before the next midnight.
    if (after.value) add('modified_after', String(Date.parse(after.value + 'T00:00:00Z') - 1));
    if (before.value) add('modified_before', nextDay(before.value));
    const [field_, order] = sort.value.split(':');
    if (field_ !== 'key') add('sort', field_);
    if (order) add('order', order);
    return q;
  }

  function row(r) {
    const tagText = Object.entries(r.tags || {})
      .map(([k, v]) => (v === null || v === undefined || v === '' ? k : `${k}=${v}`))
      .join(', ');
    return h(
      'tr',
      {},
      h('td', {}, h('a', { class: 'name', href: route('o', r.bucket, r.key) }, r.key)),
      h('td', {}, h('a', { class: 'name', href: route('b', r.bucket) }, r.bucket)),
      h('td', { class: 'num', title: `${r.size} bytes` }, formatBytes(r.size)),
      h('td', { class: 'hide-narrow' }, r.content_type || '—'),
      h('td', { class: 'hide-narrow' }, timeEl(r.last_modified)),
      h('td', { class: 'hide-narrow desc' }, r.description || ''),
      h('td', { class: 'hide-narrow' }, tagText),
    );
  }

  function show() {
    const { hits, next } = current;
    if (!hits.length) {
      mount(status, `No objects match. ${current.lagging ? 'The index is catching up: new objects will appear here.' : ''}`.trim());
      mount(results, h('p', { class: 'empty' }, 'No results.'));
      mount(more);
      return;
    }
    mount(status, `${hits.length} ${hits.length === 1 ? 'result' : 'results'}${next ? ' (more available)' : ''}.`);
    mount(
      results,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'search-table' },
          h('caption', { class: 'visually-hidden' }, 'Search results'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Key'),
              h('th', { scope: 'col' }, 'Bucket'),
              h('th', { scope: 'col', class: 'num' }, 'Size'),
              h('th', { scope: 'col', class: 'hide-narrow' }, 'Content type'),
              h('th', { scope: 'col', class: 'hide-narrow' }, 'Modified'),
              h('th', { scope: 'col', class: 'hide-narrow' }, 'Description'),
              h('th', { scope: 'col', class: 'hide-narrow' }, 'Tags'),
            ),
          ),
          h('tbody', {}, hits.map(row)),
        ),
      ),
    );
    mount(more, next ? button('More results', loadMore) : null);
  }

  /** A new search (`refresh`: the same one again, as many results as are shown). */
  async function run({ refresh = false } = {}) {
    let query;
    if (refresh) {
      if (!current) return;
      query = current.query;
    } else {
      try {
        query = buildQuery();
      } catch (err) {
        mount(status, errorBox(err));
        return;
      }
    }
    if (refresh && inFlight) return;
    const mine = ++seq;
    const limit = refresh ? Math.min(1000, Math.max(PAGE, current.hits.length)) : PAGE;
    if (!refresh) {
      submit.disabled = true;
      mount(status, 'Searching…');
      // The last search's "More results" would page through results being replaced.
      mount(more);
    }
    inFlight = mine;
    try {
      const doc = await api('GET', '/_depot/search', { query: [...query, ['limit', String(limit)]] });
      if (stopped || mine !== seq) return;
      const hits = doc.results || [];
      const signature = JSON.stringify(hits);
      const at = refresh ? current.at : Date.now();
      const changed = !current || current.signature !== signature || current.next !== doc.next_cursor;
      current = { query, hits, next: doc.next_cursor || null, signature, at: refresh && changed ? Date.now() : at, lagging: wasLagging };
      if (!refresh || changed) show();
    } catch (err) {
      if (stopped || mine !== seq) return;
      if (refresh) mount(status, errorBox({ message: `Refreshing the results failed: ${describeError(err)}` }));
      else {
        current = null;
        mount(status, errorBox(err));
        mount(results);
        mount(more);
      }
    } finally {
      if (inFlight === mine) inFlight = null;
      if (!refresh) submit.disabled = false;
    }
  }

  async function loadMore(e) {
    const btn = e.currentTarget;
    const base = current;
    if (!base || !base.next || btn.disabled) return;
    btn.disabled = true;
    btn.textContent = 'Loading…';
    // Supersedes a refresh in flight (its answer is for the shorter list); none starts
    // until this one is done.
    const mine = ++seq;
    inFlight = mine;
    let drawn = false;
    try {
      const doc = await api('GET', '/_depot/search', { query: [...base.query, ['limit', String(PAGE)], ['cursor', base.next]] });
      if (stopped || mine !== seq) return;
      const hits = base.hits.concat(doc.results || []);
      current = { ...base, hits, next: doc.next_cursor || null, signature: JSON.stringify(hits) };
      show();
      drawn = true;
    } catch (err) {
      if (stopped || mine !== seq) return;
      mount(status, errorBox(err));
    } finally {
      if (inFlight === mine) inFlight = null;
      // Whatever happened, the button (if still shown) is usable again.
      if (!drawn) {
        btn.disabled = false;
        btn.textContent = 'More results';
      }
    }
  }

  function showLag(indexer, failure) {
    if (failure) {
      mount(lagBox, h('div', { class: 'notice' }, `The index's state is unknown (${describeError(failure)}); results may miss the newest changes.`));
      return false;
    }
    const events = Number((indexer && indexer.lag_events) || 0);
    const seconds = Number((indexer && indexer.lag_seconds) || 0);
    if (indexer && indexer.status && indexer.status !== 'ok' && indexer.error) {
      mount(lagBox, h('div', { class: 'notice' }, `The indexer reports a problem (${indexer.error}); results may be out of date.`));
      return true;
    }
    if (events > 0) {
      const age = seconds >= 1 ? `, the oldest from ${Math.round(seconds)} s ago` : '';
      mount(lagBox, h('div', { class: 'notice' }, `The index is ${events} ${events === 1 ? 'event' : 'events'} behind${age}; results may miss the newest changes. They update by themselves as the index catches up.`));
      return true;
    }
    mount(lagBox);
    return false;
  }

  const hidden = () => document.visibilityState === 'hidden';

  async function tick() {
    timer = null;
    if (stopped || hidden()) return;
    ticking = true;
    try {
      let lagging = false;
      try {
        const doc = await api('GET', '/_depot/health', { anonymous: true });
        if (stopped) return;
        lagging = showLag((doc.checks || {}).indexer);
      } catch (err) {
        if (stopped) return;
        lagging = showLag(null, err);
      }
      const fresh = current && Date.now() - current.at < FRESH_MS;
      if (current && !inFlight && !hidden() && (lagging || wasLagging || fresh)) await run({ refresh: true });
      wasLagging = lagging;
    } finally {
      ticking = false;
    }
    // Hidden now: onVisibility starts the polling again when the tab is shown.
    if (!stopped && !hidden()) timer = setTimeout(tick, POLL_MS);
  }

  /** No polling while the tab is hidden; at once again when it is shown. */
  function onVisibility() {
    if (stopped) return;
    if (hidden()) {
      clearTimeout(timer);
      timer = null;
    } else if (!timer && !ticking) tick();
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });

  await run();
  document.addEventListener('visibilitychange', onVisibility);
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}
