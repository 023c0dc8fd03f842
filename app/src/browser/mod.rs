//! The browser's facilities the flows use: `fetch` against the REST API,
//! files chosen and read in slices, the private file system, web storage,
//! the Argon2id worker, the worker pool that seals and opens payload records, the URL fragment, time and randomness. Compiled with `hydrate` only, and
//! knows nothing of pages or flows: they call it, never the other way round.

#[cfg(feature = "bench")]
pub mod bench;
pub mod crypt;
pub(crate) mod dom;
pub(crate) mod files;
pub(crate) mod http;
pub mod kdf;
pub(crate) mod save;
pub(crate) mod storage;
