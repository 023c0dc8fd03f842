//! How a call to the REST API (protocol §5) failed. The bodies themselves,
//! requests and answers, are `ots_proto`'s: this crate defines none.

use ots_proto::{ErrorBody, ErrorCode};

/// How a request failed, before a page decides what it means.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// No answer: offline, connection reset, server down.
    Network(String),
    /// An HTTP error status, with the protocol's error body when it sent one
    /// (a proxy in front of the server may answer with anything).
    Status(u16, Option<ErrorBody>),
    /// An answer that is not what the protocol says.
    Malformed(String),
}

impl ApiError {
    /// True for failures worth retrying: no answer, 5xx, 408, 429.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            ApiError::Status(code, _) => *code >= 500 || *code == 429 || *code == 408,
            ApiError::Malformed(_) => false,
        }
    }

    /// The protocol's error code, when the server sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Status(_, Some(body)) => Some(body.error),
            _ => None,
        }
    }

    /// A sentence for the page.
    pub fn describe(&self) -> String {
        match self {
            ApiError::Network(_) => {
                "The server could not be reached. Check the connection and try again.".into()
            }
            ApiError::Status(413, _) => "This is larger than the server accepts.".into(),
            ApiError::Status(429, _) => {
                "Too many requests from this address. Wait a minute and try again.".into()
            }
            ApiError::Status(code, Some(body)) if !body.message.is_empty() => {
                format!("The server said: {} ({code}).", body.message)
            }
            ApiError::Status(code, _) => format!("The server answered {code}."),
            ApiError::Malformed(_) => "The server's answer was not understood.".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_are_network_and_server_side() {
        assert!(ApiError::Network("reset".into()).is_transient());
        assert!(ApiError::Status(503, None).is_transient());
        assert!(!ApiError::Status(400, None).is_transient());
    }

    #[test]
    fn the_error_code_comes_from_the_body() {
        let body = ErrorBody::new(ErrorCode::BadPassword, "wrong");
        assert_eq!(
            ApiError::Status(401, Some(body)).code(),
            Some(ErrorCode::BadPassword)
        );
        assert_eq!(ApiError::Status(502, None).code(), None);
    }
}
