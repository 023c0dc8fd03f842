//! The receive flow: the share's public facts, the stages of claiming,
//! downloading and decrypting, what opening gave, and every way it can
//! fail. The page (`page.rs`) talks only to this module; the browser side
//! is `engine.rs`.
//!
//! Reading the facts changes nothing on the server; only [`open`] claims.

#[cfg(feature = "hydrate")]
mod engine;
pub mod page;

use ots_proto::{plaintext_size, safe_file_name, ErrorCode, KdfParams, Meta, MetaKind, ShareInfo};

use crate::failure::{ApiError, BrowserError};

pub use ots_proto::GoneReason;

/// Texts larger than this are saved as a file instead of shown in the page.
pub const TEXT_SHOW_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// What the share link's page shows before anything is claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// Plaintext bytes.
    pub size: u64,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// Claims left.
    pub downloads_left: u32,
    /// The password's Argon2id cost, unchecked until [`open`] uses it.
    kdf: Option<KdfParams>,
}

impl Facts {
    /// The facts of an info answer. A size no payload can have is shown as
    /// is; the claim finds such a share damaged.
    fn from_info(info: ShareInfo) -> Self {
        Facts {
            size: plaintext_size(info.size).unwrap_or(info.size),
            expires_at: info.expires_at,
            downloads_left: info.downloads_left,
            kdf: info.kdf,
        }
    }

    /// True when the share has a password.
    pub fn needs_password(&self) -> bool {
        self.kdf.is_some()
    }
}

/// Where the recipient is, for the progress bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stage {
    /// Argon2id in the worker.
    DerivingKey,
    /// Asking the server for a ticket.
    Claiming,
    /// Downloading and decrypting.
    Downloading {
        /// Payload bytes so far.
        done: u64,
        /// Payload bytes in all.
        total: u64,
        /// Milliseconds since the download began.
        elapsed_ms: f64,
    },
    /// The connection broke; resuming from where it stopped.
    Resuming {
        /// Which attempt this is.
        attempt: u32,
        /// Payload bytes so far.
        done: u64,
        /// Payload bytes in all.
        total: u64,
        /// Milliseconds since the download began.
        elapsed_ms: f64,
    },
}

/// What opening a share gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opened {
    /// A text, to show in a read-only box.
    Text(String),
    /// A file handed to the browser as a download.
    File {
        /// The sanitized name it was saved under.
        name: String,
        /// Plaintext bytes.
        size: u64,
        /// Object URL of the file, for a "save again" link.
        url: String,
        /// True when it was streamed through the private file system.
        on_disk: bool,
    },
}

/// Why a share could not be opened; each has its own state on the page.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum OpenError {
    /// Consumed, expired, revoked or removed.
    #[error("the share is gone ({})", .0.as_str())]
    Gone(GoneReason),
    /// The server does not know the share (or the id is malformed).
    #[error("no such share")]
    NotFound,
    /// Locked after too many wrong passwords.
    #[error("the share is locked")]
    Locked,
    /// The key in the link is not this share's.
    #[error("the link's key does not fit the share")]
    WrongLink,
    /// The link has no key after `#`, or a malformed one.
    #[error("the link has no valid key")]
    BadLink,
    /// The password is wrong.
    #[error("wrong password, {attempts_left} attempts left")]
    BadPassword {
        /// Wrong passwords still allowed before the share locks.
        attempts_left: u32,
    },
    /// The share has a password and none was given.
    #[error("the share needs a password")]
    PasswordMissing,
    /// The share asks for an Argon2id cost outside the protocol's bounds.
    #[error("the share's key derivation cost is outside the protocol's bounds")]
    KdfOutOfBounds,
    /// The sender is still uploading.
    #[error("the share is not ready yet")]
    NotReady,
    /// Authentication failed: nothing was kept.
    #[error("the share is damaged or the key is wrong")]
    Damaged,
    /// The download ticket died before the download ended.
    #[error("the download ticket expired")]
    TicketExpired,
    /// The download broke off too often (or used up its ticket).
    #[error("the download kept breaking off")]
    DownloadBroken,
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
    /// The browser could not derive the key, draw randomness or save.
    #[error(transparent)]
    Browser(#[from] BrowserError),
}

impl From<ApiError> for OpenError {
    fn from(error: ApiError) -> Self {
        let status = match &error {
            ApiError::Network(_) => return OpenError::Unreachable,
            ApiError::Malformed(detail) => return OpenError::Malformed(detail.clone()),
            ApiError::Status { status, .. } => *status,
        };
        let body = error.body();
        match (status, error.code()) {
            (_, Some(ErrorCode::BadPassword)) => OpenError::BadPassword {
                attempts_left: body.and_then(|b| b.attempts_left).unwrap_or(0),
            },
            (_, Some(ErrorCode::TicketExhausted)) => OpenError::DownloadBroken,
            (_, Some(ErrorCode::RateLimited)) | (429, None) => OpenError::RateLimited,
            (410, _) | (_, Some(ErrorCode::Gone)) => {
                OpenError::Gone(body.and_then(|b| b.reason).unwrap_or(GoneReason::Consumed))
            }
            (404, _) => OpenError::NotFound,
            (423, _) => OpenError::Locked,
            (403, _) => OpenError::WrongLink,
            (409, _) => OpenError::NotReady,
            _ => OpenError::Refused(error.server_message()),
        }
    }
}

/// Reads the share's public facts (nothing changes on the server) and
/// hands them, or the state that ends the visit, to `on_done`.
pub fn facts(id: String, on_done: impl FnOnce(Result<Facts, OpenError>) + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move { on_done(engine::facts(&id).await) });
}

