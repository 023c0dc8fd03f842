//! The one error type of `ots`, and the exit code of each kind of failure.

use std::{fmt, path::PathBuf};

use ots_proto::{GoneReason, ShareState};

/// Process exit codes (cli/README.md, "Exit codes").
pub mod exit {
    /// Anything not listed below: network, disk, server errors.
    pub const OTHER: u8 = 1;
    /// Bad flags or a malformed link.
    pub const USAGE: u8 = 2;
    /// The share is gone (consumed, expired, revoked, removed) or was never there.
    pub const GONE: u8 = 3;
    /// Wrong password, or the share is locked after too many of them.
    pub const PASSWORD: u8 = 4;
    /// The ciphertext did not authenticate.
    pub const DAMAGED: u8 = 5;
    /// `--extract` refused the archive: an entry was unsafe or malformed.
    pub const UNSAFE_ARCHIVE: u8 = 6;
    /// `status --wait`: the share expired, was revoked or removed (the same
    /// number as [`USAGE`], as scripts were promised).
    pub const ENDED: u8 = 2;
}

/// The step of a conversation with the server that failed; named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `GET /config`.
    Config,
    /// `POST /shares`.
    Create,
    /// `PUT /shares/{id}/parts/{index}`.
    UploadPart(u64),
    /// `POST /shares/{id}/complete`.
    Complete,
    /// `GET /shares/{id}`.
    Info,
    /// `POST /shares/{id}/claim`.
    Claim,
    /// `GET /shares/{id}/blob`.
    Download,
    /// `DELETE /shares/{id}/blob`.
    Release,
    /// `GET /shares/{id}/manage`.
    Status,
    /// `DELETE /shares/{id}`.
    Revoke,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Config => f.write_str("reading the server's settings"),
            Step::Create => f.write_str("creating the share"),
            Step::UploadPart(i) => write!(f, "uploading part {i}"),
            Step::Complete => f.write_str("completing the upload"),
            Step::Info => f.write_str("reading the share's info"),
            Step::Claim => f.write_str("claiming the share"),
            Step::Download => f.write_str("downloading the share"),
            Step::Release => f.write_str("releasing the ciphertext"),
            Step::Status => f.write_str("reading the share's status"),
            Step::Revoke => f.write_str("revoking the share"),
        }
    }
}

