//! base64url without padding (RFC 4648 §5), the encoding of every binary
//! value in links and the JSON API (protocol, "Conventions").
//!
//! Decoding is strict: padding, whitespace, characters outside the URL-safe
//! alphabet and non-zero trailing bits are all rejected, so every value has
//! exactly one encoding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Why a base64url value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not base64url without padding.
    Base64,
    /// Well-formed, but not the number of bytes the protocol requires.
    Length {
        /// What was being decoded, e.g. "share id".
        what: &'static str,
        /// Bytes the protocol requires.
        expected: usize,
        /// Bytes that were given.
        actual: usize,
    },
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Base64 => f.write_str("not base64url without padding"),
            Self::Length {
                what,
                expected,
                actual,
            } => write!(f, "{what} must be {expected} bytes, got {actual}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Encodes `bytes` as base64url without padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding, strictly.
pub fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| DecodeError::Base64)
}

/// The length of the unpadded encoding of `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Decodes exactly `N` bytes. The length is checked before decoding, so an
/// oversized input costs nothing; `what` names the value in the error.
pub fn decode_array<const N: usize>(
    text: &str,
    what: &'static str,
) -> Result<[u8; N], DecodeError> {
    if text.len() != encoded_len(N) {
        // Report the decoded length when the text is valid, else a b64 error.
        return match decoded_len_hint(text) {
            Some(actual) => Err(DecodeError::Length {
                what,
                expected: N,
                actual,
            }),
            None => Err(DecodeError::Base64),
        };
    }
    let mut out = [0u8; N];
    let written = URL_SAFE_NO_PAD
        .decode_slice(text, &mut out)
        .map_err(|_| DecodeError::Base64)?;
    if written != N {
        return Err(DecodeError::Length {
            what,
            expected: N,
            actual: written,
        });
    }
    Ok(out)
}

/// The number of bytes `text` would decode to, if it is well-formed. Cheap:
/// only the length and the alphabet are checked.
fn decoded_len_hint(text: &str) -> Option<usize> {
    let well_formed = text.len() % 4 != 1
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| text.len() * 3 / 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_refuses_padding_whitespace_and_the_standard_alphabet() {
        assert_eq!(decode("AQI"), Ok(vec![1, 2]));
        for bad in ["AQI=", " AQI", "AQ+/", "AQJ"] {
            assert_eq!(decode(bad), Err(DecodeError::Base64), "{bad}");
        }
    }

    #[test]
    fn decode_array_names_the_wrong_length() {
        assert_eq!(decode_array::<2>("AQI", "x"), Ok([1, 2]));
        assert_eq!(
            decode_array::<3>("AQI", "x"),
            Err(DecodeError::Length {
                what: "x",
                expected: 3,
                actual: 2
            })
        );
        assert_eq!(decode_array::<3>("A", "x"), Err(DecodeError::Base64));
    }
}