/// Claims the share (one download used), downloads and decrypts it,
/// reporting each stage, and hands what it gave to `on_done`.
pub fn open(
    id: String,
    facts: Facts,
    password: String,
    on_stage: impl Fn(Stage) + 'static,
    on_done: impl FnOnce(Result<Opened, OpenError>) + 'static,
) {
    if facts.needs_password() && password.is_empty() {
        on_done(Err(OpenError::PasswordMissing));
    } else {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            on_done(engine::open(&id, facts.kdf, &password, on_stage).await)
        });
    }
}

/// True for a text small enough to show in the page; anything else is saved.
fn shows_as_text(meta: &Meta) -> bool {
    meta.kind == MetaKind::Text && meta.size <= TEXT_SHOW_MAX_BYTES
}

/// The name a received share is saved under: the sender's name made safe
/// (it is untrusted), `secret.txt` for a text too large to show. Several
/// files (protocol 1.1) arrive as their ZIP archive.
fn saved_name(meta: &Meta) -> String {
    match meta.kind {
        MetaKind::Text => "secret.txt".to_string(),
        MetaKind::File => safe_file_name(&meta.name),
        MetaKind::Files => {
            let name = safe_file_name(&meta.name);
            if name.to_ascii_lowercase().ends_with(".zip") {
                name
            } else {
                format!("{name}.zip")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ots_proto::{ErrorBody, FileEntry};

    fn status(status: u16, body: Option<ErrorBody>) -> ApiError {
        ApiError::Status { status, body }
    }

    #[test]
    fn gone_answers_keep_their_reason() {
        for reason in [
            GoneReason::Consumed,
            GoneReason::Expired,
            GoneReason::Revoked,
            GoneReason::Removed,
        ] {
            let mut body = ErrorBody::new(ErrorCode::Gone, "gone");
            body.reason = Some(reason);
            assert_eq!(
                OpenError::from(status(410, Some(body))),
                OpenError::Gone(reason)
            );
        }
        assert_eq!(
            OpenError::from(status(410, None)),
            OpenError::Gone(GoneReason::Consumed)
        );
    }

    #[test]
    fn claim_refusals_map_to_their_own_states() {
        let mut body = ErrorBody::new(ErrorCode::BadPassword, "wrong");
        body.attempts_left = Some(3);
        assert_eq!(
            OpenError::from(status(401, Some(body))),
            OpenError::BadPassword { attempts_left: 3 }
        );
        let code = |status_code, code| status(status_code, Some(ErrorBody::new(code, "")));
        assert_eq!(
            OpenError::from(code(403, ErrorCode::BadLink)),
            OpenError::WrongLink
        );
        assert_eq!(
            OpenError::from(code(423, ErrorCode::Locked)),
            OpenError::Locked
        );
        assert_eq!(
            OpenError::from(code(404, ErrorCode::NotFound)),
            OpenError::NotFound
        );
        assert_eq!(
            OpenError::from(code(409, ErrorCode::NotReady)),
            OpenError::NotReady
        );
        assert_eq!(
            OpenError::from(code(429, ErrorCode::RateLimited)),
            OpenError::RateLimited
        );
        assert_eq!(
            OpenError::from(code(429, ErrorCode::TicketExhausted)),
            OpenError::DownloadBroken
        );
        assert_eq!(
            OpenError::from(ApiError::Network("reset".into())),
            OpenError::Unreachable
        );
        assert_eq!(
            OpenError::from(status(500, None)),
            OpenError::Refused("status 500".into())
        );
    }

    #[test]
    fn facts_show_the_plaintext_size() {
        let info = ShareInfo {
            v: 1,
            size: ots_proto::payload_size(5),
            expires_at: "2026-01-01T00:00:00Z".into(),
            downloads_left: 2,
            kdf: Some(KdfParams::DEFAULT),
        };
        let facts = Facts::from_info(info);
        assert_eq!(facts.size, 5);
        assert!(facts.needs_password());
    }

    #[test]
    fn open_asks_for_a_missing_password_before_anything_else() {
        let facts = Facts {
            size: 1,
            expires_at: String::new(),
            downloads_left: 1,
            kdf: Some(KdfParams::DEFAULT),
        };
        let result = std::rc::Rc::new(std::cell::RefCell::new(None));
        let slot = result.clone();
        open(
            "id".into(),
            facts,
            String::new(),
            |_| {},
            move |r| *slot.borrow_mut() = Some(r),
        );
        assert_eq!(*result.borrow(), Some(Err(OpenError::PasswordMissing)));
    }

    #[test]
    fn only_small_texts_are_shown() {
        assert!(shows_as_text(&Meta::text(TEXT_SHOW_MAX_BYTES)));
        assert!(!shows_as_text(&Meta::text(TEXT_SHOW_MAX_BYTES + 1)));
        assert!(!shows_as_text(&Meta::file("a.txt", "text/plain", 1)));
    }

    #[test]
    fn saved_names_are_safe_and_several_files_save_as_their_zip() {
        assert_eq!(
            saved_name(&Meta::file("<svg onload=alert(1)>.html", "text/html", 1)),
            "_svg onload=alert(1)_.html"
        );
        assert_eq!(saved_name(&Meta::file("../../x", "", 1)), "_.._x");
        assert_eq!(saved_name(&Meta::text(5 << 20)), "secret.txt");
        let files = vec![FileEntry {
            name: "../a.txt".into(),
            size: 1,
        }];
        assert_eq!(
            saved_name(&Meta::files("photos.zip", 9, files.clone())),
            "photos.zip"
        );
        assert_eq!(
            saved_name(&Meta::files("photos", 9, files.clone())),
            "photos.zip"
        );
        assert_eq!(
            saved_name(&Meta::files("", 9, files)),
            format!("{}.zip", ots_proto::FALLBACK_FILE_NAME)
        );
    }
}
