//! The binary values of the API as they travel: base64url in JSON and URLs
//! (protocol, "Conventions"). Each type checks its length when parsed, so a
//! body that deserializes holds well-formed values only.

use core::fmt;
use core::str::FromStr;
use std::borrow::Cow;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::b64::{self, DecodeError};
use crate::sizes::{SHARE_ID_LEN, SHARE_ID_SIZE, TOKEN_SIZE};

/// A share id: 16 random bytes made by the server, as 22 characters of
/// base64url (§1). Always canonical: it round-trips through [`b64::decode`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShareId(String);

impl ShareId {
    /// The id of known bytes.
    pub fn from_bytes(bytes: [u8; SHARE_ID_SIZE]) -> Self {
        Self(b64::encode(bytes))
    }

    /// Parses the 22-character form; anything else is an error.
    pub fn parse(text: &str) -> Result<Self, DecodeError> {
        b64::decode_array::<SHARE_ID_SIZE>(text, "share id")?;
        Ok(Self(text.to_owned()))
    }

    /// The 22-character form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 16 bytes.
    pub fn to_bytes(&self) -> [u8; SHARE_ID_SIZE] {
        b64::decode_array(&self.0, "share id").unwrap_or([0; SHARE_ID_SIZE])
    }

    /// The first 6 characters: enough to tell shares apart in a log or on
    /// the operator's console, never enough to address one.
    pub fn short(&self) -> &str {
        &self.0[..6]
    }
}

const _: () = assert!(SHARE_ID_LEN > 6);

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShareId({})", self.0)
    }
}

impl AsRef<str> for ShareId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for ShareId {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self, DecodeError> {
        Self::parse(s)
    }
}

impl Serialize for ShareId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ShareId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(de::Error::custom)
    }
}

/// A 32-byte bearer value: a `link_token` or `claim_token` (§2), or a
/// server-issued `manage_token`, `upload_token` or `ticket` (§5).
///
/// Whoever holds one may act on a share, so it is zeroized on drop and its
/// `Debug` prints nothing of it. Only its SHA-256 is ever stored.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Token([u8; TOKEN_SIZE]);

impl Token {
    /// Wraps known bytes.
    pub fn from_bytes(bytes: [u8; TOKEN_SIZE]) -> Self {
        Self(bytes)
    }

    /// Parses base64url without padding (the JSON and `Authorization` form).
    pub fn from_b64(text: &str) -> Result<Self, DecodeError> {
        b64::decode_array(text, "token").map(Self)
    }

    /// The raw token.
    pub fn as_bytes(&self) -> &[u8; TOKEN_SIZE] {
        &self.0
    }

    /// base64url without padding, as sent in JSON and `Authorization: Bearer`.
    pub fn to_b64(&self) -> String {
        b64::encode(self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Serialize for Token {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut text = self.to_b64();
        let out = serializer.serialize_str(&text);
        text.zeroize();
        out
    }
}

impl<'de> Deserialize<'de> for Token {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut text = <Cow<'de, str>>::deserialize(deserializer)?;
        let token = Self::from_b64(&text).map_err(de::Error::custom);
        if let Cow::Owned(owned) = &mut text {
            owned.zeroize();
        }
        token
    }
}

/// Exactly `N` public bytes as base64url: a verifier, a `request_id`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fixed<const N: usize>(pub [u8; N]);

impl<const N: usize> fmt::Debug for Fixed<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fixed({})", b64::encode(self.0))
    }
}

impl<const N: usize> Serialize for Fixed<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&b64::encode(self.0))
    }
}

impl<'de, const N: usize> Deserialize<'de> for Fixed<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        b64::decode_array(&text, "value")
            .map(Self)
            .map_err(de::Error::custom)
    }
}

/// Any number of opaque bytes as base64url: sealed meta, an inline payload.
/// `Debug` shows only the length: these are ciphertext, and may be large.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Opaque(pub Vec<u8>);

impl fmt::Debug for Opaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Opaque({} bytes)", self.0.len())
    }
}

impl Serialize for Opaque {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&b64::encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Opaque {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        b64::decode(&text).map(Self).map_err(de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn share_ids_accept_only_canonical_22_char_base64url() {
        let id = ShareId::from_bytes([7; 16]);
        assert_eq!(ShareId::parse(id.as_str()).unwrap(), id);
        assert_eq!(id.to_bytes(), [7; 16]);
        for bad in [
            "",
            "..",
            "a/b",
            "AAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAA..",
            // Non-zero trailing bits are not canonical.
            "AAAAAAAAAAAAAAAAAAAAAB",
            "AAAAAAAAAAAAAAAAAAAA\0A",
        ] {
            assert!(ShareId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ShareId::parse(&"A".repeat(300)).is_err());
    }

    #[test]
    fn short_id_is_a_prefix_of_six() {
        let id = ShareId::from_bytes([0xfb; 16]);
        assert_eq!(id.short().len(), 6);
        assert!(id.as_str().starts_with(id.short()));
    }

    #[test]
    fn tokens_never_print() {
        let t = Token::from_bytes([9; 32]);
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert!(!format!("{t:?}").contains(&t.to_b64()));
    }

    #[test]
    fn values_round_trip_through_json() {
        let t = Token::from_bytes([1; 32]);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Token>(&json).unwrap(), t);
        let f = Fixed([3u8; 16]);
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(serde_json::from_str::<Fixed<16>>(&json).unwrap(), f);
        assert!(serde_json::from_str::<Fixed<32>>(&json).is_err());
        let o = Opaque(vec![1, 2, 3]);
        assert_eq!(serde_json::to_string(&o).unwrap(), "\"AQID\"");
    }
}