/// Everything that can go wrong in `ots`. Each variant maps to one exit code
/// ([`Error::exit_code`]); its message is one human line, and never holds a
/// key, token, password or any content.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flags that do not fit together, or a missing input.
    #[error("{0}")]
    Usage(String),

    /// A link that is not a OneTimeShare link of the expected kind.
    #[error("not a valid {kind} link: {reason}")]
    MalformedLink {
        /// "share" or "manage".
        kind: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// `410 gone`: consumed, expired, revoked or removed.
    #[error("the share is gone{}", fmt_reason(.reason))]
    Gone {
        /// The server's `reason`, when it gave one this client knows.
        reason: Option<GoneReason>,
    },

    /// `404 not_found`: the server does not know this share (any more).
    #[error("no such share on this server (it may have expired long ago)")]
    NotFound,

    /// `403 bad_link`: the link's key does not belong to this share.
    #[error("the link's key does not match this share (is the link complete?)")]
    WrongLink,

    /// `401 bad_password`.
    #[error("wrong password ({attempts_left} attempts left before the share locks)")]
    BadPassword {
        /// Attempts before the share locks for good.
        attempts_left: u32,
    },

    /// `423 locked`: too many wrong passwords.
    #[error("the share is locked after too many wrong passwords")]
    Locked,

    /// A password is required but none could be obtained.
    #[error(
        "this share needs a password: set OTS_PASSWORD, pass --password-file, or run in a terminal"
    )]
    PasswordNeeded,

    /// The meta record or the payload did not authenticate, or has a shape no
    /// honest sender produces (protocol §4: one vague error on purpose).
    #[error("the share is damaged or the key is wrong")]
    Damaged,

    /// `409 not_ready`: the sender is still uploading.
    #[error("the share is still being uploaded; try again in a moment")]
    NotReady,

    /// `401 token_required` at create, or a server whose settings say so.
    #[error("this server requires a create token (--token or OTS_CREATE_TOKEN)")]
    TokenRequired,

    /// `403 bad_token` at create.
    #[error("the create token was refused")]
    TokenRefused,

    /// `507 storage_full`: the server's storage quota is reached.
    #[error("{step}: the server is full, try again later")]
    StorageFull {
        /// The step that failed.
        step: Step,
    },

    /// The server answered with a redirect; API calls never follow one,
    /// since it would carry tokens to another place.
    #[error(
        "{step}: the server answered {status} redirecting to {target}; ots does not follow redirects (they could carry the share's tokens elsewhere): use that server's address if you trust it"
    )]
    Redirect {
        /// The step that failed.
        step: Step,
        /// The HTTP status (3xx).
        status: u16,
        /// The host (and port) the redirect points at.
        target: String,
    },

    /// `status --wait`: the share ended while waiting (or had already).
    #[error("the share {}", ended(.0))]
    Ended(ShareState),

    /// `status --wait`: the server no longer knows the share.
    #[error("the server no longer knows the share (it expired long ago or was removed)")]
    Forgotten,

    /// `--extract` refused the archive; nothing was extracted.
    #[error("refused to extract: {why}; nothing was extracted{}", fmt_kept(.kept))]
    UnsafeArchive {
        /// The entry and what is wrong with it.
        why: String,
        /// Where the authenticated archive was saved instead, if it was.
        kept: Option<PathBuf>,
    },

    /// `--extract` met something in the folder that is in its way (a file
    /// without `--force`, a link, a folder where a file goes).
    #[error("{what}; nothing was extracted{}", fmt_kept(.kept))]
    ExtractConflict {
        /// What is in the way.
        what: String,
        /// Where the authenticated archive was saved instead, if it was.
        kept: Option<PathBuf>,
    },

    /// The output file exists and `--force` was not given.
    #[error("{} already exists (use --force to overwrite it)", .0.display())]
    Exists(PathBuf),

    /// The request did not reach the server, or its answer broke off.
    #[error("{step}: {detail}")]
    Network {
        /// The step that failed.
        step: Step,
        /// What reqwest reported, with its causes, on one line.
        detail: String,
    },

    /// Any other error answer of the server.
    #[error("{step}: the server answered {status} {code}{}", fmt_message(.message))]
    Server {
        /// The step that failed.
        step: Step,
        /// The HTTP status.
        status: u16,
        /// The protocol's error code, e.g. `invalid`.
        code: String,
        /// The server's human message, if any.
        message: String,
    },

    /// The server said something the protocol does not allow.
    #[error("{step}: the server broke the protocol: {what}")]
    Protocol {
        /// The step that failed.
        step: Step,
        /// What was wrong.
        what: String,
    },

    /// A local file or stream could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, e.g. "reading report.pdf".
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// The crypto layer failed for a reason other than authentication
    /// (random number generator, Argon2id memory, oversized meta).
    #[error("{0}")]
    Crypto(ots_crypto::Error),

    /// Ctrl-C, or a pipeline stage that stopped because another failed.
    #[error("interrupted")]
    Interrupted,

    /// A worker thread of `ots` itself died (a bug).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

fn fmt_reason(reason: &Option<GoneReason>) -> String {
    match reason {
        None => String::new(),
        Some(GoneReason::Consumed) => ": every download was used (consumed)".into(),
        Some(GoneReason::Expired) => ": it expired".into(),
        Some(GoneReason::Revoked) => ": its sender revoked it".into(),
        Some(GoneReason::Removed) => ": the server's operator removed it".into(),
    }
}

