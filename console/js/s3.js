// The console's S3 client: path-style requests to this origin, signed with SigV4 by the
// signed-in credentials, answers parsed from XML with DOMParser. Uploads go through
// XMLHttpRequest (fetch cannot report upload progress); files above MULTIPART_THRESHOLD
// go through multipart upload, parts in parallel, aborted on the server when cancelled
// or failed. Every failure is thrown as an S3Error with S3's code and message.

import { md5 } from '../vendor/js-md5-0.9.2.min.mjs';
import { signRequest, presign, sha256Hex, uriEncode, canonicalQuery, setServerDate, UNSIGNED_PAYLOAD, EMPTY_SHA256 } from './sigv4.js';
import { session } from './session.js';

export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;
/** S3's most parts in one upload. */
const MAX_PARTS = 10000;
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

/** The canonical path of a bucket or object: what SigV4 signs. */
export function objectPath(bucket, key) {
  return '/' + uriEncode(bucket) + (key === undefined || key === null ? '' : '/' + uriEncode(key, true));
}

/**
 * The path as sent. A browser resolves `.` and `..` segments (also as `%2E`) before a
 * request leaves, so a key with such a segment (`a/../b`) goes with its slashes as %2F,
 * one segment the server decodes to the same key; it is still signed over
 * `objectPath`. A key that is only `.` or `..` cannot be addressed from a browser.
 */
export function wirePath(bucket, key) {
  const path = objectPath(bucket, key);
  if (key === undefined || key === null || !key.split('/').some((s) => s === '.' || s === '..')) return path;
  if (key === '.' || key === '..') {
    throw new S3Error(400, 'UnaddressableKey', `A key named "${key}" cannot be opened from a browser (it would resolve as a path); use another S3 client.`);
  }
  return '/' + uriEncode(bucket) + '/' + uriEncode(key);
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

/**
 * A value of a listing asked for with `encoding-type=url` (keys may hold characters XML
 * 1.0 cannot carry): percent-decoded, `+` as a space as AWS writes it.
 */
export function urlDecoded(value) {
  try {
    return decodeURIComponent(String(value).replace(/\+/g, '%20'));
  } catch {
    return String(value);
  }
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
export async function request({ method = 'GET', bucket, key, query = [], headers = {}, body = null, as = 'xml', contentMd5 = false, signal } = {}, retried = false) {
  await session.ready();
  const pairs = Array.isArray(query) ? query : Object.entries(query);
  const path = bucket === undefined ? '/' : objectPath(bucket, key);
  const sent = bucket === undefined ? '/' : wirePath(bucket, key);
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
    resp = await fetch(sent + (qs ? '?' + qs : ''), { method, headers: signed, body, signal, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new S3Error(0, 'NetworkError', 'Depot did not answer (network error)');
  }
  if (!resp.ok && resp.status !== 304) {
    const err = await errorOf(resp.status, method === 'HEAD' ? '' : await resp.text(), resp.statusText);
    if (err.code === 'RequestTimeTooSkewed' && !retried) {
      // This browser's clock is off: sign again by the server's.
      setServerDate(resp.headers.get('date'));
      return request({ method, bucket, key, query, headers, body, as, contentMd5, signal }, true);
    }
    throw checkExpired(err);
  }
  if (as === 'response') return resp;
  if (as === 'blob') return resp.blob();
  const t = await resp.text();
  if (as === 'text') return t;
  const doc = parseXml(t);
  if (t && !doc) throw new S3Error(resp.status, 'MalformedResponse', "Depot's answer could not be read as XML");
  return doc;
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
  return presign({ path: objectPath(bucket, key), urlPath: wirePath(bucket, key), query, creds: session.creds(), region: session.region(), expires });
}

function xhrSend({ method, url, headers, body, onProgress }) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress && onProgress(e.loaded);
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
      else {
        const err = await errorOf(xhr.status, xhr.responseText, xhr.statusText);
        err.retryAfter = xhr.getResponseHeader('Retry-After');
        reject(checkExpired(err));
      }
    };
    xhr.onerror = () => reject(new S3Error(0, 'NetworkError', 'Depot did not answer (network error)'));
    xhr.onabort = () => reject(Object.assign(new Error('Cancelled'), { name: 'AbortError' }));
    xhr.send(body);
  });
  return { xhr, promise };
}

