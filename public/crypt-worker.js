// Seals and opens payload records for the OneTimeShare page, off the main
// thread (protocol §4). A module worker of the page's pool: it loads the
// same wasm bundle as the page and calls the `seal_records` and
// `open_records` exports of the frontend crate. The page gives it up to
// two pieces at once, so the bytes of the next arrive while one is worked
// on; every answer carries the piece's `id`.
//
// seal: {op, key, first, ends, data: Blob of plaintext, from, to}
//   -> {part: Uint8Array} (bytes [from, to) of the records' ciphertext, moved),
//      {unreadable: message} or {changed: true} when the file could not be read
// open: {op, key, first, ends, data: [Uint8Array] holding whole records, in order}
//   -> {plain: Uint8Array} or {damaged: true}
// Any other failure is {error}; "init: ..." when the bundle did not load.
// The key is overwritten once the piece is done. No eval, no inline code:
// fits the site's CSP.
import init, { seal_records, open_records, load_records } from "/pkg/onetimeshare.js";

const ready = init({ module_or_path: "/pkg/onetimeshare.wasm" });
// The piece that seals and opens loads now, before the first piece comes
// (the pool may start while the sender is still choosing). Should it fail,
// the first piece tries again and reports it.
ready.then(() => load_records()).catch(() => {});

self.onmessage = async (event) => {
  const job = event.data;
  const id = job.id;
  try {
    await ready;
  } catch (err) {
    job.key.fill(0);
    self.postMessage({ id, error: "init: " + String(err) });
    return;
  }
  try {
    if (job.op === "seal") {
      let plain;
      try {
        plain = new Uint8Array(await job.data.arrayBuffer());
      } catch (err) {
        self.postMessage({ id, unreadable: String(err && err.message ? err.message : err) });
        return;
      }
      if (plain.length !== job.data.size) {
        self.postMessage({ id, changed: true });
        return;
      }
      let sealed;
      try {
        sealed = await seal_records(job.key, job.first, job.ends, plain, job.from, job.to);
      } finally {
        plain.fill(0);
      }
      // Moved, not copied; the page makes the Blob it uploads (see
      // `array_blob` in app/src/browser/crypt.rs for why not here).
      self.postMessage({ id, part: sealed }, [sealed.buffer]);
    } else {
      const plain = await open_records(job.key, job.first, job.ends, job.data);
      if (plain === undefined) {
        self.postMessage({ id, damaged: true });
      } else {
        self.postMessage({ id, plain }, [plain.buffer]);
      }
    }
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message ? err.message : err) });
  } finally {
    job.key.fill(0);
  }
};
