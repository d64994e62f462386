// Module worker for integrity.js: `postMessage({blob})` → progress messages
// `{type: 'progress', done, total}`, then `{type: 'done', hex}` (or `{type: 'error',
// message}`). Reads the blob in 4 MiB slices so memory stays flat.

import { md5 } from '../vendor/js-md5-0.9.2.min.mjs';

const SLICE = 4 * 1024 * 1024;

self.onmessage = async (e) => {
  const { blob } = e.data || {};
  try {
    const hash = md5.create();
    const total = blob.size;
    let done = 0;
    self.postMessage({ type: 'progress', done, total });
    while (done < total) {
      const end = Math.min(total, done + SLICE);
      hash.update(await blob.slice(done, end).arrayBuffer());
      done = end;
      self.postMessage({ type: 'progress', done, total });
    }
    self.postMessage({ type: 'done', hex: hash.hex() });
  } catch (err) {
    self.postMessage({ type: 'error', message: (err && err.message) || String(err) });
  }
};
