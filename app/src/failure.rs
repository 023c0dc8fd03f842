//! What can fail beneath a flow: a call to the REST API ([`ApiError`]) or
//! a facility of the browser ([`BrowserError`]). Each flow turns these into
//! its own error, so that pages never see a status code.
//!
//! The protocol's bodies, requests and answers, are `ots_proto`'s: this
//! crate defines none.

use ots_proto::{ErrorBody, ErrorCode};

/// How a request to the REST API failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No answer: offline, connection reset, server down.
    #[error("no answer from the server: {0}")]
    Network(String),
    /// An HTTP error status, with the protocol's error body when there was
    /// one (a proxy in front of the server may answer with anything).
    #[error("the server answered {status}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The body, when it was the protocol's.
        body: Option<ErrorBody>,
    },
    /// An answer that is not what the protocol says.
    #[error("an answer outside the protocol: {0}")]
    Malformed(String),
}

impl ApiError {
    /// True for failures worth retrying: no answer, 5xx, 408, 429 (but not
    /// an exhausted ticket or a full server: repeating that request cannot
    /// succeed soon).
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            _ if matches!(
                self.code(),
                Some(ErrorCode::TicketExhausted | ErrorCode::StorageFull)
            ) =>
            {
                false
            }
            ApiError::Status { status: 507, .. } => false,
            ApiError::Status { status, .. } => *status >= 500 || matches!(status, 408 | 429),
            ApiError::Malformed(_) => false,
        }
    }

    /// The protocol's error code, when the server sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        self.body().map(|b| b.error)
    }

    /// The protocol's error body, when the server sent one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            ApiError::Status { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    /// The server's own words, or the status when it gave none: for an
    /// answer no flow expects.
    pub fn server_message(&self) -> String {
        match self {
            ApiError::Status {
                status,
                body: Some(body),
            } if !body.message.is_empty() => format!("{} ({status})", body.message),
            ApiError::Status { status, .. } => format!("status {status}"),
            other => other.to_string(),
        }
    }
}

/// A facility of the browser that failed or is missing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BrowserError {
    /// A browser call threw; its message.
    #[error("the browser refused: {0}")]
    Js(String),
    /// `crypto.getRandomValues` is missing or failed.
    #[error("the browser has no random number generator")]
    NoRandomness,
    /// Reading the chosen file failed.
    #[error("the file could not be read: {0}")]
    FileUnreadable(String),
    /// The chosen file changed size while it was read.
    #[error("the file changed while it was being read")]
    FileChanged,
    /// Writing the received file failed.
    #[error("the file could not be written: {0}")]
    FileUnwritable(String),
    /// No clipboard outside a secure context, or the browser refused.
    #[error("the clipboard is not available")]
    NoClipboard,
    /// The password key could not be derived (in the worker or here).
    #[error("the key derivation failed: {0}")]
    KeyDerivation(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, body: Option<ErrorBody>) -> ApiError {
        ApiError::Status { status, body }
    }

    #[test]
    fn transient_errors_are_network_and_server_side() {
        assert!(ApiError::Network("reset".into()).is_transient());
        assert!(status(503, None).is_transient());
        assert!(status(429, None).is_transient());
        assert!(!status(400, None).is_transient());
        assert!(!ApiError::Malformed("x".into()).is_transient());
    }

    #[test]
    fn an_exhausted_ticket_is_not_retried() {
        let body = ErrorBody::new(ErrorCode::TicketExhausted, "no more bytes");
        assert!(!status(429, Some(body)).is_transient());
        let body = ErrorBody::new(ErrorCode::RateLimited, "slow down");
        assert!(status(429, Some(body)).is_transient());
    }

    #[test]
    fn a_full_server_is_not_retried() {
        let body = ErrorBody::new(ErrorCode::StorageFull, "full");
        assert!(!status(507, Some(body)).is_transient());
        assert!(!status(507, None).is_transient());
    }

    #[test]
    fn the_error_code_and_message_come_from_the_body() {
        let body = ErrorBody::new(ErrorCode::Invalid, "size is wrong");
        let error = status(400, Some(body));
        assert_eq!(error.code(), Some(ErrorCode::Invalid));
        assert_eq!(error.server_message(), "size is wrong (400)");
        assert_eq!(status(502, None).code(), None);
        assert_eq!(status(502, None).server_message(), "status 502");
    }
}
