//! base64url without padding (RFC 4648 §5), the encoding of every binary
//! value in links and the JSON API (protocol, "Conventions").
//!
//! Decoding is strict: padding, whitespace, characters outside the URL-safe
//! alphabet and non-zero trailing bits are all rejected, so every value has
//! exactly one encoding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::{Error, Result};

/// Encodes `bytes` as base64url without padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding, strictly.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| Error::Base64)
}

/// The length of the unpadded encoding of `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Decodes exactly `N` bytes. The length is checked before decoding, so an
/// oversized input costs nothing; `what` names the value in the error.
pub(crate) fn decode_array<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N]> {
    if text.len() != encoded_len(N) {
        // Report the decoded length when the text is valid, else a b64 error.
        return match decode_len_hint(text) {
            Some(actual) => Err(Error::Length {
                what,
                expected: N,
                actual,
            }),
            None => Err(Error::Base64),
        };
    }
    let mut out = [0u8; N];
    let written = URL_SAFE_NO_PAD
        .decode_slice(text, &mut out)
        .map_err(|_| Error::Base64)?;
    if written != N {
        return Err(Error::Length {
            what,
            expected: N,
            actual: written,
        });
    }
    Ok(out)
}

/// The number of bytes `text` would decode to, if it is well-formed. Cheap:
/// only the length and the alphabet are checked.
fn decode_len_hint(text: &str) -> Option<usize> {
    let well_formed = text.len() % 4 != 1
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then_some(text.len() * 3 / 4)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn round_trips_every_length_up_to_64() {
        for n in 0..=64u8 {
            let bytes: Vec<u8> = (0..n).collect();
            assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
            assert_eq!(encode(&bytes).len(), encoded_len(n as usize));
        }
    }

    #[test]
    fn decode_rejects_padding_whitespace_and_standard_alphabet() {
        assert_eq!(decode("AA=="), Err(Error::Base64));
        assert_eq!(decode("AA "), Err(Error::Base64));
        assert_eq!(decode("+/8"), Err(Error::Base64));
        assert_eq!(decode("A"), Err(Error::Base64));
    }

    #[test]
    fn decode_rejects_non_zero_trailing_bits() {
        // "AA" is the canonical encoding of [0]; "AB" has a stray low bit.
        assert_eq!(decode("AA").unwrap(), vec![0]);
        assert_eq!(decode("AB"), Err(Error::Base64));
    }

    #[test]
    fn decode_array_reports_wrong_length() {
        assert_eq!(
            decode_array::<32>("AAAA", "link secret"),
            Err(Error::Length {
                what: "link secret",
                expected: 32,
                actual: 3
            })
        );
        assert_eq!(decode_array::<2>("A=A", "x"), Err(Error::Base64));
    }
}
