// Argon2id for the OneTimeShare page, off the main thread (protocol §2).
// A module worker: it loads the same wasm bundle as the page and calls the
// `derive_password_key` export of the frontend crate. The page sends
// {fragment, password, m_kib, t, p} and gets back {key: Uint8Array(32)} or
// {error}. The page terminates the worker after one answer, which frees
// Argon2id's memory. No eval, no inline code: fits the site's CSP.
import init, { derive_password_key } from "/pkg/onetimeshare.js";

const ready = init({ module_or_path: "/pkg/onetimeshare.wasm" });

self.onmessage = async (event) => {
  const { fragment, password, m_kib, t, p } = event.data;
  try {
    await ready;
  } catch (err) {
    self.postMessage({ error: "init: " + String(err) });
    return;
  }
  try {
    const key = await derive_password_key(fragment, password, m_kib, t, p);
    self.postMessage({ key }, [key.buffer]);
  } catch (err) {
    self.postMessage({ error: String(err && err.message ? err.message : err) });
  }
};
