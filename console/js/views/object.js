// One object: #/o/<bucket>/<key> (the key is one encoded route part). Its properties
// (HeadObject), in-place edits of its description (CopyObject onto itself), tags and
// access level, a presigned link, download, "Download and verify" (MD5 against the
// ETag), delete, and in a versioned bucket its versions.

import { h, mount, field, button, formatBytes, timeEl, describeError, toast, errorBox, confirmDialog, busy, copyText, link, route } from '../ui.js';
import { request, presignGet, text, taggingXml, parseTags, urlDecoded } from '../s3.js';
import { uriEncode } from '../sigv4.js';
import { parseTagText, tagText, encodeHeaderValue, decodeHeaderValue, ACCESS_LEVELS, accessSelect } from '../upload.js';
import { breadcrumbs, folderOf } from './objects.js';
import { bucketVersioning } from './buckets.js';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

const EXPIRIES = [
  [900, '15 minutes'],
  [3600, '1 hour'],
  [86400, '1 day'],
  [604800, '7 days (the longest S3 allows)'],
];

/** Headers a REPLACE copy would drop unless sent again. */
const KEPT_HEADERS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];

function fileName(key) {
  return key.replace(/\/+$/, '').split('/').pop() || 'download';
}

/** Clicks a temporary <a download> for `url`. */
function saveUrl(url, name) {
  const a = h('a', { href: url, download: name, class: 'visually-hidden' }, 'download');
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** The canned ACL a GetObjectAcl answer amounts to. */
function cannedOf(doc) {
  let level = 'private';
  for (const g of doc ? Array.from(doc.getElementsByTagName('Grant')) : []) {
    const uri = text(g, 'URI');
    const perm = text(g, 'Permission');
    if (perm !== 'READ' && perm !== 'FULL_CONTROL') continue;
    if (uri === ALL_USERS) level = 'public-read';
    else if (uri === AUTH_USERS && level === 'private') level = 'authenticated-read';
  }
  return level;
}

/**
 * The `x-amz-grant-*` headers that give exactly the grants of an ACL document: a copy
 * that replaces metadata takes its ACL from the request, and a description edit must not
 * change who may read the object (grants to single users included).
 */
function grantHeaders(doc) {
  const byPermission = {};
  for (const g of doc ? Array.from(doc.getElementsByTagName('Grant')) : []) {
    const perm = text(g, 'Permission');
    const uri = text(g, 'URI');
    const id = text(g, 'ID');
    const who = uri ? `uri="${uri}"` : id ? `id="${id}"` : '';
    if (!perm || !who) continue;
    const name = `x-amz-grant-${perm.toLowerCase().replace(/_/g, '-')}`;
    byPermission[name] = byPermission[name] ? `${byPermission[name]}, ${who}` : who;
  }
  return byPermission;
}

export async function render(main, params, ctx) {
  const bucket = params[0];
  const key = params.slice(1).join('/');
  const folder = folderOf(key);
  document.title = `${fileName(key)} · ${bucket} · Depot`;
  let alive = true;
  const timers = [];
  const urls = [];

  const head = async () => {
    const resp = await request({ method: 'HEAD', bucket, key, as: 'response' });
    const headers = {};
    resp.headers.forEach((v, k) => {
      headers[k.toLowerCase()] = v;
    });
    return headers;
  };

  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const top = [breadcrumbs(bucket, folder, fileName(key)), h('h1', { class: 'name' }, fileName(key))];

  // This view reads before it draws: if the user has moved on meanwhile, draw nothing.
  const hash = location.hash;
  const movedOn = () => location.hash !== hash;
  let hd;
  let headError = null;
  try {
    hd = await head();
  } catch (err) {
    // A HEAD answer has no error document: name the usual codes from the status.
    const codes = { 403: 'AccessDenied', 404: 'NoSuchKey', 503: 'SlowDown' };
    if (/^HTTP\d+$/.test(err.code || '') && codes[err.status]) err.code = codes[err.status];
    headError = err;
  }
  let versioning = '';
  try {
    versioning = await bucketVersioning(bucket);
  } catch {
    versioning = '';
  }
  if (movedOn()) return undefined;

  const versionsArea = h('div', {}, h('p', { class: 'loading', role: 'status' }, 'Loading versions…'));
  const versionsSection = versioning ? h('section', { class: 'card', 'aria-labelledby': 'versions-title' }, h('h2', { id: 'versions-title' }, 'Versions'), versionsArea) : null;

  // Aborts a "Download and verify" in flight when the user leaves.
  const downloads = new AbortController();
  const leave = () => {
    alive = false;
    downloads.abort();
    timers.forEach(clearTimeout);
    for (const u of urls) URL.revokeObjectURL(u);
  };

  if (headError) {
    const gone = headError.status === 404 || headError.code === 'NoSuchKey';
    mount(
      main,
      ...top,
      errorBox(gone ? { message: 'This object does not exist (any more).' + (versioning ? ' Its earlier versions, if any, are listed below.' : ''), status: headError.status } : headError),
      h('p', {}, link(route('b', bucket, folder), 'Back to the folder')),
      versionsSection,
    );
    if (versionsSection) loadVersions();
    return leave;
  }

  // ---------------------------------------------------------------- properties
  const size = Number(hd['content-length'] || 0);
  const etag = (hd.etag || '').replace(/"/g, '');
  const meta = Object.entries(hd)
    .filter(([k]) => k.startsWith('x-amz-meta-'))
    .map(([k, v]) => [k.slice('x-amz-meta-'.length), v]);
  const prop = (label, value) => (value === undefined || value === null || value === '' ? null : [h('dt', {}, label), h('dd', {}, value)]);
  const checksums = Object.entries(hd).filter(([k]) => k.startsWith('x-amz-checksum-'));
  const props = h(
    'dl',
    { class: 'props' },
    prop('Bucket', bucket),
    prop('Key', h('span', { class: 'mono key' }, key)),
    prop('Size', `${formatBytes(size)} (${size.toLocaleString()} bytes)`),
    prop('Last modified', hd['last-modified'] ? timeEl(hd['last-modified']) : ''),
    prop('ETag', h('span', { class: 'mono' }, etag)),
    prop('Content type', hd['content-type']),
    prop('Version ID', hd['x-amz-version-id'] ? h('span', { class: 'mono' }, hd['x-amz-version-id']) : ''),
    prop('Storage class', hd['x-amz-storage-class'] || 'STANDARD'),
    checksums.map(([k, v]) => prop(`Checksum ${k.slice('x-amz-checksum-'.length).toUpperCase()}`, h('span', { class: 'mono' }, v))),
    prop('Server-side encryption', hd['x-amz-server-side-encryption']),
    prop('Parts', etag.includes('-') ? etag.split('-')[1] : ''),
  );
  const metaList = meta.length
    ? h('dl', { class: 'props user-meta' }, meta.map(([k, v]) => [h('dt', {}, k), h('dd', {}, decodeHeaderValue(v))]))
    : h('p', { class: 'hint' }, 'No user metadata.');

  // ---------------------------------------------------------------- download, link
  const downloadBtn = button('Download', async () => {
    const r = await busy(downloadBtn, async () => saveUrl(await presignGet(bucket, key, 300, { download: true }), fileName(key)));
    if (r && r.error) return;
  }, { class: 'primary' });

  const expiry = h('select', { name: 'expiry' }, EXPIRIES.map(([s, label]) => h('option', { value: String(s), selected: s === 3600 }, label)));
  const linkInput = h('input', { readonly: true, class: 'mono link-input', name: 'presigned-link' });
  const makeLink = async () => {
    try {
      linkInput.value = await presignGet(bucket, key, Number(expiry.value));
    } catch (err) {
      linkInput.value = '';
      toast(describeError(err), 'error');
    }
  };
  expiry.addEventListener('change', makeLink);
  const copyBtn = button('Copy link', async () => {
    if (!linkInput.value) await makeLink();
    copyText(linkInput.value, linkInput);
  });
  const passwordHint =
    ctx.session.current() && ctx.session.current().kind === 'password'
      ? h('p', { class: 'notice' }, 'You signed in with a password: links are signed with temporary credentials and stop working when those expire (at most an hour after they were issued; signing out does not end them sooner), whatever expiry you choose. Sign in with an access key for longer-lived links.')
      : null;

  // ---------------------------------------------------------------- description
  const descInput = h('input', { name: 'description', autocomplete: 'off' });
  descInput.value = decodeHeaderValue(hd['x-amz-meta-description'] || '');
  const descMsg = h('div', { 'aria-live': 'polite' });
  const descBtn = h('button', { type: 'submit' }, 'Save description');
  const descForm = h('form', { class: 'row' }, h('div', { class: 'grow' }, field('Description', descInput)), descBtn);
  let aclDoc = null; // the object's ACL, once loaded
  descForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    mount(descMsg);
    const r = await busy(descBtn, async () => {
      const headers = {
        'x-amz-copy-source': `/${uriEncode(bucket)}/${uriEncode(key, true)}`,
        'x-amz-metadata-directive': 'REPLACE',
      };
      for (const name of KEPT_HEADERS) if (hd[name]) headers[name] = hd[name];
      // A REPLACE copy takes everything from the request: keep the storage class, and
      // only replace the version this page shows (not one written since).
      if (hd['x-amz-storage-class']) headers['x-amz-storage-class'] = hd['x-amz-storage-class'];
      if (hd.etag) headers['x-amz-copy-source-if-match'] = hd.etag;
      for (const [k, v] of meta) if (k !== 'description') headers[`x-amz-meta-${k}`] = v;
      const value = descInput.value.trim();
      if (value) headers['x-amz-meta-description'] = encodeHeaderValue(value);
      Object.assign(headers, grantHeaders(aclDoc));
      await request({ method: 'PUT', bucket, key, headers });
    }, descMsg);
    if (r && r.error) return;
    toast('Description saved', 'ok');
    mount(descMsg, h('p', { class: 'ok-text' }, 'Description saved.'));
  });

  // ---------------------------------------------------------------- tags
  const tagsInput = h('textarea', { name: 'tags', rows: '3', spellcheck: 'false' });
  const tagsMsg = h('div', { 'aria-live': 'polite' });
  const tagsBtn = h('button', { type: 'submit' }, 'Save tags');
  const tagsForm = h('form', { class: 'stack' }, field('Tags', tagsInput, 'key=value, one per line (at most 10). Empty removes every tag.'), tagsMsg, h('div', {}, tagsBtn));
  tagsForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    mount(tagsMsg);
    let list;
    try {
      list = parseTagText(tagsInput.value);
      if (list.length > 10) throw new Error('An object has at most 10 tags.');
    } catch (err) {
      mount(tagsMsg, h('div', { class: 'error-box', role: 'alert' }, err.message));
      return;
    }
    const r = await busy(tagsBtn, async () => {
      if (list.length) await request({ method: 'PUT', bucket, key, query: [['tagging', '']], body: taggingXml(list), contentMd5: true });
      else await request({ method: 'DELETE', bucket, key, query: [['tagging', '']] });
    }, tagsMsg);
    if (r && r.error) return;
    toast(list.length ? 'Tags saved' : 'Tags removed', 'ok');
    mount(tagsMsg, h('p', { class: 'ok-text' }, list.length ? 'Tags saved.' : 'No tags.'));
  });

  // ---------------------------------------------------------------- access level
  const aclSelect = accessSelect(ACCESS_LEVELS);
  const aclMsg = h('div', { 'aria-live': 'polite' });
  const aclBtn = h('button', { type: 'submit' }, 'Save access level');
  const aclForm = h('form', { class: 'row' }, field('Access level', aclSelect), aclBtn);
  aclForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    mount(aclMsg);
    const level = aclSelect.value;
    const r = await busy(aclBtn, () => request({ method: 'PUT', bucket, key, query: [['acl', '']], headers: { 'x-amz-acl': level } }), aclMsg);
    if (r && r.error) return;
    aclDoc = null;
    descBtn.disabled = true;
    loadAcl();
    toast('Access level saved', 'ok');
    mount(aclMsg, h('p', { class: 'ok-text' }, 'Access level saved.'));
  });

  // ---------------------------------------------------------------- verify
  const verifyArea = h('div', { class: 'verify' });
  const setupVerify = async () => {
    let integrity;
    try {
      integrity = await import('../integrity.js');
    } catch (err) {
      mount(verifyArea, h('p', { class: 'hint' }, 'The integrity check is not available in this console.'));
      return;
    }
    const limit = integrity.VERIFY_LIMIT;
    if (hd['content-encoding']) {
      mount(verifyArea, h('p', { class: 'hint' }, `This object is stored with Content-Encoding ${hd['content-encoding']}: the browser decodes it while downloading, so its bytes cannot be compared with the ETag here.`));
      return;
    }
    if (etag.includes('-')) {
      mount(verifyArea, h('p', { class: 'hint' }, 'This object was stored by a multipart upload: its ETag is not the MD5 of its content, so it cannot be verified against it.'));
      return;
    }
    if (!/^[0-9a-f]{32}$/i.test(etag)) {
      mount(verifyArea, h('p', { class: 'hint' }, 'This object’s ETag is not an MD5 sum, so it cannot be verified against it.'));
      return;
    }
    if (size > limit) {
      mount(verifyArea, h('p', { class: 'hint' }, `Objects up to ${formatBytes(limit)} can be verified in the browser; this one has ${formatBytes(size)}.`));
      return;
    }
    const result = h('div', { 'aria-live': 'polite' });
    const progress = h('progress', { max: '1', value: '0', 'aria-label': 'Verification progress', hidden: true });
    const verifyBtn = button('Download and verify', async () => {
      mount(result, h('p', { role: 'status' }, 'Downloading…'));
      const r = await busy(verifyBtn, async () => {
        // The version this page shows, not one written since.
        const query = hd['x-amz-version-id'] ? [['versionId', hd['x-amz-version-id']]] : [];
        const blob = await request({ bucket, key, query, headers: { 'if-match': hd.etag }, as: 'blob', signal: downloads.signal });
        if (!alive) return null;
        mount(result, h('p', { role: 'status' }, 'Computing the MD5…'));
        progress.hidden = false;
        progress.max = Math.max(1, blob.size);
        const sum = await integrity.md5OfBlob(
          blob,
          (done) => {
            progress.value = done;
          },
          { signal: downloads.signal },
        );
        progress.hidden = true;
        return { blob, sum: String(sum).toLowerCase() };
      }, result);
      progress.hidden = true;
      if (!r || r.error || !alive) return;
      const objectUrl = URL.createObjectURL(r.blob);
      // One verified download kept at a time: the previous one's memory is released.
      while (urls.length) URL.revokeObjectURL(urls.pop());
      urls.push(objectUrl);
      if (r.sum === etag.toLowerCase()) {
        mount(result, h('p', { class: 'ok-text', role: 'status' }, `MD5 ${r.sum} matches the ETag: the file is intact. It is being saved.`));
        saveUrl(objectUrl, fileName(key));
      } else {
        mount(
          result,
          h('div', { class: 'error-box', role: 'alert' }, `Mismatch: the MD5 of the downloaded data is ${r.sum}, but the ETag is ${etag}. The data may be damaged; it was not saved.`),
          button('Save anyway', () => saveUrl(objectUrl, fileName(key))),
        );
      }
    });
    mount(verifyArea, h('p', { class: 'hint' }, 'Downloads the object, computes its MD5 in the browser and compares it with the ETag, then saves it.'), verifyBtn, progress, result);
  };

  // ---------------------------------------------------------------- delete
  const delBtn = button('Delete object', async () => {
    const ok = await confirmDialog('Delete this object?', h('p', {}, h('code', {}, key), versioning === 'Enabled' ? ' will be deleted (a delete marker is added; earlier versions stay).' : ' will be deleted.'), 'Delete');
    if (!ok) return;
    const r = await busy(delBtn, () => request({ method: 'DELETE', bucket, key }), status);
    if (r && r.error) return;
    toast(`Deleted ${key}`, 'ok');
    ctx.navigate(route('b', bucket, folder));
  }, { class: 'danger' });

  mount(
    main,
    ...top,
    status,
    h('div', { class: 'actions object-actions' }, downloadBtn, delBtn),
    h('div', { class: 'object-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'props-title' }, h('h2', { id: 'props-title' }, 'Properties'), props, h('h3', {}, 'User metadata'), metaList),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'edit-title' },
        h('h2', { id: 'edit-title' }, 'Edit'),
        descForm,
        descMsg,
        tagsForm,
        aclForm,
        aclMsg,
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'share-title' },
      h('h2', { id: 'share-title' }, 'Share a link'),
      h('p', { class: 'hint' }, 'Anyone with this link can download the object until it expires.'),
      passwordHint,
      h('div', { class: 'row' }, field('Link expires after', expiry), h('div', { class: 'grow' }, field('Presigned link', linkInput)), copyBtn),
    ),
    h('section', { class: 'card', 'aria-labelledby': 'verify-title' }, h('h2', { id: 'verify-title' }, 'Integrity check'), verifyArea),
    versionsSection,
  );

  // Current tags and access level (the fields stay disabled until known).
  tagsInput.disabled = true;
  aclSelect.disabled = true;
  // Saving the description re-applies the access level: not before it is known.
  descBtn.disabled = true;
  // A field whose current value could not be read stays disabled (saving it would
  // overwrite what is there), with the error and a Retry.
  const loadTags = () => {
    mount(tagsMsg);
    request({ bucket, key, query: [['tagging', '']] })
      .then(
        (doc) => {
          if (!alive) return;
          tagsInput.value = tagText(parseTags(doc));
          tagsInput.disabled = false;
        },
        (err) => {
          if (!alive) return;
          if (err.code === 'NoSuchTagSet') tagsInput.disabled = false;
          else mount(tagsMsg, errorBox(err), button('Retry', loadTags, { 'aria-label': 'Load the tags again' }));
        },
      );
  };
  const loadAcl = () => {
    request({ bucket, key, query: [['acl', '']] }).then(
      (doc) => {
        if (!alive) return;
        aclDoc = doc;
        aclSelect.value = cannedOf(doc);
        aclSelect.disabled = false;
        descBtn.disabled = false;
      },
      (err) => {
        if (alive) mount(aclMsg, errorBox(err), button(
              'Retry',
              () => {
                mount(aclMsg);
                loadAcl();
              },
              { 'aria-label': 'Load the access level again' },
            ));
      },
    );
  };
  loadTags();
  loadAcl();
  makeLink();
  setupVerify();
  if (versionsSection) loadVersions();
  return leave;

  // ---------------------------------------------------------------- versions
  async function loadVersions() {
    mount(versionsArea, h('p', { class: 'loading', role: 'status' }, 'Loading versions…'));
    const versions = [];
    let keyMarker = '';
    let versionMarker = '';
    try {
      for (let pageNo = 0; pageNo < 50; pageNo += 1) {
        const query = [['versions', ''], ['prefix', key], ['max-keys', '1000'], ['encoding-type', 'url']];
        if (keyMarker) query.push(['key-marker', keyMarker]);
        if (versionMarker) query.push(['version-id-marker', versionMarker]);
        const doc = await request({ bucket, query });
        const root = doc && doc.documentElement;
        let other = false;
        for (const el of root ? Array.from(root.children) : []) {
          if (el.localName !== 'Version' && el.localName !== 'DeleteMarker') continue;
          if (urlDecoded(text(el, 'Key')) !== key) {
            other = true;
            continue;
          }
          versions.push({
            marker: el.localName === 'DeleteMarker',
            id: text(el, 'VersionId'),
            latest: text(el, 'IsLatest') === 'true',
            modified: text(el, 'LastModified'),
            size: Number(text(el, 'Size') || 0),
            etag: text(el, 'ETag').replace(/"/g, ''),
          });
        }
        if (other || text(root, 'IsTruncated') !== 'true') break;
        keyMarker = urlDecoded(text(root, 'NextKeyMarker'));
        versionMarker = text(root, 'NextVersionIdMarker');
        if (!keyMarker) break;
      }
    } catch (err) {
      if (alive) mount(versionsArea, errorBox(err));
      return;
    }
    if (!alive) return;
    if (!versions.length) {
      mount(versionsArea, h('p', { class: 'empty' }, 'No versions of this key.'));
      return;
    }
    const rows = versions.map((v) => {
      const label = v.id || 'null';
      const actions = [];
      if (!v.marker) {
        const dl = button('Download', async () => {
          await busy(dl, async () => saveUrl(await presignGet(bucket, key, 300, { download: true, versionId: v.id }), fileName(key)));
        }, { class: 'small', 'aria-label': `Download version ${label}` });
        actions.push(dl);
        if (!v.latest) {
          const restore = button('Restore as latest', async () => {
            const ok = await confirmDialog('Restore this version?', h('p', {}, 'Version ', h('code', {}, label), ' is copied to become the latest version; the others stay.'), 'Restore', { danger: false });
            if (!ok) return;
            // A copy of the version onto its own key (S3's restore): bytes, metadata
            // and tags of that version become the latest.
            const r = await busy(restore, () =>
              request({ method: 'PUT', bucket, key, headers: { 'x-amz-copy-source': `/${uriEncode(bucket)}/${uriEncode(key, true)}?versionId=${encodeURIComponent(v.id)}` } }),
            );
            if (r && r.error) return;
            toast(`Version ${label} restored as the latest`, 'ok');
            ctx.navigate(route('o', bucket, key));
          }, { class: 'small', 'aria-label': `Restore version ${label} as latest` });
          actions.push(restore);
        }
      }
      const del = button('Delete', async () => {
        const ok = await confirmDialog('Delete this version for good?', h('p', {}, v.marker ? 'Delete marker ' : 'Version ', h('code', {}, label), ' is deleted permanently.'), 'Delete version');
        if (!ok) return;
        const r = await busy(del, () => request({ method: 'DELETE', bucket, key, query: [['versionId', v.id]] }));
        if (r && r.error) return;
        toast(`Version ${label} deleted`, 'ok');
        if (v.latest) ctx.navigate(route('o', bucket, key));
        else loadVersions();
      }, { class: 'small danger', 'aria-label': `Delete version ${label}` });
      actions.push(del);
      return h(
        'tr',
        { class: v.latest ? 'latest' : '' },
        h('td', {}, h('span', { class: 'mono' }, label), v.latest ? [' ', h('span', { class: 'badge ok' }, 'Latest')] : null),
        h('td', {}, v.marker ? 'Delete marker' : 'Version'),
        h('td', { class: 'hide-narrow' }, v.modified ? timeEl(v.modified) : '—'),
        h('td', { class: 'num' }, v.marker ? '—' : formatBytes(v.size)),
        h('td', { class: 'row-actions' }, actions),
      );
    });
    mount(
      versionsArea,
      h('p', { class: 'hint' }, `Versioning is ${versioning === 'Enabled' ? 'enabled' : 'suspended'} on this bucket. ${versions.length} version${versions.length === 1 ? '' : 's'} of this key.`),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'versions' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Last modified'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col' }, 'Actions'))),
          h('tbody', {}, rows),
        ),
      ),
    );
  }
}