fn ended(state: &ShareState) -> &'static str {
    match state {
        ShareState::Expired => "expired",
        ShareState::Revoked => "was revoked",
        ShareState::Removed => "was removed by the server's operator",
        ShareState::Consumed => "was consumed",
        ShareState::Locked => "is locked",
        ShareState::Uploading | ShareState::Ready => "is still there",
    }
}

fn fmt_kept(kept: &Option<PathBuf>) -> String {
    kept.as_ref().map_or_else(String::new, |path| {
        format!("; the archive is saved as {}", path.display())
    })
}

fn fmt_message(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

impl Error {
    /// The exit code of this error (cli/README.md).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_)
            | Error::MalformedLink { .. }
            | Error::PasswordNeeded
            | Error::TokenRequired
            | Error::TokenRefused => exit::USAGE,
            Error::Ended(_) | Error::Forgotten => exit::ENDED,
            Error::UnsafeArchive { .. } => exit::UNSAFE_ARCHIVE,
            Error::Gone { .. } | Error::NotFound | Error::WrongLink => exit::GONE,
            Error::BadPassword { .. } | Error::Locked => exit::PASSWORD,
            Error::Damaged => exit::DAMAGED,
            Error::Crypto(ots_crypto::Error::Decrypt) => exit::DAMAGED,
            Error::NotReady
            | Error::Exists(_)
            | Error::ExtractConflict { .. }
            | Error::StorageFull { .. }
            | Error::Redirect { .. }
            | Error::Network { .. }
            | Error::Server { .. }
            | Error::Protocol { .. }
            | Error::Io { .. }
            | Error::Crypto(_)
            | Error::Interrupted
            | Error::Internal(_) => exit::OTHER,
        }
    }

    /// An I/O error while doing `what`.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }

    /// A reqwest error during `step`, with its chain of causes on one line.
    pub fn network(step: Step, err: reqwest::Error) -> Error {
        Error::Network {
            step,
            detail: error_chain(&err),
        }
    }

    /// A protocol violation by the server during `step`.
    pub fn protocol(step: Step, what: impl Into<String>) -> Error {
        Error::Protocol {
            step,
            what: what.into(),
        }
    }
}

impl From<ots_crypto::Error> for Error {
    fn from(err: ots_crypto::Error) -> Self {
        match err {
            ots_crypto::Error::Decrypt | ots_crypto::Error::MetaJson => Error::Damaged,
            other => Error::Crypto(other),
        }
    }
}

/// `err` and its causes joined with ": ", skipping a cause whose text the
/// previous one already contains (reqwest and hyper repeat themselves).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_issue() {
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(
            Error::MalformedLink {
                kind: "share",
                reason: "x".into()
            }
            .exit_code(),
            2
        );
        assert_eq!(
            Error::Gone {
                reason: Some(GoneReason::Consumed)
            }
            .exit_code(),
            3
        );
        assert_eq!(Error::NotFound.exit_code(), 3);
        assert_eq!(Error::BadPassword { attempts_left: 2 }.exit_code(), 4);
        assert_eq!(Error::Locked.exit_code(), 4);
        assert_eq!(Error::Damaged.exit_code(), 5);
        assert_eq!(Error::from(ots_crypto::Error::Decrypt).exit_code(), 5);
        assert_eq!(Error::Exists(PathBuf::from("a")).exit_code(), 1);
        assert_eq!(Error::Interrupted.exit_code(), 1);
    }

    #[test]
    fn wrong_password_message_shows_attempts_left() {
        let line = Error::BadPassword { attempts_left: 3 }.to_string();
        assert!(line.contains("3 attempts left"), "{line}");
    }

    #[test]
    fn server_error_is_one_line_naming_the_step() {
        let e = Error::Server {
            step: Step::UploadPart(4),
            status: 400,
            code: "bad_part".into(),
            message: "wrong length".into(),
        };
        assert_eq!(
            e.to_string(),
            "uploading part 4: the server answered 400 bad_part: wrong length"
        );
    }
}
