//! The sealed meta record of protocol §3: what a share is (text or file),
//! its name, MIME type and plaintext size.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};

use crate::error::{Error, Result};
use crate::keys::MetaKey;
use ots_proto::{Meta, META_MAX_SEALED_SIZE, TAG_SIZE};

/// Associated data of the meta AEAD (protocol §3).
const META_AAD: &[u8] = b"onetimeshare/v1/meta";
/// The meta record is sealed once per `meta_key`, so a fixed nonce is safe:
/// `meta_key` must never seal anything else.
const META_NONCE: [u8; 12] = [0; 12];
fn cipher(key: &MetaKey) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(key.as_bytes().into())
}

/// Seals `meta` under `key` (protocol §3). Fails with
/// [`Error::MetaTooLarge`] if the result would exceed
/// [`META_MAX_SEALED_SIZE`] (e.g. a very long file name).
pub fn seal_meta(key: &MetaKey, meta: &Meta) -> Result<Vec<u8>> {
    let plain = serde_json::to_vec(meta).map_err(|_| Error::MetaJson)?;
    let size = plain.len() + TAG_SIZE;
    if size > META_MAX_SEALED_SIZE {
        return Err(Error::MetaTooLarge { size });
    }
    let sealed = cipher(key)
        .encrypt(
            &Nonce::from(META_NONCE),
            Payload {
                msg: &plain,
                aad: META_AAD,
            },
        )
        .map_err(|_| Error::Decrypt)?;
    Ok(sealed)
}

/// Opens a sealed meta record (protocol §3). Anything that does not
/// authenticate, or is larger than [`META_MAX_SEALED_SIZE`], is
/// [`Error::Decrypt`].
pub fn open_meta(key: &MetaKey, sealed: &[u8]) -> Result<Meta> {
    if sealed.len() > META_MAX_SEALED_SIZE || sealed.len() < TAG_SIZE {
        return Err(Error::Decrypt);
    }
    let plain = cipher(key)
        .decrypt(
            &Nonce::from(META_NONCE),
            Payload {
                msg: sealed,
                aad: META_AAD,
            },
        )
        .map_err(|_| Error::Decrypt)?;
    serde_json::from_slice(&plain).map_err(|_| Error::MetaJson)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn key(b: u8) -> MetaKey {
        MetaKey::from_bytes([b; 32])
    }

    /// Seals arbitrary bytes as meta the way a writer would, bypassing `Meta`.
    fn seal_raw(json: &[u8]) -> Vec<u8> {
        cipher(&key(1))
            .encrypt(
                &Nonce::from(META_NONCE),
                Payload {
                    msg: json,
                    aad: META_AAD,
                },
            )
            .unwrap()
    }

    #[test]
    fn meta_round_trips() {
        let meta = Meta::file("report.pdf", "application/pdf", 200_000);
        let sealed = seal_meta(&key(1), &meta).unwrap();
        assert_eq!(open_meta(&key(1), &sealed).unwrap(), meta);
    }

    #[test]
    fn meta_under_another_key_is_damaged() {
        let sealed = seal_meta(&key(1), &Meta::text(5)).unwrap();
        assert_eq!(open_meta(&key(2), &sealed), Err(Error::Decrypt));
    }

    #[test]
    fn meta_with_a_flipped_bit_is_damaged() {
        let sealed = seal_meta(&key(1), &Meta::text(5)).unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x80;
            assert_eq!(open_meta(&key(1), &bad), Err(Error::Decrypt), "byte {i}");
        }
    }

    #[test]
    fn meta_shorter_than_a_tag_is_damaged() {
        assert_eq!(open_meta(&key(1), &[0; 15]), Err(Error::Decrypt));
        assert_eq!(open_meta(&key(1), &[]), Err(Error::Decrypt));
    }

    #[test]
    fn meta_over_4096_bytes_is_refused_when_sealing() {
        // 4096 - 16 tag bytes of JSON fit exactly; one more does not.
        let overhead = serde_json::to_vec(&Meta::file("", "x", 0)).unwrap().len();
        let fits = Meta::file("n".repeat(4080 - overhead), "x", 0);
        assert_eq!(seal_meta(&key(1), &fits).unwrap().len(), 4096);
        let too_big = Meta::file("n".repeat(4081 - overhead), "x", 0);
        assert_eq!(
            seal_meta(&key(1), &too_big),
            Err(Error::MetaTooLarge { size: 4097 })
        );
    }

    #[test]
    fn meta_with_wrong_json_shape_is_a_json_error() {
        let json = br#"{"kind":"folder","name":"","type":"","size":1}"#;
        let sealed = seal_raw(json);
        assert_eq!(open_meta(&key(1), &sealed), Err(Error::MetaJson));
    }
}
