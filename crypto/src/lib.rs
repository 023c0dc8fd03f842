//! OneTimeShare protocol v1, §1–4 of `protocol.md`: links, the key
//! schedule, the sealed meta record and the STREAM payload.
//!
//! The same code runs natively (CLI, server tests) and on
//! `wasm32-unknown-unknown` (the browser). See `README.md` for the format.
//!
//! ```
//! use ots_crypto::*;
//!
//! // Sender.
//! let secret = LinkSecret::generate()?;
//! let keys = ContentKeys::derive(&secret, None);
//! let meta = seal_meta(keys.meta_key(), &Meta::text(5))?;
//! let payload = seal_payload(keys.payload_key(), b"hello");
//!
//! // Recipient, from the link fragment.
//! let secret = LinkSecret::from_fragment(&secret.to_fragment())?;
//! let keys = ContentKeys::derive(&secret, None);
//! assert_eq!(open_meta(keys.meta_key(), &meta)?.size, 5);
//! assert_eq!(open_payload(keys.payload_key(), &payload)?, b"hello");
//! # Ok::<(), ots_crypto::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod b64;
mod error;
mod keys;
mod link;
mod meta;
#[cfg(all(target_arch = "wasm32", feature = "simd"))]
pub mod simd;
mod stream;
mod wipe;

pub use error::{Error, Result};
pub use keys::{
    ContentKeys, LinkKeys, LinkSecret, MetaKey, PasswordKey, PayloadKey, Verifier,
    ARGON2_SALT_SIZE, KEY_SIZE, LINK_SECRET_SIZE,
};
pub use link::{ManageLink, ShareLink};
pub use meta::{open_meta, seal_meta};
pub use stream::{
    open_payload, open_records, seal_payload, seal_records, StreamDecryptor, StreamEncryptor,
    NONCE_SIZE,
};
pub use wipe::{wipe, Plaintext};

// The protocol's vocabulary, so that a caller of the crypto needs no second import.
pub use ots_proto::{
    payload_size, plaintext_size, FileEntry, KdfParams, Meta, MetaKind, ShareId, Token, CHUNK_SIZE,
    KDF_M_KIB_MAX, KDF_M_KIB_MIN, KDF_P_MAX, KDF_P_MIN, KDF_T_MAX, KDF_T_MIN, META_MAX_SEALED_SIZE,
    RECORD_SIZE, SHARE_ID_LEN, SHARE_ID_SIZE, TAG_SIZE, TEXT_MIME, TOKEN_SIZE, VERIFIER_SIZE,
};
