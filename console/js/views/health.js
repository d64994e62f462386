// Health (`#/health`): GET /_depot/health (no credentials) every 5 s — the overall
// status, then each component (catalog, storage with its drives, indexer with its lag,
// Kafka when configured) with a text badge and its latency or details.

import { api } from '../api.js';
import { h, mount, button, formatBytes, formatDate, errorBox } from '../ui.js';

const EVERY_MS = 5000;

const LEVEL = { ok: 'ok', degraded: 'degraded', full: 'degraded', unreachable: 'degraded', error: 'error' };

export function badge(status) {
  const s = String(status || 'unknown');
  return h('span', { class: `badge ${LEVEL[s] || ''}` }, s);
}

const ms = (v) => (typeof v === 'number' ? `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms` : '—');
const num = (v) => (v === undefined || v === null ? '—' : Number(v).toLocaleString('en-US'));

function details(pairs) {
  const items = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '');
  if (!items.length) return '';
  return h('dl', { class: 'props compact' }, items.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function components(checks) {
  const rows = [];
  const c = checks.catalog || {};
  rows.push(['Catalog', c, ms(c.latency_ms), details([['Writable', c.writable === false ? 'no' : null], ['Reason', c.reason], ['Error', c.error]])]);
  const s = checks.storage;
  if (s) {
    rows.push([
      'Storage',
      s,
      ms(s.latency_ms),
      details([
        ['Drives', s.drives ? String(s.drives.length) : null],
        ['Copies', s.copies],
        ['Write quorum', s.write_quorum],
        ['Free', s.free_bytes !== undefined ? formatBytes(s.free_bytes) : null],
        ['Reserve', s.min_free_bytes ? formatBytes(s.min_free_bytes) : null],
        ['Problem', s.reason],
      ]),
    ]);
  }
  const i = checks.indexer;
  if (i) {
    const lag = i.lag_events !== undefined ? `${num(i.lag_events)} ${Number(i.lag_events) === 1 ? 'event' : 'events'} behind` : null;
    rows.push([
      'Indexer',
      i,
      '—',
      details([
        ['Lag', lag],
        ['Oldest unindexed', i.lag_seconds !== undefined ? `${Number(i.lag_seconds).toFixed(1)} s` : null],
        ['Not yet published', i.outbox_backlog !== undefined ? num(i.outbox_backlog) : null],
        ['Mode', i.mode],
        ['Limits', i.max_lag_seconds !== undefined ? `${i.max_lag_seconds} s / ${num(i.max_lag_events)} events` : null],
        ['Error', i.error],
      ]),
    ]);
  }
  const k = checks.kafka;
  if (k) {
    rows.push([
      'Kafka',
      k,
      '—',
      details([
        ['Brokers', k.brokers !== undefined ? String(k.brokers) : null],
        ['Topic', k.topic],
        ['Topic exists', k.topic_exists === undefined ? null : k.topic_exists ? 'yes' : 'no'],
        ['Error', k.error],
      ]),
    ]);
  }
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'health-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Component'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'num' }, 'Latency'), h('th', { scope: 'col' }, 'Details'))),
      h(
        'tbody',
        {},
        rows.map(([name, check, latency, more]) =>
          h('tr', { 'data-component': name.toLowerCase() }, h('th', { scope: 'row' }, name), h('td', {}, badge(check.status)), h('td', { class: 'num' }, latency), h('td', {}, more)),
        ),
      ),
    ),
  );
}

function drives(storage) {
  const list = (storage && storage.drives) || [];
  if (!list.length) return null;
  const scrub = storage.scrub || {};
  return [
    h('h2', {}, 'Drives'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'drives-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Drive'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col', class: 'num' }, 'Free'),
            h('th', { scope: 'col', class: 'num hide-narrow' }, 'I/O errors'),
            h('th', { scope: 'col', class: 'num hide-narrow' }, 'Damage found'),
            h('th', { scope: 'col', class: 'num hide-narrow' }, 'Repaired'),
            h('th', { scope: 'col', class: 'hide-narrow' }, 'Path'),
          ),
        ),
        h(
          'tbody',
          {},
          list.map((d) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, String(d.id), d.reason ? h('div', { class: 'hint' }, d.reason) : null),
              h('td', {}, badge(d.status)),
              h('td', { class: 'num' }, d.free_bytes !== undefined ? formatBytes(d.free_bytes) : '—'),
              h('td', { class: 'num hide-narrow' }, num(Number(d.read_errors || 0) + Number(d.write_errors || 0))),
              h('td', { class: 'num hide-narrow' }, num(d.errors_found)),
              h('td', { class: 'num hide-narrow' }, num(d.repaired)),
              h('td', { class: 'hide-narrow mono' }, d.path || ''),
            ),
          ),
        ),
      ),
    ),
    h(
      'p',
      { class: 'hint' },
      `Scrub: ${num(scrub.passes)} ${Number(scrub.passes) === 1 ? 'pass' : 'passes'}` +
        (scrub.last_pass_ms ? `, the last finished ${formatDate(scrub.last_pass_ms)}` : '') +
        `; ${num(scrub.blobs_checked)} blobs checked, ${num(scrub.errors_found)} damaged copies found, ${num(scrub.repaired)} repaired.`,
    ),
  ];
}

export async function render(main) {
  document.title = 'Health · Depot';
  const overall = h('div', { class: 'overall', 'aria-live': 'polite' });
  const updated = h('p', { class: 'updated hint' });
  const body = h('div', {}, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const now = button('Refresh now', () => load());
  mount(main, h('div', { class: 'title-row' }, h('h1', {}, 'Health'), now), overall, updated, body);

  let timer = null;
  let stopped = false;
  let loading = false;

  async function load() {
    if (loading) return;
    loading = true;
    clearTimeout(timer);
    timer = null;
    try {
      const doc = await api('GET', '/_depot/health', { anonymous: true });
      if (stopped) return;
      const checks = doc.checks || {};
      mount(overall, h('p', { class: `overall-status ${LEVEL[doc.status] || ''}` }, 'Overall: ', badge(doc.status)));
      mount(body, components(checks), drives(checks.storage));
      const t = new Date();
      mount(updated, 'Updated ', h('time', { datetime: t.toISOString() }, t.toLocaleTimeString()), ` · refreshes every ${EVERY_MS / 1000} s`);
    } catch (err) {
      if (stopped) return;
      mount(overall, h('p', { class: 'overall-status error' }, 'Overall: ', badge('unknown')));
      mount(body, errorBox(err));
      const t = new Date();
      mount(updated, 'Last tried ', h('time', { datetime: t.toISOString() }, t.toLocaleTimeString()), ` · trying again every ${EVERY_MS / 1000} s`);
    }
    loading = false;
    if (!stopped) timer = setTimeout(load, EVERY_MS);
  }

  await load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
