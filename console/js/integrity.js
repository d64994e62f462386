// Integrity helper: the MD5 of a Blob, computed in a module Web Worker (so a large
// download does not freeze the page) by reading it in slices and updating js-md5
// incrementally. The object details page uses it for "Download and verify".

/**
 * The largest object the console downloads into memory to verify: 1 GiB. A browser keeps
 * the downloaded Blob in memory (or its disk cache) while it is hashed; beyond this the
 * page offers a plain download instead.
 */
export const VERIFY_LIMIT = 1024 * 1024 * 1024;

/**
 * Lower-case hex MD5 of `blob`. `onProgress(bytesHashed, totalBytes)` is called as the
 * worker goes. `signal` (an AbortSignal) stops the worker and rejects with an AbortError.
 */
export function md5OfBlob(blob, onProgress, { signal } = {}) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(Object.assign(new Error('Cancelled'), { name: 'AbortError' }));
      return;
    }
    let worker;
    try {
      worker = new Worker(new URL('./md5-worker.js', import.meta.url), { type: 'module' });
    } catch (err) {
      reject(Object.assign(new Error(`The checksum worker could not start: ${err.message || err}`), { code: 'WorkerFailed' }));
      return;
    }
    const finish = (f, value) => {
      worker.terminate();
      if (signal) signal.removeEventListener('abort', onAbort);
      f(value);
    };
    const onAbort = () => finish(reject, Object.assign(new Error('Cancelled'), { name: 'AbortError' }));
    if (signal) signal.addEventListener('abort', onAbort);
    worker.onmessage = (e) => {
      const m = e.data || {};
      if (m.type === 'progress') {
        if (onProgress) onProgress(m.done, m.total);
      } else if (m.type === 'done') {
        finish(resolve, m.hex);
      } else if (m.type === 'error') {
        finish(reject, Object.assign(new Error(`Computing the MD5 failed: ${m.message}`), { code: 'ChecksumFailed' }));
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      finish(reject, Object.assign(new Error(`The checksum worker failed: ${e.message || 'unknown error'}`), { code: 'WorkerFailed' }));
    };
    worker.postMessage({ blob });
  });
}