/** How often a failed part (or single PUT, or completion) is tried again. */
export const UPLOAD_RETRIES = 4;
/** The first wait before a retry; it doubles each time (0.5 s, 1 s, 2 s, 4 s). */
const RETRY_BASE_MS = 500;
/** The longest wait a `Retry-After` header is obeyed for. */
const MAX_RETRY_AFTER_MS = 30000;

/**
 * Whether an upload request that failed with `err` may succeed if sent again: a network
 * error, any 5xx, SlowDown and RequestTimeout; never a cancel or another 4xx.
 */
export function retryableUploadError(err) {
  if (!(err instanceof S3Error)) return false;
  return err.status === 0 || err.status >= 500 || err.code === 'SlowDown' || err.code === 'RequestTimeout';
}

/**
 * The wait before retry number `attempt` (1-based) after `err`: its `Retry-After` (seconds
 * or an HTTP date) when it has one, else exponential backoff with a little jitter (so
 * parts refused together do not all come back at the same moment).
 */
function retryDelay(err, attempt) {
  const header = err && err.retryAfter;
  if (header) {
    const secs = Number(header);
    const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(header) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS);
  }
  const base = RETRY_BASE_MS * 2 ** (attempt - 1);
  return base * (0.8 + Math.random() * 0.4);
}

/**
 * Uploads `file` (a Blob) to `bucket/key`. `headers`: metadata, tagging, ACL headers.
 * `onProgress(bytesSent)` as bytes go out. Returns `{ promise, cancel, multipart }`; the
 * promise resolves to `{ etag, parts }`. Cancel (or a failure) of a multipart upload
 * aborts it on the server. A part, the single PUT and the completion are each tried up
 * to UPLOAD_RETRIES more times after a retryable failure (`retryableUploadError`), with
 * backoff; a retried part's progress starts again from its own 0. Nothing is retried
 * after a cancel.
 */
