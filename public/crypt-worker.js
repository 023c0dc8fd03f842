// Seals and opens payload records for the OneTimeShare page, off the main
// thread (protocol §4). A module worker of the page's pool: it loads the
// same wasm bundle as the page and calls the `seal_records` and
// `open_records` exports of the frontend crate, one piece at a time.
//
// seal: {op, key, first, ends, data: Blob of plaintext, from, to}
//   -> {part: Blob} (bytes [from, to) of the records' ciphertext),
//      {unreadable: message} or {changed: true} when the file could not be read
// open: {op, key, first, ends, data: [Uint8Array] holding whole records, in order}
//   -> {plain: Uint8Array} or {damaged: true}
// Any other failure is {error}; "init: ..." when the bundle did not load.
// The key is overwritten once the piece is done. No eval, no inline code:
// fits the site's CSP.
import init, { seal_records, open_records } from "/pkg/onetimeshare.js";

const ready = init({ module_or_path: "/pkg/onetimeshare.wasm" });

self.onmessage = async (event) => {
  const job = event.data;
  try {
    await ready;
  } catch (err) {
    job.key.fill(0);
    self.postMessage({ error: "init: " + String(err) });
    return;
  }
  try {
    if (job.op === "seal") {
      let plain;
      try {
        plain = new Uint8Array(await job.data.arrayBuffer());
      } catch (err) {
        self.postMessage({ unreadable: String(err && err.message ? err.message : err) });
        return;
      }
      if (plain.length !== job.data.size) {
        self.postMessage({ changed: true });
        return;
      }
      const sealed = await seal_records(job.key, job.first, job.ends, plain, job.from, job.to);
      plain.fill(0);
      const part = new Blob([sealed], { type: "application/octet-stream" });
      self.postMessage({ part });
    } else {
      let len = 0;
      for (const chunk of job.data) len += chunk.length;
      const sealed = new Uint8Array(len);
      let at = 0;
      for (const chunk of job.data) {
        sealed.set(chunk, at);
        at += chunk.length;
      }
      const plain = await open_records(job.key, job.first, job.ends, sealed);
      if (plain === undefined) {
        self.postMessage({ damaged: true });
      } else {
        self.postMessage({ plain }, [plain.buffer]);
      }
    }
  } catch (err) {
    self.postMessage({ error: String(err && err.message ? err.message : err) });
  } finally {
    job.key.fill(0);
  }
};
