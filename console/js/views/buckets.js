// Buckets: the list (S3 ListBuckets, with object counts and sizes from the statistics
// index), the create form (name checked as S3 does before anything is sent, versioning,
// access level), delete; and, at #/buckets/<bucket>, a bucket's settings: versioning and
// tags.

import { h, mount, field, button, formatBytes, timeEl, describeError, toast, errorBox, confirmDialog, busy, link, route } from '../ui.js';
import { request, text, taggingXml, parseTags } from '../s3.js';
import { api } from '../api.js';
import { parseTagText, tagText } from '../upload.js';

/** Why `name` is not a valid bucket name (S3's rules), or '' when it is. */
export function bucketNameProblem(name) {
  if (name.length < 3 || name.length > 63) return `A bucket name has 3 to 63 characters (this one has ${name.length}).`;
  if (/[^a-z0-9.-]/.test(name)) return 'A bucket name may contain only lower-case letters, digits, dots (.) and hyphens (-).';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'A bucket name must start and end with a letter or a digit.';
  if (name.includes('..')) return 'A bucket name must not contain two dots in a row (..).';
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return 'A bucket name must not look like an IP address (such as 192.168.5.4).';
  if (name.startsWith('xn--')) return 'A bucket name must not start with "xn--".';
  if (name.endsWith('-s3alias')) return 'A bucket name must not end with "-s3alias".';
  return '';
}

const VERSIONING_XML = (status) => `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${status}</Status></VersioningConfiguration>`;

/** 'Enabled', 'Suspended' or '' (never enabled). */
export async function bucketVersioning(bucket) {
  const doc = await request({ bucket, query: [['versioning', '']] });
  return doc ? text(doc, 'Status') : '';
}

export async function setBucketVersioning(bucket, status) {
  await request({ method: 'PUT', bucket, query: [['versioning', '']], body: VERSIONING_XML(status) });
}

export function render(main, params, ctx) {
  if (params[0]) return renderSettings(main, params[0], ctx);
  return renderList(main, ctx);
}

// ---------------------------------------------------------------- the list

async function listBuckets() {
  const doc = await request({});
  const list = doc ? doc.getElementsByTagName('Bucket') : [];
  return Array.from(list).map((b) => ({ name: text(b, 'Name'), created: text(b, 'CreationDate') }));
}

async function statsByName() {
  try {
    const s = await api('GET', '/_depot/stats');
    return { map: new Map(((s && s.buckets) || []).map((b) => [b.name, b])), error: null };
  } catch (err) {
    return { map: new Map(), error: err };
  }
}

