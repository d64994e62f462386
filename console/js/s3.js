// The console's S3 client: path-style requests to this origin, signed with SigV4 by the
// signed-in credentials, answers parsed from XML with DOMParser. Uploads go through
// XMLHttpRequest (fetch cannot report upload progress); files above MULTIPART_THRESHOLD
// go through multipart upload, parts in parallel, aborted on the server when cancelled
// or failed. Every failure is thrown as an S3Error with S3's code and message.

import { md5 } from '../vendor/js-md5-0.9.2.min.mjs';
import { signRequest, presign, sha256Hex, uriEncode, canonicalQuery, UNSIGNED_PAYLOAD, EMPTY_SHA256 } from './sigv4.js';
import { session } from './session.js';

export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;
export const PARALLEL_PARTS = 4;

/** An error answer (or a failed request) of the S3 API. */
export class S3Error extends Error {
  constructor(status, code, message, requestId = '') {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `HTTP${status}`;
    this.requestId = requestId;
  }
}

/** Codes that mean the signed-in credentials are no longer good. */
const EXPIRED = new Set(['ExpiredToken', 'InvalidToken', 'TokenRefreshRequired']);

export function objectPath(bucket, key) {
  return '/' + uriEncode(bucket) + (key === undefined || key === null ? '' : '/' + uriEncode(key, true));
}

function parseXml(text) {
  if (!text) return null;
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return null;
  return doc;
}

/** The text of the first `tag` under `node` (direct or nested), or ''. */
export function text(node, tag) {
  const el = node && node.getElementsByTagName(tag)[0];
  return el ? el.textContent : '';
}

/** The direct children of `node` named `tag`. */
export function children(node, tag) {
  return node ? Array.from(node.children).filter((c) => c.localName === tag) : [];
}

async function errorOf(status, bodyText, statusText) {
  const doc = parseXml(bodyText);
  if (doc && doc.documentElement.localName === 'Error') {
    return new S3Error(status, text(doc, 'Code'), text(doc, 'Message'), text(doc, 'RequestId'));
  }
  return new S3Error(status, status === 0 ? 'NetworkError' : `HTTP${status}`, status === 0 ? 'Depot did not answer (network error)' : `${status} ${statusText || ''}`.trim());
}

function checkExpired(err) {
  if (EXPIRED.has(err.code) || (err.code === 'InvalidAccessKeyId' && session.current())) {
    session.expire(err.code === 'InvalidAccessKeyId' ? 'Your access key is no longer valid. Sign in again.' : 'Your session has expired. Sign in again.');
  }
  return err;
}

/**
 * One signed S3 request. `query` is `[[k, v], …]` or an object; `body` a string (signed
 * with its SHA-256), a Blob (UNSIGNED-PAYLOAD) or null. `as`: 'xml' (default: a Document
 * or null), 'text', 'blob', 'response' (the Response, body unread).
 */
export async function request({ method = 'GET', bucket, key, query = [], headers = {}, body = null, as = 'xml', contentMd5 = false, signal }) {
  await session.ready();
  const pairs = Array.isArray(query) ? query : Object.entries(query);
  const path = bucket === undefined ? '/' : objectPath(bucket, key);
  const hdrs = { ...headers };
  let payloadHash = EMPTY_SHA256;
  if (typeof body === 'string') {
    payloadHash = await sha256Hex(body);
    if (contentMd5) hdrs['content-md5'] = md5.base64(body);
  } else if (body) {
    payloadHash = UNSIGNED_PAYLOAD;
  }
  const signed = await signRequest({ method, path, query: pairs, headers: hdrs, payloadHash, creds: session.creds(), region: session.region() });
  const qs = canonicalQuery(pairs);
  let resp;
  try {
    resp = await fetch(path + (qs ? '?' + qs : ''), { method, headers: signed, body, signal, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new S3Error(0, 'NetworkError', 'Depot did not answer (network error)');
  }
  if (!resp.ok && resp.status !== 304) {
    throw checkExpired(await errorOf(resp.status, method === 'HEAD' ? '' : await resp.text(), resp.statusText));
  }
  if (as === 'response') return resp;
  if (as === 'blob') return resp.blob();
  const t = await resp.text();
  return as === 'text' ? t : parseXml(t);
}

/** A presigned GET URL for an object (optionally a version), valid `expires` seconds. */
export async function presignGet(bucket, key, expires, { versionId, download } = {}) {
  await session.ready();
  const query = [];
  if (versionId) query.push(['versionId', versionId]);
  if (download) {
    const name = key.split('/').pop() || 'download';
    query.push(['response-content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`]);
  }
  return presign({ path: objectPath(bucket, key), query, creds: session.creds(), region: session.region(), expires });
}

function xhrSend({ method, url, headers, body, onProgress }) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress && onProgress(e.loaded);
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
      else reject(checkExpired(await errorOf(xhr.status, xhr.responseText, xhr.statusText)));
    };
    xhr.onerror = () => reject(new S3Error(0, 'NetworkError', 'Depot did not answer (network error)'));
    xhr.onabort = () => reject(Object.assign(new Error('Cancelled'), { name: 'AbortError' }));
    xhr.send(body);
  });
  return { xhr, promise };
}

