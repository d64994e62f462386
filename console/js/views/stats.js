// Statistics (`#/stats`): GET /_depot/stats — totals, the top 10 buckets by objects and
// by bytes as SVG bar charts drawn here (names and numbers written as text, so they read
// without colour), and every bucket in a table. Root sees every bucket, a user their own.

import { api } from '../api.js';
import { h, mount, button, formatBytes, errorBox, route } from '../ui.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const kid of kids) {
    if (kid === null || kid === undefined) continue;
    el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

const count = (n) => Number(n || 0).toLocaleString('en-US');

function shorten(name, max = 26) {
  return name.length > max ? name.slice(0, max - 1) + '…' : name;
}

/**
 * A horizontal bar chart: one row per item, the name at the left, the bar, and the value
 * written after it. `items`: [{name, value}], `format(value)` → text.
 */
export function barChart(title, items, format) {
  const width = 640;
  const labelW = 200;
  const valueW = 96;
  const rowH = 28;
  const barH = 18;
  const top = 4;
  const height = top * 2 + Math.max(1, items.length) * rowH;
  const max = Math.max(1, ...items.map((i) => Number(i.value) || 0));
  const span = width - labelW - valueW - 8;
  const summary = items.length ? items.map((i) => `${i.name}: ${format(i.value)}`).join('; ') : 'no buckets';
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}. ${summary}`, preserveAspectRatio: 'xMinYMin meet' });
  chart.appendChild(svg('title', {}, `${title}: ${summary}`));
  if (!items.length) {
    chart.appendChild(svg('text', { class: 'chart-label', x: 0, y: top + rowH / 2 + 5 }, 'No buckets yet'));
    return chart;
  }
  items.forEach((item, i) => {
    const y = top + i * rowH;
    const value = Number(item.value) || 0;
    const w = value > 0 ? Math.max(2, (value / max) * span) : 0;
    const g = svg('g', { class: 'chart-row' });
    g.appendChild(svg('title', {}, `${item.name}: ${format(item.value)}`));
    g.appendChild(svg('text', { class: 'chart-label', x: labelW - 8, y: y + rowH / 2 + 5, 'text-anchor': 'end' }, shorten(item.name)));
    g.appendChild(svg('rect', { class: 'chart-bar', x: labelW, y: y + (rowH - barH) / 2, width: w.toFixed(1), height: barH, rx: 2 }));
    g.appendChild(svg('text', { class: 'chart-value', x: labelW + w + 6, y: y + rowH / 2 + 5 }, format(item.value)));
    chart.appendChild(g);
  });
  return chart;
}

export async function render(main) {
  document.title = 'Statistics · Depot';
  const body = h('div', {}, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const refresh = button('Refresh', () => load());
  mount(
    main,
    h('div', { class: 'title-row' }, h('h1', {}, 'Statistics'), refresh),
    h('p', { class: 'hint' }, 'Counted from the search index: the newest changes may take a moment to show.'),
    body,
  );

  async function load() {
    refresh.disabled = true;
    try {
      const s = await api('GET', '/_depot/stats');
      show(s);
    } catch (err) {
      mount(body, errorBox(err));
    } finally {
      refresh.disabled = false;
    }
  }

  function show(s) {
    const buckets = s.buckets || [];
    const totals = h(
      'dl',
      { class: 'totals' },
      h('div', { class: 'total card' }, h('dt', {}, 'Objects'), h('dd', { 'data-total': 'objects' }, count(s.total_objects))),
      h('div', { class: 'total card' }, h('dt', {}, 'Stored'), h('dd', { 'data-total': 'bytes', title: `${s.total_bytes} bytes` }, formatBytes(s.total_bytes), h('small', { class: 'hint' }, ` (${count(s.total_bytes)} bytes)`))),
      h('div', { class: 'total card' }, h('dt', {}, 'Buckets'), h('dd', { 'data-total': 'buckets' }, count(s.bucket_count))),
    );
    const byObjects = (s.top_buckets || []).map((b) => ({ name: b.name, value: b.objects }));
    const byBytes = (s.top_buckets_by_bytes || []).map((b) => ({ name: b.name, value: b.bytes }));
    const table = buckets.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'stats-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Bucket'),
                h('th', { scope: 'col', class: 'num' }, 'Objects'),
                h('th', { scope: 'col', class: 'num' }, 'Size'),
                h('th', { scope: 'col', class: 'num hide-narrow' }, 'Versions'),
                h('th', { scope: 'col', class: 'num hide-narrow' }, 'All versions'),
                h('th', { scope: 'col', class: 'num hide-narrow' }, 'Unfinished uploads'),
              ),
            ),
            h(
              'tbody',
              {},
              buckets.map((b) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('a', { class: 'name', href: route('b', b.name) }, b.name)),
                  h('td', { class: 'num' }, count(b.objects)),
                  h('td', { class: 'num', title: `${b.bytes} bytes` }, formatBytes(b.bytes)),
                  h('td', { class: 'num hide-narrow' }, count(b.versions)),
                  h('td', { class: 'num hide-narrow', title: `${b.version_bytes} bytes` }, formatBytes(b.version_bytes)),
                  h('td', { class: 'num hide-narrow', title: `${b.multipart_bytes} bytes` }, formatBytes(b.multipart_bytes)),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'empty' }, 'No buckets yet.');
    mount(
      body,
      h('h2', { class: 'visually-hidden' }, 'Totals'),
      totals,
      h(
        'div',
        { class: 'charts' },
        h('section', { class: 'card chart-card' }, h('h2', {}, 'Top 10 buckets by objects'), barChart('Top 10 buckets by objects', byObjects, count)),
        h('section', { class: 'card chart-card' }, h('h2', {}, 'Top 10 buckets by size'), barChart('Top 10 buckets by size', byBytes, formatBytes)),
      ),
      h('h2', {}, 'Buckets'),
      table,
    );
  }

  await load();
}