function renderList(main, ctx) {
  document.title = 'Buckets · Depot';
  const listArea = h('div', { class: 'bucket-list' }, h('p', { class: 'loading', role: 'status' }, 'Loading buckets…'));
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  let alive = true;

  const load = async () => {
    let buckets;
    const statsPromise = statsByName();
    try {
      buckets = await listBuckets();
    } catch (err) {
      if (alive) mount(listArea, errorBox(err));
      return;
    }
    const stats = await statsPromise;
    if (!alive) return;
    if (!buckets.length) {
      mount(listArea, h('p', { class: 'empty' }, 'No buckets yet: create one above.'));
      return;
    }
    const rows = buckets.map((b) => {
      const st = stats.map.get(b.name);
      const del = button('Delete', () => remove(b.name, del), { class: 'small', 'aria-label': `Delete bucket ${b.name}` });
      return h(
        'tr',
        {},
        h('td', {}, link(route('b', b.name), b.name, { class: 'name' })),
        h('td', { class: 'hide-narrow' }, b.created ? timeEl(b.created) : '—'),
        h('td', { class: 'num' }, st ? String(st.objects) : '—'),
        h('td', { class: 'num' }, st ? formatBytes(st.bytes) : '—'),
        h('td', { class: 'row-actions' }, link(route('buckets', b.name), 'Settings', { 'aria-label': `Settings of bucket ${b.name}` }), ' ', del),
      );
    });
    mount(
      listArea,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'buckets' },
          h('caption', { class: 'hint' }, 'Objects and sizes come from the statistics index, which can lag a few seconds behind.'),
          h(
            'thead',
            {},
            h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Created'), h('th', { scope: 'col', class: 'num' }, 'Objects (index)'), h('th', { scope: 'col', class: 'num' }, 'Size (index)'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions'))),
          ),
          h('tbody', {}, rows),
        ),
      ),
      stats.error ? h('p', { class: 'hint' }, `Statistics unavailable: ${describeError(stats.error)}`) : null,
    );
  };

  const remove = async (name, btn) => {
    const ok = await confirmDialog(`Delete bucket ${name}?`, h('p', {}, 'The bucket ', h('strong', {}, name), ' will be deleted. Only an empty bucket can be deleted.'), 'Delete bucket');
    if (!ok) return;
    mount(status);
    const result = await busy(btn, async () => {
      await request({ method: 'DELETE', bucket: name });
    }, status);
    if (result && result.error) {
      toast(describeError(result.error), 'error');
      return;
    }
    toast(`Bucket ${name} deleted`, 'ok');
    load();
  };

  // Create form
  const nameInput = h('input', { name: 'bucket-name', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', required: true });
  const nameMessage = h('div', { class: 'field-message', 'aria-live': 'polite' });
  const versioning = h('input', { type: 'checkbox', name: 'versioning' });
  const access = h('select', { name: 'access' }, h('option', { value: 'private' }, 'Private'), h('option', { value: 'public-read' }, 'Public read (anyone, no sign-in)'));
  const createBtn = h('button', { type: 'submit', class: 'primary' }, 'Create bucket');
  const form = h(
    'form',
    { class: 'create-bucket', novalidate: true },
    h('div', { class: 'row' }, h('div', { class: 'grow' }, field('Bucket name', nameInput, '3–63 characters: lower-case letters, digits, dots and hyphens.'), nameMessage), field('Access level', access)),
    h('label', { class: 'check' }, versioning, 'Versioning (keep every version of every object)'),
    h('div', { class: 'actions' }, createBtn),
  );
  const showProblem = (problem) => {
    if (problem) {
      mount(nameMessage, h('div', { class: 'error-box', role: 'alert' }, problem));
      nameInput.setAttribute('aria-invalid', 'true');
    } else {
      mount(nameMessage);
      nameInput.removeAttribute('aria-invalid');
    }
  };
  nameInput.addEventListener('input', () => {
    if (nameInput.getAttribute('aria-invalid')) showProblem(bucketNameProblem(nameInput.value.trim()));
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    mount(status);
    const name = nameInput.value.trim();
    const problem = bucketNameProblem(name);
    showProblem(problem);
    if (problem) {
      nameInput.focus();
      return;
    }
    const result = await busy(createBtn, async () => {
      const headers = access.value === 'private' ? {} : { 'x-amz-acl': access.value };
      await request({ method: 'PUT', bucket: name, headers });
      if (versioning.checked) {
        try {
          await setBucketVersioning(name, 'Enabled');
        } catch (err) {
          throw Object.assign(new Error(`The bucket was created, but versioning could not be enabled: ${describeError(err)}`), { code: '' });
        }
      }
    }, status);
    if (result && result.error) return;
    toast(`Bucket ${name} created`, 'ok');
    nameInput.value = '';
    versioning.checked = false;
    access.value = 'private';
    load();
  });

  mount(
    main,
    h('h1', {}, 'Buckets'),
    h('section', { class: 'card', 'aria-labelledby': 'create-title' }, h('h2', { id: 'create-title' }, 'Create a bucket'), form),
    status,
    h('div', { class: 'toolbar' }, h('h2', { class: 'grow' }, 'Your buckets'), button('Refresh', () => load())),
    listArea,
  );
  load();
  return () => {
    alive = false;
  };
}

// ---------------------------------------------------------------- one bucket's settings

async function renderSettings(main, bucket, ctx) {
  document.title = `${bucket} settings · Depot`;
  const versioningArea = h('div', {}, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const tagsArea = h('div', {}, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  let alive = true;

  const loadVersioning = async () => {
    let state;
    try {
      state = await bucketVersioning(bucket);
    } catch (err) {
      if (alive) mount(versioningArea, errorBox(err));
      return;
    }
    if (!alive) return;
    const label = state === 'Enabled' ? 'Enabled' : state === 'Suspended' ? 'Suspended' : 'Never enabled';
    const next = state === 'Enabled' ? 'Suspended' : 'Enabled';
    const toggle = button(state === 'Enabled' ? 'Suspend versioning' : 'Enable versioning', async () => {
      const r = await busy(toggle, () => setBucketVersioning(bucket, next), versioningArea);
      if (!(r && r.error)) {
        toast(`Versioning ${next === 'Enabled' ? 'enabled' : 'suspended'} on ${bucket}`, 'ok');
        loadVersioning();
      }
    });
    mount(
      versioningArea,
      h('p', {}, 'Versioning: ', h('strong', { class: 'versioning-state' }, label)),
      h('p', { class: 'hint' }, state ? 'Once enabled, versioning can be suspended but never turned off: versions already kept stay.' : 'With versioning, every overwrite and delete keeps the previous version.'),
      h('div', { class: 'actions' }, toggle),
    );
  };

  const loadTags = async () => {
    let tags = [];
    try {
      tags = parseTags(await request({ bucket, query: [['tagging', '']] }));
    } catch (err) {
      if (err.code !== 'NoSuchTagSet') {
        if (alive) mount(tagsArea, errorBox(err));
        return;
      }
    }
    if (!alive) return;
    const input = h('textarea', { name: 'bucket-tags', rows: '4', spellcheck: 'false' });
    input.value = tagText(tags);
    const message = h('div', { 'aria-live': 'polite' });
    const save = h('button', { type: 'submit', class: 'primary' }, 'Save tags');
    const form = h('form', { class: 'stack' }, field('Bucket tags', input, 'key=value, one per line (at most 50). Empty removes every tag.'), message, h('div', { class: 'actions' }, save));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      mount(message);
      let list;
      try {
        list = parseTagText(input.value);
        if (list.length > 50) throw new Error('A bucket has at most 50 tags.');
      } catch (err) {
        mount(message, h('div', { class: 'error-box', role: 'alert' }, err.message));
        return;
      }
      const r = await busy(save, async () => {
        if (list.length) await request({ method: 'PUT', bucket, query: [['tagging', '']], body: taggingXml(list), contentMd5: true });
        else await request({ method: 'DELETE', bucket, query: [['tagging', '']] });
      }, message);
      if (!(r && r.error)) {
        toast(list.length ? `Tags of ${bucket} saved` : `Tags of ${bucket} removed`, 'ok');
        mount(message, h('p', { class: 'ok-text', role: 'status' }, list.length ? 'Tags saved.' : 'No tags.'));
      }
    });
    mount(tagsArea, tags.length ? null : h('p', { class: 'hint' }, 'This bucket has no tags.'), form);
  };

  const del = button('Delete bucket', async () => {
    const ok = await confirmDialog(`Delete bucket ${bucket}?`, h('p', {}, 'The bucket ', h('strong', {}, bucket), ' will be deleted. Only an empty bucket can be deleted.'), 'Delete bucket');
    if (!ok) return;
    mount(status);
    const r = await busy(del, () => request({ method: 'DELETE', bucket }), status);
    if (r && r.error) {
      toast(describeError(r.error), 'error');
      return;
    }
    toast(`Bucket ${bucket} deleted`, 'ok');
    ctx.navigate('#/buckets');
  }, { class: 'danger' });

  mount(
    main,
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumb' }, h('ol', {}, h('li', {}, link('#/buckets', 'Buckets')), h('li', {}, link(route('b', bucket), bucket)), h('li', {}, h('span', { 'aria-current': 'page' }, 'Settings')))),
    h('h1', {}, `Settings of bucket ${bucket}`),
    h('p', {}, link(route('b', bucket), 'Browse the objects of this bucket')),
    status,
    h('section', { class: 'card', 'aria-labelledby': 'versioning-title' }, h('h2', { id: 'versioning-title' }, 'Versioning'), versioningArea),
    h('section', { class: 'card', 'aria-labelledby': 'tags-title' }, h('h2', { id: 'tags-title' }, 'Tags'), tagsArea),
    h('section', { class: 'card', 'aria-labelledby': 'danger-title' }, h('h2', { id: 'danger-title' }, 'Delete'), h('p', { class: 'hint' }, 'Only an empty bucket can be deleted.'), del),
  );
  loadVersioning();
  loadTags();
  return () => {
    alive = false;
  };
}
