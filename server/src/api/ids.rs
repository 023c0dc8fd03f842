//! Share ids and base64url values as they appear in URLs and JSON.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{de, Deserialize, Deserializer};

use crate::store::ShareId;

/// Characters of an encoded id (16 bytes).
pub const ID_CHARS: usize = 22;

/// Parses a path id: exactly 22 base64url characters that decode canonically to 16 bytes.
pub fn parse_id(text: &str) -> Option<ShareId> {
    if text.len() != ID_CHARS
        || !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    ShareId::try_from(bytes.as_slice()).ok()
}

/// Encodes an id for URLs and JSON.
pub fn encode_id(id: &ShareId) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// A short, log-safe form of an id (its first 6 characters).
pub fn short_id(id: &ShareId) -> String {
    let mut s = encode_id(id);
    s.truncate(6);
    s
}

/// Encodes bytes as base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub fn parse_b64(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()
}

/// Exactly `N` bytes given as base64url without padding.
#[derive(Clone, Copy)]
pub struct B64Fixed<const N: usize>(pub [u8; N]);

impl<'de, const N: usize> Deserialize<'de> for B64Fixed<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let v = URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .map_err(|_| de::Error::custom("not base64url without padding"))?;
        let a = <[u8; N]>::try_from(v.as_slice())
            .map_err(|_| de::Error::custom(format!("must be {N} bytes")))?;
        Ok(Self(a))
    }
}

/// Any number of bytes given as base64url without padding.
pub struct B64Bytes(pub Vec<u8>);

impl<'de> Deserialize<'de> for B64Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .map(Self)
            .map_err(|_| de::Error::custom("not base64url without padding"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_only_canonical_22_char_base64url() {
        let id = [7u8; 16];
        assert_eq!(parse_id(&encode_id(&id)), Some(id));
        for bad in [
            "",
            "..",
            "a/b",
            "AAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAA..",
        ] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
        // Non-zero trailing bits are not canonical.
        assert_eq!(parse_id("AAAAAAAAAAAAAAAAAAAAAB"), None);
        assert_eq!(parse_id(&"A".repeat(300)), None);
        assert_eq!(parse_id("AAAAAAAAAAAAAAAAAAAA\0A"), None);
    }
}
