// Writes a received file into the origin private file system for the
// receive page (app/src/browser/save.rs), through a synchronous access
// handle: the bytes go straight to the file, where the page's writable
// stream would pass each chunk through the browser's own process and a
// swap file first (several times the CPU per byte).
//
// One worker per file, one message at a time, answered in order:
//   {op: "open", entry}  opens the entry of the private file system's root
//   {op: "write", data}  appends `data` (a Uint8Array, moved here), then
//                        overwrites it with zeros
//   {op: "close"}        flushes and closes the file
// Each answer is {} or {error: message}. No eval, no inline code: fits the
// site's CSP.
let file = null;
let at = 0;

self.onmessage = async (event) => {
  const job = event.data;
  try {
    if (job.op === "open") {
      const root = await navigator.storage.getDirectory();
      const entry = await root.getFileHandle(job.entry);
      file = await entry.createSyncAccessHandle();
      at = 0;
    } else if (job.op === "write") {
      const data = job.data;
      try {
        const wrote = file.write(data, { at });
        if (wrote !== data.length) {
          throw new Error(`wrote ${wrote} of ${data.length} bytes`);
        }
        at += wrote;
      } finally {
        data.fill(0);
      }
    } else if (job.op === "close") {
      if (file) {
        file.flush();
        file.close();
        file = null;
      }
    } else {
      throw new Error(`no such operation: ${job.op}`);
    }
    self.postMessage({});
  } catch (err) {
    self.postMessage({ error: String(err && err.message ? err.message : err) });
  }
};
