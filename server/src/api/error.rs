//! The one error type of the API, its JSON form (protocol §5), and the one
//! mapping from each store outcome to the step's result or its error.
//!
//! Clients see input errors as they are and internal faults as "internal
//! error"; the detail of a fault goes to the log only.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use ots_proto::{ErrorBody, ErrorCode, GoneReason};

use crate::{
    limits::Limited,
    metrics::in_request,
    store::{
        BlobOutcome, ClaimOutcome, CompleteOutcome, Grant, ReleaseOutcome, RevokeOutcome,
        StoreError, UploadCheck,
    },
};

/// Every way an API request can fail; shown to clients as `{"error", "message", ...}`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
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
    /// `405 method_not_allowed`: the route exists, the method does not.
    #[error("the method is not allowed on this route")]
    MethodNotAllowed,
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
    /// `401 token_required`: this server creates shares only for create token holders.
    #[error(
        "this server requires a create token (Authorization: Bearer <token>) to create a share"
    )]
    TokenRequired,
    /// `403 bad_token`: a create token the server does not know.
    #[error("the create token is not known to this server")]
    BadCreateToken,
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
    /// `429 ticket_exhausted`: the ticket has served its byte budget.
    #[error("this ticket has served all the bytes it may; claim again if downloads are left")]
    TicketExhausted,
    /// `507 storage_full`: the share or part would pass the server's storage quota.
    #[error("the server is full; try again later")]
    StorageFull,
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
        in_request(|m, _| m.store_error());
        Self::Unavailable(e.to_string())
    }
}

impl From<crate::blobs::BlobError> for ApiError {
    fn from(e: crate::blobs::BlobError) -> Self {
        in_request(|m, _| m.store_error());
        Self::Unavailable(e.to_string())
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        Self::Internal(format!("io: {e}"))
    }
}

impl From<Limited> for ApiError {
    fn from(l: Limited) -> Self {
        in_request(|m, action| m.rate_limited(action.unwrap_or("other")));
        Self::RateLimited {
            retry_after: l.retry_after,
        }
    }
}

impl From<GoneReason> for ApiError {
    fn from(reason: GoneReason) -> Self {
        Self::Gone(reason)
    }
}

impl ApiError {
    /// The status and the `error` code.
    pub(crate) fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Self::Invalid(_) => (StatusCode::BAD_REQUEST, ErrorCode::Invalid),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge),
            Self::BadPart(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadPart),
            Self::Incomplete(_) => (StatusCode::CONFLICT, ErrorCode::Incomplete),
            Self::NotReady => (StatusCode::CONFLICT, ErrorCode::NotReady),
            Self::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed),
            Self::Gone(_) => (StatusCode::GONE, ErrorCode::Gone),
            Self::BadLink => (StatusCode::FORBIDDEN, ErrorCode::BadLink),
            Self::BadPassword { .. } => (StatusCode::UNAUTHORIZED, ErrorCode::BadPassword),
            Self::Locked => (StatusCode::LOCKED, ErrorCode::Locked),
            Self::BadToken => (StatusCode::UNAUTHORIZED, ErrorCode::BadToken),
            Self::TokenRequired => (StatusCode::UNAUTHORIZED, ErrorCode::TokenRequired),
            Self::BadCreateToken => (StatusCode::FORBIDDEN, ErrorCode::BadToken),
            Self::BadRange { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, ErrorCode::BadRange),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            Self::TicketExhausted => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TicketExhausted),
            Self::StorageFull => (StatusCode::INSUFFICIENT_STORAGE, ErrorCode::StorageFull),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }

    /// The JSON body: the code, the message, and the field this error carries.
    fn body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.status_and_code().1, self.to_string());
        match self {
            Self::Incomplete(missing) => body.missing = Some(missing.clone()),
            Self::Gone(reason) => body.reason = Some(*reason),
            Self::BadPassword { attempts_left } => body.attempts_left = Some(*attempts_left),
            _ => {}
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(detail) => tracing::error!(%detail, "internal error"),
            Self::Unavailable(detail) => tracing::warn!(%detail, "store unavailable"),
            _ => {}
        }
        let mut res = (self.status_and_code().0, Json(self.body())).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match &self {
            Self::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            Self::Busy | Self::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::BadRange { size } => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    headers.insert(header::CONTENT_RANGE, v);
                }
            }
            // The body may be left unread: this connection cannot carry
            // another request, and a client must not reuse it.
            Self::TooLarge(_) => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        res
    }
}

// What each store outcome means for its step: the value the step goes on
// with, or the error answer. Written once here, so a handler reads
// `Result::from(outcome)?` and goes on.

/// Parts may be written: the payload's size.
impl From<UploadCheck> for Result<u64, ApiError> {
    fn from(o: UploadCheck) -> Self {
        match o {
            UploadCheck::NotFound => Err(ApiError::NotFound),
            UploadCheck::Gone(r) => Err(r.into()),
            UploadCheck::BadToken => Err(ApiError::BadToken),
            UploadCheck::Allowed { size } => Ok(size),
        }
    }
}

