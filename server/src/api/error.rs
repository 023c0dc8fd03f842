//! The one error type of the API and its JSON form (protocol §5).

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use crate::store::{GoneReason, StoreError};

/// Every way an API request can fail; shown to clients as `{"error", "message", ...}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `400 invalid`: a field out of range or malformed.
    #[error("{0}")]
    Invalid(String),
    /// `413 too_large`: a size or body over the server's limit.
    #[error("{0}")]
    TooLarge(String),
    /// `400 bad_part`: a part of the wrong length or index.
    #[error("{0}")]
    BadPart(String),
    /// `409 incomplete`: parts are missing.
    #[error("parts are missing")]
    Incomplete(Vec<u64>),
    /// `409 not_ready`: the share is still uploading.
    #[error("the share is still uploading")]
    NotReady,
    /// `404 not_found`.
    #[error("no such share")]
    NotFound,
    /// `410 gone`.
    #[error("the share is gone")]
    Gone(GoneReason),
    /// `403 bad_link`.
    #[error("the link is wrong")]
    BadLink,
    /// `401 bad_password`.
    #[error("the password is wrong")]
    BadPassword {
        /// Wrong passwords still allowed.
        attempts_left: u32,
    },
    /// `423 locked`.
    #[error("the share is locked after too many wrong passwords")]
    Locked,
    /// `401 bad_token`: a missing, wrong or dead bearer token (upload, manage, ticket).
    #[error("missing, wrong or expired token")]
    BadToken,
    /// `416 bad_range`.
    #[error("the range is not satisfiable")]
    BadRange {
        /// Payload bytes.
        size: u64,
    },
    /// `429 rate_limited`.
    #[error("too many requests")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// `503 busy`: too many uploads at once.
    #[error("too many uploads at once")]
    Busy,
    /// `503 unavailable`: the store cannot answer (e.g. Redis is down); the detail goes to the log only.
    #[error("storage is unavailable; try again shortly")]
    Unavailable(String),
    /// `500 internal`: the detail goes to the log only.
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        Self::Internal(format!("io: {e}"))
    }
}

impl ApiError {
    /// The status and the `error` code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::BadPart(_) => (StatusCode::BAD_REQUEST, "bad_part"),
            Self::Incomplete(_) => (StatusCode::CONFLICT, "incomplete"),
            Self::NotReady => (StatusCode::CONFLICT, "not_ready"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::Gone(_) => (StatusCode::GONE, "gone"),
            Self::BadLink => (StatusCode::FORBIDDEN, "bad_link"),
            Self::BadPassword { .. } => (StatusCode::UNAUTHORIZED, "bad_password"),
            Self::Locked => (StatusCode::LOCKED, "locked"),
            Self::BadToken => (StatusCode::UNAUTHORIZED, "bad_token"),
            Self::BadRange { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "bad_range"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        if let Self::Unavailable(detail) = &self {
            tracing::warn!(%detail, "store unavailable");
        }
        let mut body = json!({"error": code, "message": self.to_string()});
        match &self {
            Self::Incomplete(missing) => body["missing"] = json!(missing),
            Self::Gone(reason) => body["reason"] = json!(reason),
            Self::BadPassword { attempts_left } => body["attempts_left"] = json!(attempts_left),
            _ => {}
        }
        let mut res = (status, Json(body)).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match &self {
            Self::RateLimited { retry_after } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                    headers.insert(header::RETRY_AFTER, v);
                }
            }
            Self::Busy | Self::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::BadRange { size } => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    headers.insert(header::CONTENT_RANGE, v);
                }
            }
            _ => {}
        }
        res
    }
}
