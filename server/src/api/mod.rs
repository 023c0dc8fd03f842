//! The REST API of protocol §5 under `/api/v1`, one module per resource.

pub mod blob;
pub mod error;
pub mod ids;
pub mod manage;
pub mod parts;
pub mod shares;

use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    body::Body,
    http::{header, HeaderMap},
    routing::{get, post, put},
    Router,
};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use sha2::{Digest as _, Sha256};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use tokio::sync::Semaphore;

pub use error::ApiError;

use crate::{
    blobs::Blobs,
    limits::RateLimiter,
    store::{Digest, ShareId, Store, UnixSecs},
    Config,
};

/// A ticket lives this long after its last use (protocol §5).
pub const TICKET_TTL_SECS: i64 = 600;
/// Largest sealed meta (protocol §3).
pub const MAX_META_BYTES: usize = 4096;
/// Largest body of a claim request.
const CLAIM_BODY_BYTES: usize = 4096;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Share records.
    pub store: Arc<dyn Store>,
    /// Part files.
    pub blobs: Blobs,
    /// The server's settings.
    pub config: Arc<Config>,
    /// Per-address bucket for creates.
    pub create_limiter: Arc<RateLimiter>,
    /// Per-address bucket for claims.
    pub claim_limiter: Arc<RateLimiter>,
    /// Bound on part uploads in flight.
    pub uploads: Arc<Semaphore>,
}

impl AppState {
    /// State over a store and a blob directory.
    pub fn new(store: Arc<dyn Store>, blobs: Blobs, config: Arc<Config>) -> Self {
        Self {
            store,
            blobs,
            create_limiter: Arc::new(RateLimiter::per_minute(config.rate_create_per_min)),
            claim_limiter: Arc::new(RateLimiter::per_minute(config.rate_claim_per_min)),
            uploads: Arc::new(Semaphore::new(config.max_concurrent_uploads.max(1) as usize)),
            config,
        }
    }

    /// Largest body of a create request: the inline payload in base64 plus the rest.
    fn create_body_limit(&self) -> usize {
        let inline = usize::try_from(self.config.max_inline_bytes).unwrap_or(usize::MAX / 2);
        inline.saturating_mul(4) / 3 + 16 * 1024
    }
}

/// The `/api/v1` routes.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/shares", post(shares::create))
        .route("/shares/{id}", get(shares::info).delete(manage::revoke))
        .route("/shares/{id}/parts/{index}", put(parts::upload))
        .route("/shares/{id}/complete", post(parts::complete))
        .route("/shares/{id}/claim", post(shares::claim))
        .route(
            "/shares/{id}/blob",
            get(blob::download).delete(blob::release),
        )
        .route("/shares/{id}/manage", get(manage::status))
        .fallback(|| async { ApiError::NotFound })
        .with_state(state);
    Router::new().nest("/api/v1", v1).route(
        "/api/{*rest}",
        axum::routing::any(|| async { ApiError::NotFound }),
    )
}

/// The clock, in Unix seconds.
pub fn now() -> UnixSecs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// RFC 3339 form of an instant.
pub fn rfc3339(t: UnixSecs) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// SHA-256.
pub fn sha256(parts: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// 32 fresh random bytes (tokens, tickets).
pub fn random32() -> Result<[u8; 32], ApiError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| ApiError::Internal(format!("getrandom: {e}")))?;
    Ok(b)
}

/// Parses a path id; anything that is not a valid id is simply not found.
pub fn path_id(text: &str) -> Result<ShareId, ApiError> {
    ids::parse_id(text).ok_or(ApiError::NotFound)
}

/// The SHA-256 of the `Authorization: Bearer` token (32 bytes, base64url).
pub fn bearer_hash(headers: &HeaderMap) -> Result<Digest, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::BadToken)?;
    let text = value.to_str().map_err(|_| ApiError::BadToken)?;
    let token = text.strip_prefix("Bearer ").ok_or(ApiError::BadToken)?;
    let bytes = ids::parse_b64(token.trim()).ok_or(ApiError::BadToken)?;
    if bytes.len() != 32 {
        return Err(ApiError::BadToken);
    }
    Ok(sha256(&[&bytes]))
}

/// The declared `Content-Length`, if any.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads at most `limit` bytes of body, refusing more with `413` before reading it whole.
pub async fn read_body_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    if content_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge(format!(
            "the body is over {limit} bytes"
        )));
    }
    let mut out = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::Invalid("the body could not be read".into()))?;
        if out.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge(format!(
                "the body is over {limit} bytes"
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Reads and parses a JSON body (unknown fields refused by each request type).
pub async fn read_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = read_body_limited(headers, body, limit).await?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Invalid(format!("bad JSON: {e}")))
}