export function upload({ bucket, key, file, headers = {}, onProgress }) {
  let cancelled = false;
  // The session the upload belongs to: after a sign-out (or another user's sign-in) no
  // part of it is sent, and its abort is signed with the credentials it last used.
  const owner = session.current();
  let lastCreds = session.creds();
  const live = new Set();
  // Backoff waits in progress: a cancel ends them at once.
  const sleepers = new Set();
  const multipart = file.size > MULTIPART_THRESHOLD;
  const contentType = file.type || 'application/octet-stream';
  const cancelledError = () => Object.assign(new Error('Cancelled'), { name: 'AbortError' });
  const stop = () => {
    cancelled = true;
    for (const x of live) x.abort();
    for (const wake of sleepers) wake();
  };
  const cancel = stop;
  const sleep = (ms) =>
    new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  // `attempt(n)` (n = 0, 1, …) until it succeeds, fails for good, or the upload is cancelled.
  const withRetries = async (what, attempt) => {
    for (let n = 0; ; n++) {
      if (cancelled) throw cancelledError();
      try {
        return await attempt(n);
      } catch (err) {
        if (cancelled || n >= UPLOAD_RETRIES || !retryableUploadError(err)) throw err;
        const wait = retryDelay(err, n + 1);
        console.warn(`Depot upload: ${what} of ${key} failed (${err.code}); retry ${n + 1} of ${UPLOAD_RETRIES} in ${Math.round(wait)} ms`);
        await sleep(wait);
        if (cancelled) throw cancelledError();
      }
    }
  };
  const send = async (method, query, body, extra, progress) => {
    if (session.current() !== owner) throw Object.assign(new Error('Cancelled: signed out'), { name: 'AbortError' });
    await session.ready();
    lastCreds = session.creds();
    const path = objectPath(bucket, key);
    const signed = await signRequest({ method, path, query, headers: extra, payloadHash: UNSIGNED_PAYLOAD, creds: lastCreds, region: session.region() });
    if (cancelled) throw cancelledError();
    const qs = canonicalQuery(query);
    const { xhr, promise } = xhrSend({ method, url: wirePath(bucket, key) + (qs ? '?' + qs : ''), headers: signed, body, onProgress: progress });
    live.add(xhr);
    try {
      return await promise;
    } finally {
      live.delete(xhr);
    }
  };
  const single = async () => {
    const xhr = await withRetries('the upload', (n) => {
      if (n && onProgress) onProgress(0);
      return send('PUT', [], file, { ...headers, 'content-type': contentType }, onProgress);
    });
    return { etag: xhr.getResponseHeader('ETag'), parts: 1 };
  };
  const complete = async (uploadId, etags) => {
    const xml = '<CompleteMultipartUpload>' + etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(e)}</ETag></Part>`).join('') + '</CompleteMultipartUpload>';
    return withRetries('completing the upload', async () => {
      const xhr = await send('POST', [['uploadId', uploadId]], xml, { 'content-type': 'application/xml' });
      // S3 may answer 200 and still fail: an <Error> document in the body.
      const doc = parseXml(xhr.responseText);
      const root = doc && doc.documentElement;
      if (!root) throw new S3Error(xhr.status, 'MalformedResponse', "Depot's answer could not be read as XML");
      if (root.localName === 'Error') {
        const code = text(root, 'Code');
        throw new S3Error(code === 'SlowDown' ? 503 : code === 'InternalError' ? 500 : 400, code, text(root, 'Message'), text(root, 'RequestId'));
      }
      return text(root, 'ETag');
    });
  };
  const multi = async () => {
    const created = await request({ method: 'POST', bucket, key, query: [['uploads', '']], headers: { ...headers, 'content-type': contentType } });
    const uploadId = text(created, 'UploadId');
    // 8 MiB parts, larger for files past 78 GiB so that 10,000 parts hold them.
    const partSize = Math.max(PART_SIZE, Math.ceil(file.size / MAX_PARTS / (1024 * 1024)) * 1024 * 1024);
    const count = Math.ceil(file.size / partSize);
    const sent = new Array(count).fill(0);
    const etags = new Array(count);
    const report = () => onProgress && onProgress(sent.reduce((a, b) => a + b, 0));
    let next = 0;
    const worker = async () => {
      while (!cancelled && next < count) {
        const i = next++;
        const part = file.slice(i * partSize, Math.min(file.size, (i + 1) * partSize));
        const xhr = await withRetries(`part ${i + 1}`, (n) => {
          if (n) {
            sent[i] = 0;
            report();
          }
          return send('PUT', [['partNumber', String(i + 1)], ['uploadId', uploadId]], part, {}, (bytes) => {
            sent[i] = bytes;
            report();
          });
        });
        etags[i] = xhr.getResponseHeader('ETag');
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
      if (cancelled) throw cancelledError();
      return { etag: await complete(uploadId, etags), parts: count };
    } catch (e) {
      stop();
      await abortUpload(bucket, key, uploadId, lastCreds).catch(() => {});
      throw e;
    }
  };
  return { promise: multipart ? multi() : single(), cancel, multipart };
}

/**
 * AbortMultipartUpload signed with `creds` (not necessarily the session's any more: an
 * upload cancelled by a sign-out is still aborted on the server).
 */
async function abortUpload(bucket, key, uploadId, creds) {
  const query = [['uploadId', uploadId]];
  const headers = await signRequest({ method: 'DELETE', path: objectPath(bucket, key), query, creds, region: session.region() });
  const resp = await fetch(wirePath(bucket, key) + '?' + canonicalQuery(query), { method: 'DELETE', headers, credentials: 'omit', cache: 'no-store' });
  if (!resp.ok && resp.status !== 404) throw await errorOf(resp.status, await resp.text(), resp.statusText);
}

/** The XML escape of a value placed in a request document. */
export function xmlEscape(value) {
  // Also CR, LF and TAB as references: a parser would turn a literal CR into LF.
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');
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
