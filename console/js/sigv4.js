// AWS Signature Version 4 in the browser: the Authorization header for a request, and
// presigned URLs. HMAC-SHA256 and SHA-256 come from WebCrypto; browsers offer it only
// in a secure context (https, localhost), so elsewhere the vendored js-sha256 does the
// same sums. Bodies of uploads are never hashed: they are sent as UNSIGNED-PAYLOAD.

import { sha256 as jsSha256 } from '../vendor/js-sha256-1.0.0.min.mjs';

const encoder = new TextEncoder();
const subtle = globalThis.isSecureContext && globalThis.crypto && globalThis.crypto.subtle ? globalThis.crypto.subtle : null;

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function bytesOf(data) {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/**
 * The canonical request as the bytes the server hashes. Everything in it is ASCII but
 * header values, which travel as byte strings (one byte per character, as fetch and
 * XMLHttpRequest send them and as HEAD answers hand them back): so one byte each, not
 * UTF-8.
 */
function canonicalBytes(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

let clockOffsetMs = 0;

/**
 * The server's clock minus ours, from a `Date` header Depot sent: signatures carry the
 * server's time, so a browser whose clock is off by more than 15 minutes still signs.
 */
export function setServerDate(dateHeader) {
  const server = Date.parse(dateHeader || '');
  if (!Number.isNaN(server)) clockOffsetMs = server - Date.now();
}

/** Now, by the server's clock (to the second). */
export function serverNow() {
  return new Date(Date.now() + clockOffsetMs);
}

async function hmac(key, message) {
  if (subtle) {
    const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await subtle.sign('HMAC', k, encoder.encode(message)));
  }
  return new Uint8Array(jsSha256.hmac.arrayBuffer(key, encoder.encode(message)));
}

/** Hex SHA-256 of a string or bytes. */
export async function sha256Hex(data) {
  const bytes = bytesOf(data);
  if (subtle) return hex(new Uint8Array(await subtle.digest('SHA-256', bytes)));
  return jsSha256.hex(bytes);
}

/** S3's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ (and `/` when kept) as %XX. */
export function uriEncode(value, keepSlash = false) {
  let out = '';
  for (const b of encoder.encode(String(value))) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** `k=v&…` from `[[k, v], …]`, encoded and sorted as SigV4 wants (also the URL's query). */
export function canonicalQuery(pairs) {
  return pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v ?? '')])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function amzDate(now) {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

const keyCache = new Map();

/** Forgets the derived signing key (on sign-out). */
export function forgetSigningKeys() {
  keyCache.clear();
}

async function signingKey(secret, day, region, service) {
  const id = `${secret}\n${day}\n${region}\n${service}`;
  if (!keyCache.has(id)) {
    let k = await hmac(encoder.encode('AWS4' + secret), day);
    k = await hmac(k, region);
    k = await hmac(k, service);
    k = await hmac(k, 'aws4_request');
    keyCache.clear();
    keyCache.set(id, k);
  }
  return keyCache.get(id);
}

async function signature(creds, region, time, canonicalRequest) {
  const day = time.slice(0, 8);
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', time, scope, await sha256Hex(canonicalBytes(canonicalRequest))].join('\n');
  const key = await signingKey(creds.secretAccessKey, day, region, 's3');
  return { scope, signature: hex(await hmac(key, toSign)) };
}

/**
 * Signs a request. `path` is already URI-encoded (as sent); `query` is `[[k, v], …]`;
 * `headers` holds the headers to sign (lower-case names), `host` is added. Returns the
 * headers to send (without `host`, which the browser sets).
 */
export async function signRequest({ method, path, query = [], headers = {}, payloadHash = EMPTY_SHA256, creds, region, now = serverNow() }) {
  const time = amzDate(now);
  const all = { ...headers, host: location.host, 'x-amz-date': time, 'x-amz-content-sha256': payloadHash };
  if (creds.sessionToken) all['x-amz-security-token'] = creds.sessionToken;
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  // Trimmed, runs of spaces as one (only spaces, as the server does).
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), String(v).replace(/^ +| +$/g, '').replace(/ +/g, ' ')]));
  const canonicalHeaders = names.map((n) => `${n}:${lower[n]}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [method, path, canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const { scope, signature: sig } = await signature(creds, region, time, canonicalRequest);
  const out = { ...all };
  delete out.host;
  out.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${sig}`;
  return out;
}

/**
 * A presigned URL (query-string auth) valid for `expires` seconds. `urlPath` is the path
 * as sent when it differs from the canonical `path` (see s3.js `wirePath`).
 */
export async function presign({ method = 'GET', path, urlPath = path, query = [], creds, region, expires, now = serverNow() }) {
  const time = amzDate(now);
  const day = time.slice(0, 8);
  const params = [
    ...query,
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${creds.accessKeyId}/${day}/${region}/s3/aws4_request`],
    ['X-Amz-Date', time],
    ['X-Amz-Expires', String(expires)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  if (creds.sessionToken) params.push(['X-Amz-Security-Token', creds.sessionToken]);
  const canonicalRequest = [method, path, canonicalQuery(params), `host:${location.host}\n`, 'host', UNSIGNED_PAYLOAD].join('\n');
  const { signature: sig } = await signature(creds, region, time, canonicalRequest);
  return `${location.origin}${urlPath}?${canonicalQuery(params)}&X-Amz-Signature=${sig}`;
}