/**
 * Uploads `file` (a Blob) to `bucket/key`. `headers`: metadata, tagging, ACL headers.
 * `onProgress(bytesSent)` as bytes go out. Returns `{ promise, cancel, multipart }`; the
 * promise resolves to `{ etag, parts }`. Cancel (or a failure) of a multipart upload
 * aborts it on the server.
 */
export function upload({ bucket, key, file, headers = {}, onProgress }) {
  let cancelled = false;
  const live = new Set();
  const multipart = file.size > MULTIPART_THRESHOLD;
  const contentType = file.type || 'application/octet-stream';
  const cancel = () => {
    cancelled = true;
    for (const x of live) x.abort();
  };
  const send = async (method, query, body, extra, progress) => {
    await session.ready();
    const path = objectPath(bucket, key);
    const signed = await signRequest({ method, path, query, headers: extra, payloadHash: UNSIGNED_PAYLOAD, creds: session.creds(), region: session.region() });
    if (cancelled) throw Object.assign(new Error('Cancelled'), { name: 'AbortError' });
    const qs = canonicalQuery(query);
    const { xhr, promise } = xhrSend({ method, url: path + (qs ? '?' + qs : ''), headers: signed, body, onProgress: progress });
    live.add(xhr);
    try {
      return await promise;
    } finally {
      live.delete(xhr);
    }
  };
  const single = async () => {
    const xhr = await send('PUT', [], file, { ...headers, 'content-type': contentType }, onProgress);
    return { etag: xhr.getResponseHeader('ETag'), parts: 1 };
  };
  const multi = async () => {
    const created = await request({ method: 'POST', bucket, key, query: [['uploads', '']], headers: { ...headers, 'content-type': contentType } });
    const uploadId = text(created, 'UploadId');
    const count = Math.ceil(file.size / PART_SIZE);
    const sent = new Array(count).fill(0);
    const etags = new Array(count);
    let next = 0;
    const worker = async () => {
      while (!cancelled && next < count) {
        const i = next++;
        const part = file.slice(i * PART_SIZE, Math.min(file.size, (i + 1) * PART_SIZE));
        const xhr = await send('PUT', [['partNumber', String(i + 1)], ['uploadId', uploadId]], part, {}, (n) => {
          sent[i] = n;
          if (onProgress) onProgress(sent.reduce((a, b) => a + b, 0));
        });
        etags[i] = xhr.getResponseHeader('ETag');
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
      if (cancelled) throw Object.assign(new Error('Cancelled'), { name: 'AbortError' });
      const xml = '<CompleteMultipartUpload>' + etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('') + '</CompleteMultipartUpload>';
      const done = await request({ method: 'POST', bucket, key, query: [['uploadId', uploadId]], body: xml });
      return { etag: text(done, 'ETag'), parts: count };
    } catch (e) {
      cancelled = true;
      for (const x of live) x.abort();
      await request({ method: 'DELETE', bucket, key, query: [['uploadId', uploadId]] }).catch(() => {});
      throw e;
    }
  };
  return { promise: multipart ? multi() : single(), cancel, multipart };
}

/** The XML escape of a value placed in a request document. */
export function xmlEscape(value) {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** `<Tagging>` for `[[k, v], …]`. */
export function taggingXml(tags) {
  return '<Tagging><TagSet>' + tags.map(([k, v]) => `<Tag><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value></Tag>`).join('') + '</TagSet></Tagging>';
}

/** `[[k, v], …]` of a `<Tagging>` answer. */
export function parseTags(doc) {
  return doc ? Array.from(doc.getElementsByTagName('Tag')).map((t) => [text(t, 'Key'), text(t, 'Value')]) : [];
}

/** The `x-amz-tagging` header value for `[[k, v], …]`. */
export function taggingHeader(tags) {
  return tags.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