/// The share is ready.
impl From<CompleteOutcome> for Result<(), ApiError> {
    fn from(o: CompleteOutcome) -> Self {
        match o {
            CompleteOutcome::NotFound => Err(ApiError::NotFound),
            CompleteOutcome::Gone(r) => Err(r.into()),
            CompleteOutcome::BadToken => Err(ApiError::BadToken),
            CompleteOutcome::Completed => Ok(()),
        }
    }
}

/// A claim granted (or, `true`, an earlier grant given again).
impl From<ClaimOutcome> for Result<(Grant, bool), ApiError> {
    fn from(o: ClaimOutcome) -> Self {
        in_request(|m, _| m.claim(&o));
        match o {
            ClaimOutcome::NotFound => Err(ApiError::NotFound),
            ClaimOutcome::Gone(r) => Err(r.into()),
            ClaimOutcome::NotReady => Err(ApiError::NotReady),
            ClaimOutcome::BadLink => Err(ApiError::BadLink),
            ClaimOutcome::Locked | ClaimOutcome::LockedNow => Err(ApiError::Locked),
            ClaimOutcome::BadPassword { attempts_left } => {
                Err(ApiError::BadPassword { attempts_left })
            }
            ClaimOutcome::Granted { grant, replayed } => Ok((grant, replayed)),
        }
    }
}

/// Where a ticket holder's payload is: the store's own bytes, or parts of `size` bytes.
impl From<BlobOutcome> for Result<Stored, ApiError> {
    fn from(o: BlobOutcome) -> Self {
        match o {
            BlobOutcome::NotFound => Err(ApiError::NotFound),
            BlobOutcome::Gone(r) => Err(r.into()),
            BlobOutcome::BadTicket => Err(ApiError::BadToken),
            BlobOutcome::Exhausted => Err(ApiError::TicketExhausted),
            BlobOutcome::Inline(bytes) => Ok(Stored::Inline(bytes)),
            BlobOutcome::Files { size } => Ok(Stored::Parts { size }),
        }
    }
}

/// The ticket is dead; `true` when the share's parts must be deleted now.
impl From<ReleaseOutcome> for Result<bool, ApiError> {
    fn from(o: ReleaseOutcome) -> Self {
        match o {
            ReleaseOutcome::NotFound => Err(ApiError::NotFound),
            ReleaseOutcome::Gone(r) => Err(r.into()),
            ReleaseOutcome::BadTicket => Err(ApiError::BadToken),
            ReleaseOutcome::Released { delete_files } => Ok(delete_files),
        }
    }
}

/// The share is revoked; `true` when its parts must be deleted now.
impl From<RevokeOutcome> for Result<bool, ApiError> {
    fn from(o: RevokeOutcome) -> Self {
        match o {
            RevokeOutcome::NotFound => Err(ApiError::NotFound),
            RevokeOutcome::BadToken => Err(ApiError::BadToken),
            RevokeOutcome::Revoked { delete_files } => {
                in_request(|m, _| m.revoked());
                Ok(delete_files)
            }
        }
    }
}

/// Where a payload a ticket may read is kept.
pub(crate) enum Stored {
    /// In the store, whole.
    Inline(Vec<u8>),
    /// In the blobs, as parts.
    Parts {
        /// Payload bytes.
        size: u64,
    },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    async fn json_of(e: ApiError) -> (StatusCode, serde_json::Value) {
        let res = e.into_response();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn errors_carry_the_protocol_code_message_and_their_own_field() {
        let (st, v) = json_of(ApiError::Gone(GoneReason::Revoked)).await;
        assert_eq!(st, StatusCode::GONE);
        assert_eq!(
            v,
            serde_json::json!({"error": "gone", "message": "the share is gone", "reason": "revoked"})
        );
        let (st, v) = json_of(ApiError::BadPassword { attempts_left: 2 }).await;
        assert_eq!(
            (st.as_u16(), v["error"].as_str()),
            (401, Some("bad_password"))
        );
        assert_eq!(v["attempts_left"], 2);
        let (st, v) = json_of(ApiError::Incomplete(vec![1, 3])).await;
        assert_eq!(
            (st.as_u16(), v["missing"].clone()),
            (409, serde_json::json!([1, 3]))
        );
    }

    #[tokio::test]
    async fn internal_detail_never_reaches_the_client() {
        let (st, v) = json_of(ApiError::Internal("disk /secret/path failed".into())).await;
        assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            v,
            serde_json::json!({"error": "internal", "message": "internal error"})
        );
        let (_, v) = json_of(StoreError("redis: password in url".into()).into()).await;
        assert!(!v.to_string().contains("password"), "{v}");
    }
}
