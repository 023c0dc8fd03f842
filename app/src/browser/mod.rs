//! Everything that runs only in the browser: fetch, files, the worker and
//! the send and receive flows. Compiled with the `hydrate` feature only.

pub mod bench;
pub mod dom;
pub mod files;
pub mod http;
pub mod kdf;
pub mod receive;
pub mod save;
pub mod send;
