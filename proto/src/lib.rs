//! The vocabulary of the OneTimeShare protocol (`docs/protocol.md`), shared
//! by the server, the browser app, the CLI and the benchmarks so that a
//! change to the wire is one change the compiler checks everywhere:
//!
//! - [`sizes`]: the protocol's constants and the arithmetic of STREAM
//!   records (§4) and upload parts (§5);
//! - [`api`]: every JSON body of §5, with typed states, gone reasons and
//!   error codes;
//! - [`Meta`]: the JSON inside the sealed meta record (§3);
//! - [`ShareId`], [`Token`], [`KdfParams`]: the values bodies carry;
//! - [`safe_file_name`]: the one sanitiser of untrusted file names, and
//!   [`safe_archive_path`]: the same rules for paths inside a ZIP archive.
//!
//! Serde types and pure functions only: no I/O, no cryptography, no keys
//! (tokens are zeroized on drop and never printed).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod b64;
mod kdf;
mod meta;
mod names;
#[cfg(feature = "openapi")]
mod openapi;
pub mod sizes;
mod values;

pub use api::{
    paths, ClaimRequest, Claimed, Config, CreateRequest, Created, DownloadEvent, ErrorBody,
    ErrorCode, ExpiryBounds, GoneReason, ManageStatus, ShareInfo, ShareState, API_PREFIX,
    PROTOCOL_VERSION,
};
pub use b64::DecodeError;
pub use kdf::{
    KdfOutOfBounds, KdfParams, KDF_M_KIB_MAX, KDF_M_KIB_MIN, KDF_P_MAX, KDF_P_MIN, KDF_T_MAX,
    KDF_T_MIN,
};
pub use meta::{FileEntry, Meta, MetaKind, TEXT_MIME, ZIP_MIME};
pub use names::{
    archive_file_name, safe_archive_path, safe_file_name, FALLBACK_FILE_NAME, MAX_FILE_NAME_BYTES,
};
pub use sizes::*;
pub use values::{Fixed, Opaque, ShareId, Token};
