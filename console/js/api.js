// The JSON API under /_depot/ (search, statistics, health, access keys, administration).
// A password session sends its login token; an access-key session signs with SigV4.
// Errors are thrown as ApiError with the document's code and message; a 401 ends the
// session (back to the sign-in page with a message).

import { signRequest, sha256Hex, canonicalQuery, setServerDate, EMPTY_SHA256 } from './sigv4.js';
import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `HTTP${status}`;
  }
}

/**
 * `api('GET', '/_depot/stats')`, `api('POST', '/_depot/auth/keys', {body})`,
 * `api('GET', '/_depot/search', {query: [['name', 'x']]})`. Returns the parsed JSON
 * (null for 204). `{anonymous: true}` sends no credentials (health).
 */
export async function api(method, path, { query = [], body, anonymous = false } = {}, retried = false) {
  const pairs = Array.isArray(query) ? query : Object.entries(query);
  const text = body === undefined ? null : JSON.stringify(body);
  let headers = text === null ? {} : { 'content-type': 'application/json' };
  if (!anonymous) {
    await session.ready();
    const token = session.token();
    if (token) headers.authorization = `Bearer ${token}`;
    else {
      const payloadHash = text === null ? EMPTY_SHA256 : await sha256Hex(text);
      headers = await signRequest({ method, path, query: pairs, headers, payloadHash, creds: session.creds(), region: session.region() });
    }
  }
  const qs = canonicalQuery(pairs);
  let resp;
  try {
    resp = await fetch(path + (qs ? '?' + qs : ''), { method, headers, body: text, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'NetworkError', 'Depot did not answer (network error)');
  }
  if (resp.status === 204) return null;
  let doc = null;
  try {
    doc = await resp.json();
  } catch {
    doc = null;
  }
  if (!resp.ok && !(anonymous && doc && doc.status)) {
    const e = (doc && doc.error) || {};
    const err = new ApiError(resp.status, e.code, e.message || `${resp.status} ${resp.statusText}`);
    if (err.code === 'RequestTimeTooSkewed' && !retried) {
      // This browser's clock is off: sign again by the server's.
      setServerDate(resp.headers.get('date'));
      return api(method, path, { query, body, anonymous }, true);
    }
    if (resp.status === 401 && !anonymous) session.expire('Your session has expired. Sign in again.');
    throw err;
  }
  return doc;
}
