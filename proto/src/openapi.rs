//! OpenAPI schemas (feature `openapi`) of the values that travel as
//! base64url text: what [`crate::values`] accepts, so that a description
//! generated from the API types says exactly what the server parses.

use std::borrow::Cow;

use utoipa::{
    openapi::{schema::Type, ObjectBuilder, RefOr, Schema},
    PartialSchema, ToSchema,
};

use crate::b64::encoded_len;
use crate::sizes::{REQUEST_ID_SIZE, SHARE_ID_SIZE, TOKEN_SIZE, VERIFIER_SIZE};
use crate::values::{Opaque, ShareId, Token};

/// A base64url (no padding) string of exactly `bytes` bytes.
fn b64_exact(bytes: usize, description: &str) -> RefOr<Schema> {
    let len = encoded_len(bytes);
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(len))
        .max_length(Some(len))
        .pattern(Some(format!("^[A-Za-z0-9_-]{{{len}}}$")))
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
            .pattern(Some("^[A-Za-z0-9_-]*$"))
            .into()
    }
}

impl ToSchema for Opaque {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Opaque")
    }
}
