//! The manage flow: the share's state for its sender, and revoking it.
//! The page (`page.rs`) talks only to this module; the browser side is
//! `engine.rs`. The manage token is the link's fragment and only ever
//! travels as a bearer token.

#[cfg(feature = "hydrate")]
mod engine;
pub mod page;

use ots_proto::ErrorCode;

use crate::failure::ApiError;

pub use ots_proto::{ManageStatus, ShareState};

/// Why the manage page cannot show or revoke the share.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ManageError {
    /// The link has no manage token after `#`, or a malformed one.
    #[error("the link has no valid manage token")]
    BadLink,
    /// The server no longer remembers the share (or the id is malformed).
    #[error("no such share")]
    NotFound,
    /// The manage token is not this share's.
    #[error("the manage token does not fit the share")]
    WrongLink,
    /// Over the rate limit for this address.
    #[error("too many requests from this address")]
    RateLimited,
    /// No answer from the server.
    #[error("the server could not be reached")]
    Unreachable,
    /// The server's answer is not the protocol's.
    #[error("the server's answer was not understood: {0}")]
    Malformed(String),
    /// Any other refusal, in the server's words.
    #[error("the server refused: {0}")]
    Refused(String),
}

impl From<ApiError> for ManageError {
    fn from(error: ApiError) -> Self {
        let status = match &error {
            ApiError::Network(_) => return ManageError::Unreachable,
            ApiError::Malformed(detail) => return ManageError::Malformed(detail.clone()),
            ApiError::Status { status, .. } => *status,
        };
        match (status, error.code()) {
            (404, _) => ManageError::NotFound,
            (401 | 403, _) => ManageError::WrongLink,
            (429, _) | (_, Some(ErrorCode::RateLimited)) => ManageError::RateLimited,
            _ => ManageError::Refused(error.server_message()),
        }
    }
}

/// True for the states in which revoking still changes something.
pub fn can_revoke(state: ShareState) -> bool {
    matches!(
        state,
        ShareState::Ready | ShareState::Uploading | ShareState::Locked
    )
}

/// Reads the share's state and hands it to `on_done`.
pub fn status(id: String, on_done: impl FnOnce(Result<ManageStatus, ManageError>) + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move { on_done(engine::status(&id).await) });
}

/// Revokes the share, then hands its new state to `on_done`.
pub fn revoke(id: String, on_done: impl FnOnce(Result<ManageStatus, ManageError>) + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move { on_done(engine::revoke(&id).await) });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ots_proto::ErrorBody;

    fn status(status: u16, code: Option<ErrorCode>) -> ApiError {
        ApiError::Status {
            status,
            body: code.map(|c| ErrorBody::new(c, "words")),
        }
    }

    #[test]
    fn refusals_map_to_their_own_states() {
        assert_eq!(
            ManageError::from(status(404, Some(ErrorCode::NotFound))),
            ManageError::NotFound
        );
        assert_eq!(
            ManageError::from(status(401, Some(ErrorCode::BadToken))),
            ManageError::WrongLink
        );
        assert_eq!(
            ManageError::from(status(429, None)),
            ManageError::RateLimited
        );
        assert_eq!(
            ManageError::from(ApiError::Network("down".into())),
            ManageError::Unreachable
        );
        assert_eq!(
            ManageError::from(status(500, Some(ErrorCode::Internal))),
            ManageError::Refused("words (500)".into())
        );
    }

    #[test]
    fn only_live_shares_can_be_revoked() {
        let live: Vec<_> = ShareState::ALL
            .into_iter()
            .filter(|s| can_revoke(*s))
            .collect();
        assert_eq!(
            live,
            [ShareState::Uploading, ShareState::Ready, ShareState::Locked]
        );
    }
}
