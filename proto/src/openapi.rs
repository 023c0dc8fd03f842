//! OpenAPI schemas (feature `openapi`) of the values that travel as
//! base64url text: what [`crate::values`] accepts, so that a description
//! generated from the API types says exactly what the server parses.

use std::borrow::Cow;

use utoipa::{
    openapi::{schema::Type, ObjectBuilder, RefOr, Schema},
    PartialSchema, ToSchema,
};

use crate::b64::encoded_len;
use crate::sizes::{
    META_MAX_SEALED_SIZE, META_MIN_SEALED_SIZE, REQUEST_ID_SIZE, SHARE_ID_SIZE, TOKEN_SIZE,
    VERIFIER_SIZE,
};
use crate::values::{Opaque, ShareId, Token};

/// Any base64url character.
const B64: &str = "[A-Za-z0-9_-]";
/// A last character that leaves no stray bits after one byte (2 characters).
const LAST_OF_ONE: &str = "[AQgw]";
/// A last character that leaves no stray bits after two bytes (3 characters).
const LAST_OF_TWO: &str = "[AEIMQUYcgkosw048]";

/// The canonical base64url (no padding) of exactly `bytes` bytes, as a regex.
fn exact_pattern(bytes: usize) -> String {
    let full = bytes / 3 * 4;
    match bytes % 3 {
        0 => format!("^{B64}{{{full}}}$"),
        1 => format!("^{B64}{{{}}}{LAST_OF_ONE}$", full + 1),
        _ => format!("^{B64}{{{}}}{LAST_OF_TWO}$", full + 2),
    }
}

/// A base64url (no padding) string of exactly `bytes` bytes.
fn b64_exact(bytes: usize, description: &str) -> RefOr<Schema> {
    let len = encoded_len(bytes);
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(len))
        .max_length(Some(len))
        .pattern(Some(exact_pattern(bytes)))
        .into()
}

/// Canonical base64url of any length, as a regex.
fn any_pattern() -> String {
    format!("^({B64}{{4}})*({B64}{{2}}{LAST_OF_TWO}|{B64}{LAST_OF_ONE})?$")
}

/// The schema of sealed meta: 17 to 4096 bytes (§3).
pub(crate) fn sealed_meta() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "sealed meta: 17 to 4096 bytes, base64url without padding",
        ))
        .min_length(Some(encoded_len(META_MIN_SEALED_SIZE)))
        .max_length(Some(encoded_len(META_MAX_SEALED_SIZE)))
        .pattern(Some(any_pattern()))
        .into()
}

impl PartialSchema for ShareId {
    fn schema() -> RefOr<Schema> {
        b64_exact(
            SHARE_ID_SIZE,
            "a share id: 16 bytes, base64url without padding",
        )
    }
}

impl ToSchema for ShareId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ShareId")
    }
}

impl PartialSchema for Token {
    fn schema() -> RefOr<Schema> {
        b64_exact(TOKEN_SIZE, "a 32-byte token, base64url without padding")
    }
}

impl ToSchema for Token {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Token")
    }
}

/// The schema of a verifier (`Fixed<32>`): SHA-256 of a token.
pub(crate) fn verifier() -> RefOr<Schema> {
    b64_exact(
        VERIFIER_SIZE,
        "SHA-256 of a token: 32 bytes, base64url without padding",
    )
}

/// The schema of a claim's `request_id` (`Fixed<16>`).
pub(crate) fn request_id() -> RefOr<Schema> {
    b64_exact(
        REQUEST_ID_SIZE,
        "16 random bytes, base64url without padding",
    )
}

impl PartialSchema for Opaque {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("opaque bytes, base64url without padding"))
            .pattern(Some(any_pattern()))
            .into()
    }
}

impl ToSchema for Opaque {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Opaque")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Whether `text` matches `pattern` (anchored; only what our patterns use).
    fn canonical(bytes: &[u8]) -> String {
        crate::b64::encode(bytes)
    }

    #[test]
    fn exact_patterns_end_in_a_character_without_stray_bits() {
        assert_eq!(exact_pattern(3), "^[A-Za-z0-9_-]{4}$");
        assert_eq!(exact_pattern(16), "^[A-Za-z0-9_-]{21}[AQgw]$");
        assert_eq!(exact_pattern(32), "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$");
        // Every canonical encoding ends in one of those characters.
        for b in 0..=255u8 {
            let one = canonical(&[7u8; 15].iter().copied().chain([b]).collect::<Vec<_>>());
            assert!(LAST_OF_ONE.contains(one.chars().last().unwrap()), "{one}");
            let two = canonical(&[b; 32]);
            assert!(LAST_OF_TWO.contains(two.chars().last().unwrap()), "{two}");
        }
    }
}
