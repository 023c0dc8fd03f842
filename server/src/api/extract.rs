//! What a route needs from its request, as typed extractors, so that its
//! signature says it and its body is only the protocol step:
//!
//! - [`SharePath`]: the share id of the path (anything else is `404`);
//! - [`PartIndex`]: the part index of an upload path;
//! - [`Bearer`]: the hash of an `Authorization: Bearer` token of one kind;
//! - [`Throttle`]: a token of the client address's bucket, or `429`;
//! - [`JsonBody`]: a JSON request read no further than its limit (`413`),
//!   refused with `400 invalid` when malformed or holding unknown fields.

use std::{marker::PhantomData, net::IpAddr};

use axum::{
    body::Body,
    extract::{FromRequest, FromRequestParts, RawPathParams, Request},
    http::{header, request::Parts, HeaderMap},
};
use futures_util::StreamExt;
use ots_proto::{part_count, part_len, ShareId, Token};
use serde::de::DeserializeOwned;

use super::{error::ApiError, tokens::token_hash};
use crate::{
    admin::create_tokens::{self, Creator},
    limits::{ClientAddr, RateLimiter},
    state::AppState,
    store::Digest,
};

/// The value of path parameter `name`, if the route has it. A path whose
/// segments do not decode (percent-escapes that are not UTF-8) is `400`.
async fn path_param(parts: &mut Parts, name: &str) -> Result<Option<String>, ApiError> {
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|_| ApiError::Invalid("a path segment is not valid UTF-8".into()))?;
    Ok(params
        .iter()
        .find_map(|(key, value)| (key == name).then(|| value.to_owned())))
}

/// The share id in the path (`{id}`). Anything that is not a canonical id is
/// simply no share: `404`, before anything else is looked at.
pub(crate) struct SharePath(pub(crate) ShareId);

impl<S: Send + Sync> FromRequestParts<S> for SharePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let text = path_param(parts, "id").await?.ok_or(ApiError::NotFound)?;
        ShareId::parse(&text)
            .map(Self)
            .map_err(|_| ApiError::NotFound)
    }
}

/// The part index in an upload path (`{index}`), checked against the
/// payload's size once the upload token has been checked.
pub(crate) struct PartIndex(Option<String>);

impl PartIndex {
    /// The index and the exact length of this part of a `size`-byte payload.
    pub(crate) fn within(&self, size: u64) -> Result<(u64, u64), ApiError> {
        let index: u64 = self
            .0
            .as_deref()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| ApiError::BadPart("the part index is not a number".into()))?;
        let len = part_len(size, index).ok_or_else(|| {
            ApiError::BadPart(format!(
                "the part index is past the end ({} parts)",
                part_count(size)
            ))
        })?;
        Ok((index, len))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PartIndex {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Self(path_param(parts, "index").await?))
    }
}

/// A kind of server-issued bearer token; each proves one right on one share.
pub(crate) trait TokenKind: 'static {}

/// The upload token: may put parts and complete the upload.
pub(crate) enum Upload {}
/// The manage token: may see the status and revoke.
pub(crate) enum Manage {}
/// A ticket: may download and release.
pub(crate) enum Ticket {}

impl TokenKind for Upload {}
impl TokenKind for Manage {}
impl TokenKind for Ticket {}

/// The SHA-256 of a 32-byte `Authorization: Bearer` token of kind `K`; the
/// token itself is wiped as soon as it is hashed. Missing or malformed:
/// `401 bad_token`. Whether it is the right one is the store's to say.
pub(crate) struct Bearer<K: TokenKind> {
    hash: Digest,
    kind: PhantomData<fn() -> K>,
}

impl<K: TokenKind> Bearer<K> {
    /// What the store compares.
    pub(crate) fn hash(&self) -> Digest {
        self.hash
    }
}

impl<K: TokenKind, S: Send + Sync> FromRequestParts<S> for Bearer<K> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let text = bearer_text(&parts.headers).ok_or(ApiError::BadToken)?;
        let token = Token::from_b64(text).map_err(|_| ApiError::BadToken)?;
        Ok(Self {
            hash: token_hash(&token),
            kind: PhantomData,
        })
    }
}

/// The credential of `Authorization: Bearer {credential}`, if there is one.
fn bearer_text(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    Some(value.strip_prefix("Bearer ")?.trim())
}

/// A per-address rate limit: which of the state's buckets it draws from.
pub(crate) trait Bucket: 'static {
    /// The bucket.
    fn limiter(state: &AppState) -> &RateLimiter;
}

/// The bucket of creates (`--rate-create-per-min`).
pub(crate) enum Creates {}
/// The bucket of claims (`--rate-claim-per-min`).
pub(crate) enum Claims {}

impl Bucket for Creates {
    fn limiter(state: &AppState) -> &RateLimiter {
        &state.create_limiter
    }
}

impl Bucket for Claims {
    fn limiter(state: &AppState) -> &RateLimiter {
        &state.claim_limiter
    }
}

/// One token of the client address's bucket `B`, taken before the body is
/// read; an empty bucket is `429 rate_limited` with `Retry-After`.
pub(crate) struct Throttle<B: Bucket>(PhantomData<fn() -> B>);

impl<B: Bucket> FromRequestParts<AppState> for Throttle<B> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Requests that did not come through the listener (router tests) have no address.
        if let Some(addr) = parts.extensions.get::<ClientAddr>() {
            B::limiter(state)
                .take(state.clients.key(addr, &parts.headers))
                .await?;
        }
        Ok(Self(PhantomData))
    }
}

/// The key the abuse limits count this request's client by (its address, an
/// IPv6 client's prefix); `None` for requests that did not come through the
/// listener (router tests).
pub(crate) struct ClientKey(pub(crate) Option<IpAddr>);

impl FromRequestParts<AppState> for ClientKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(
            parts
                .extensions
                .get::<ClientAddr>()
                .map(|addr| state.clients.key(addr, &parts.headers)),
        ))
    }
}

/// A JSON request body type and the most bytes it may take.
pub(crate) trait JsonRequest: DeserializeOwned {
    /// The limit, which may depend on the server's settings.
    fn max_body_bytes(state: &AppState) -> usize;
}

/// A JSON request of type `T`, read no further than its limit.
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: JsonRequest> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_limited(&parts.headers, body, T::max_body_bytes(state)).await?;
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|e| ApiError::Invalid(format!("bad JSON: {e}")))
    }
}

/// The declared `Content-Length`, if any.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads at most `limit` bytes of body, refusing more with `413` before reading it whole.
async fn read_limited(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::TooLarge(format!("the body is over {limit} bytes"));
    if content_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut out = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::Invalid("the body could not be read".into()))?;
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A create request's creator: anyone when no create token is configured,
/// else the holder of a valid one (protocol 1.1: `401 token_required`,
/// `403 bad_token`).
impl FromRequestParts<AppState> for Creator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let tokens = &state.create_tokens;
        if !tokens.configured() {
            return Ok(Creator::Anonymous);
        }
        match create_tokens::bearer(&parts.headers) {
            Some(t) => match tokens.name_of(t) {
                Some(name) => Ok(Creator::Holder(name)),
                None => {
                    crate::admin::audit::create_token_refused(state, parts);
                    Err(ApiError::BadCreateToken)
                }
            },
            None if tokens.required() => Err(ApiError::TokenRequired),
            None => Ok(Creator::Anonymous),
        }
    }
}
