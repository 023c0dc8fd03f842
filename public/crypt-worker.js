// Seals and opens payload records for the OneTimeShare page, off the main
// thread (protocol §4). A module worker of the page's pool: it loads a
// wasm bundle and calls its `seal_records` and `open_records` exports. The page gives it up to
// two pieces at once, so the bytes of the next arrive while one is worked
// on; every answer carries the piece's `id`.
//
// Where the browser runs WebAssembly SIMD, that is the bundle of `worker/`
// (`/pkg/crypt-simd.js`): the same two functions with
// the ChaCha20 keystream in SIMD, twice as fast, byte for byte the same.
// Elsewhere, or should that bundle fail to load, it is the page's own
// bundle (the frontend crate's exports), which holds no SIMD so that
// browsers without it load it.
//
// seal: {op, key, first, ends, data: Blob of plaintext, from, to}
//   -> {part: Uint8Array} (bytes [from, to) of the records' ciphertext, moved),
//      {unreadable: message} or {changed: true} when the file could not be read
// open: {op, key, first, ends, data: [Uint8Array] holding whole records, in order}
//   -> {plain: Uint8Array} or {damaged: true}
// Any other failure is {error}; "init: ..." when the bundle did not load.
// The key is overwritten once the piece is done. No eval, no inline code:
// fits the site's CSP.
import init, * as page from "/pkg/onetimeshare.js";

// The smallest module with a SIMD instruction (one function: v128.const 0,
// drop): valid only where the browser runs WebAssembly SIMD.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () -> ()
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x17, 0x01, 0x15, 0x00, // code: one body of 21 bytes, no locals
  0xfd, 0x0c, ...new Array(16).fill(0), // v128.const 0
  0x1a, 0x0b, // drop, end
]);

/** The SIMD bundle, loaded; null where SIMD does not run or it failed. */
async function simdBundle() {
  if (!WebAssembly.validate(SIMD_PROBE)) return null;
  try {
    const simd = await import("/pkg/crypt-simd.js");
    const exports = await simd.default({ module_or_path: "/pkg/crypt-simd_bg.wasm" });
    self.cryptMemory = exports.memory;
    return simd;
  } catch (err) {
    return null;
  }
}

/** The page's bundle, with the piece that seals and opens loaded. */
async function pageBundle() {
  const exports = await init({ module_or_path: "/pkg/onetimeshare.wasm" });
  self.cryptMemory = exports.memory;
  // Should the piece fail to load, the first piece tries again and reports it.
  await page.load_records().catch(() => {});
  return page;
}

// Loads now, before the first piece comes (the pool may start while the
// sender is still choosing). `self.cryptMemory` is the wasm memory the
// pieces use, for the benchmark's memory figures.
const ready = simdBundle().then((simd) => simd ?? pageBundle());
ready.catch(() => {});

self.onmessage = async (event) => {
  const job = event.data;
  const id = job.id;
  let bundle;
  try {
    bundle = await ready;
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
        sealed = await bundle.seal_records(job.key, job.first, job.ends, plain, job.from, job.to);
      } finally {
        plain.fill(0);
      }
      // Moved, not copied; the page makes the Blob it uploads (see
      // `array_blob` in app/src/browser/crypt.rs for why not here).
      self.postMessage({ id, part: sealed }, [sealed.buffer]);
    } else {
      const plain = await bundle.open_records(job.key, job.first, job.ends, job.data);
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
