//! The send flow: what the sender chose, the stages of sealing and
//! uploading, the links it ends with, and every way it can fail. The page
//! (`page.rs`) talks only to this module; the browser side is `engine.rs`.

#[cfg(feature = "hydrate")]
mod engine;
pub mod page;

use leptos::ev::Event;
use ots_proto::{max_plaintext_for, payload_size, ErrorCode};

use crate::failure::{ApiError, BrowserError};

pub use ots_proto::MAX_DOWNLOADS;

/// The expiry choices of the send page, in seconds, with their labels; all
/// within the protocol's bounds.
pub const EXPIRY_CHOICES: [(u32, &str); 7] = [
    (300, "5 minutes"),
    (3_600, "1 hour"),
    (21_600, "6 hours"),
    (86_400, "1 day"),
    (259_200, "3 days"),
    (432_000, "5 days"),
    (604_800, "7 days"),
];

/// The expiry offered first: one day.
pub const DEFAULT_EXPIRY_SECS: u32 = 86_400;

/// Name and size of the chosen file; the file itself stays with the
/// browser side until it is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickedFile {
    /// The file's name on the sender's disk.
    pub name: String,
    /// Its bytes.
    pub size: u64,
}

/// What the sender shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A text typed or pasted in the page.
    Text(String),
    /// The file tab, with the chosen file if there is one.
    File(Option<PickedFile>),
}

impl Content {
    /// Plaintext bytes.
    pub fn size(&self) -> u64 {
        match self {
            Content::Text(text) => text.len() as u64,
            Content::File(file) => file.as_ref().map_or(0, |f| f.size),
        }
    }
}

/// Everything the sender chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The text or file.
    pub content: Content,
    /// Seconds until expiry.
    pub expires_in: u32,
    /// Downloads allowed.
    pub max_downloads: u32,
    /// Empty for none.
    pub password: String,
    /// Show the link and its key as two things, to send over two channels.
    pub key_apart: bool,
}

/// Where the sender is, for the progress bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stage {
    /// Argon2id in the worker.
    DerivingKey,
    /// Encrypting and uploading: payload bytes stored so far, of the total.
    Uploading {
        /// Payload bytes the server has.
        done: u64,
        /// Payload bytes in all.
        total: u64,
        /// Milliseconds since the upload began.
        elapsed_ms: f64,
    },
    /// The network dropped; a part is being sent again.
    Retrying {
        /// Which attempt this is.
        attempt: u32,
        /// Payload bytes the server has.
        done: u64,
        /// Payload bytes in all.
        total: u64,
        /// Milliseconds since the upload began.
        elapsed_ms: f64,
    },
    /// Waiting for the server to confirm every part.
    Completing {
        /// Payload bytes in all.
        total: u64,
        /// Milliseconds since the upload began.
        elapsed_ms: f64,
    },
}

/// The links a finished send shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// `{origin}/s/{id}#{K}`.
    pub share_link: String,
    /// `{origin}/m/{id}#{manage_token}`.
    pub manage_link: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// The sender asked for the key apart from the link.
    pub key_apart: bool,
}

impl Sent {
    /// The share link without its key: `{origin}/s/{id}`.
    pub fn link_without_key(&self) -> &str {
        self.share_link
            .split_once('#')
            .map_or(self.share_link.as_str(), |(link, _)| link)
    }

    /// The key alone: the share link's fragment.
    pub fn key(&self) -> &str {
        self.share_link.split_once('#').map_or("", |(_, key)| key)
    }
}

/// Why a send did not end with links.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SendError {
    /// The text tab is empty.
    #[error("there is no text to send")]
    EmptyText,
    /// The file tab has no file.
    #[error("no file was chosen")]
    NoFile,
    /// Over the server's announced limit; nothing was sent.
    #[error("{size} bytes is over the server's limit of {max} per share")]
    TooLarge {
        /// Plaintext bytes of the content.
        size: u64,
        /// The largest plaintext the server accepts.
        max: u64,
    },
    /// The server refused the size (`413`).
    #[error("the server refused the size")]
    ServerTooLarge,
    /// The sealed name and type are over the protocol's meta limit.
    #[error("the file name is too long to seal")]
    NameTooLong,
    /// This server takes shares only from holders of a create token.
    #[error("this server requires a create token")]
    CreateTokenRequired,
    /// The server is out of storage (`507`).
    #[error("the server is out of storage")]
    StorageFull,
    /// Over the rate limit for this address (`429`).
    #[error("too many requests from this address")]
    RateLimited,
    /// The server is busy or its store unavailable (`503`).
    #[error("the server is busy")]
    Busy,
    /// No answer from the server, even after retries.
    #[error("the server could not be reached")]
    Unreachable,
    /// The server is missing parts at complete.
    #[error("the server is missing parts {missing:?}")]
    Incomplete {
        /// Indexes of the missing parts.
        missing: Vec<u64>,
    },
    /// The sealed payload did not come out at the announced size (a bug,
    /// never a user's doing).
    #[error("the encrypted size did not match the announced size")]
    SizeMismatch,
    /// The server's answer is not the protocol's.
    #[error("the server's answer was not understood: {0}")]
    Malformed(String),
    /// Any other refusal, in the server's words.
    #[error("the server refused: {0}")]
    Refused(String),
    /// The browser could not read the file, derive a key or draw randomness.
    #[error(transparent)]
    Browser(#[from] BrowserError),
}

impl From<ApiError> for SendError {
    fn from(error: ApiError) -> Self {
        match (&error, error.code()) {
            (ApiError::Network(_), _) => SendError::Unreachable,
            (ApiError::Malformed(detail), _) => SendError::Malformed(detail.clone()),
            (_, Some(ErrorCode::TooLarge)) | (ApiError::Status { status: 413, .. }, _) => {
                SendError::ServerTooLarge
            }
            (_, Some(ErrorCode::TokenRequired)) => SendError::CreateTokenRequired,
            (_, Some(ErrorCode::StorageFull)) | (ApiError::Status { status: 507, .. }, _) => {
                SendError::StorageFull
            }
            (_, Some(ErrorCode::RateLimited)) | (ApiError::Status { status: 429, .. }, _) => {
                SendError::RateLimited
            }
            (_, Some(ErrorCode::Busy | ErrorCode::Unavailable))
            | (ApiError::Status { status: 503, .. }, _) => SendError::Busy,
            (_, Some(ErrorCode::Incomplete)) => SendError::Incomplete {
                missing: error
                    .body()
                    .and_then(|b| b.missing.clone())
                    .unwrap_or_default(),
            },
            _ => SendError::Refused(error.server_message()),
        }
    }
}

/// The largest plaintext the server takes, when it said: what the page
/// offers as "Up to … per share".
pub fn size_limit() -> Option<u64> {
    crate::site::max_share_bytes().map(max_plaintext_for)
}

/// Checks a request before anything leaves the page: something to send,
/// and not over the server's limit (`max_payload`, payload bytes).
pub fn check(request: &Request, max_payload: Option<u64>) -> Result<(), SendError> {
    match &request.content {
        Content::Text(text) if text.is_empty() => return Err(SendError::EmptyText),
        Content::File(None) => return Err(SendError::NoFile),
        _ => {}
    }
    let size = request.content.size();
    match max_payload {
        Some(max) if payload_size(size) > max => Err(SendError::TooLarge {
            size,
            max: max_plaintext_for(max),
        }),
        _ => Ok(()),
    }
}

/// The file a file input's `change` or a `drop` carries, remembered for
/// the send; `None` when the event has none.
pub fn pick(event: &Event) -> Option<PickedFile> {
    #[cfg(feature = "hydrate")]
    {
        engine::pick(event)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Checks, seals and stores `request` in the browser, reporting each stage,
/// then hands the links (or the reason there are none) to `on_done`.
pub fn start(
    request: Request,
    on_stage: impl Fn(Stage) + 'static,
    on_done: impl FnOnce(Result<Sent, SendError>) + 'static,
) {
    if let Err(e) = check(&request, crate::site::max_share_bytes()) {
        on_done(Err(e));
    } else {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move { on_done(engine::send(request, on_stage).await) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ots_proto::{ErrorBody, EXPIRES_IN_MAX_SECS, EXPIRES_IN_MIN_SECS};

    fn request(content: Content) -> Request {
        Request {
            content,
            expires_in: DEFAULT_EXPIRY_SECS,
            max_downloads: 1,
            password: String::new(),
            key_apart: false,
        }
    }

    fn file(size: u64) -> Content {
        Content::File(Some(PickedFile {
            name: "a.bin".into(),
            size,
        }))
    }

    #[test]
    fn check_refuses_an_empty_text_and_a_missing_file() {
        assert_eq!(
            check(&request(Content::Text(String::new())), None),
            Err(SendError::EmptyText)
        );
        assert_eq!(
            check(&request(Content::File(None)), None),
            Err(SendError::NoFile)
        );
        assert_eq!(check(&request(Content::Text("hi".into())), None), Ok(()));
    }

    #[test]
    fn check_refuses_what_the_server_would_not_take() {
        let max = payload_size(1000);
        assert_eq!(check(&request(file(1000)), Some(max)), Ok(()));
        assert_eq!(
            check(&request(file(1001)), Some(max)),
            Err(SendError::TooLarge {
                size: 1001,
                max: 1000
            })
        );
        assert_eq!(check(&request(file(u64::MAX / 2)), None), Ok(()));
    }

    #[test]
    fn server_refusals_map_to_their_own_errors() {
        let status = |status, code: Option<ErrorCode>| ApiError::Status {
            status,
            body: code.map(|c| ErrorBody::new(c, "words")),
        };
        assert_eq!(
            SendError::from(status(413, None)),
            SendError::ServerTooLarge
        );
        assert_eq!(
            SendError::from(status(401, Some(ErrorCode::TokenRequired))),
            SendError::CreateTokenRequired
        );
        assert_eq!(
            SendError::from(status(507, Some(ErrorCode::StorageFull))),
            SendError::StorageFull
        );
        assert_eq!(
            SendError::from(status(429, Some(ErrorCode::RateLimited))),
            SendError::RateLimited
        );
        assert_eq!(
            SendError::from(status(503, Some(ErrorCode::Busy))),
            SendError::Busy
        );
        assert_eq!(
            SendError::from(ApiError::Network("reset".into())),
            SendError::Unreachable
        );
        let mut body = ErrorBody::new(ErrorCode::Incomplete, "parts missing");
        body.missing = Some(vec![2, 5]);
        assert_eq!(
            SendError::from(ApiError::Status {
                status: 409,
                body: Some(body)
            }),
            SendError::Incomplete {
                missing: vec![2, 5]
            }
        );
        assert_eq!(
            SendError::from(status(400, Some(ErrorCode::Invalid))),
            SendError::Refused("words (400)".into())
        );
    }

    #[test]
    fn a_share_link_splits_into_the_link_and_its_key() {
        let sent = Sent {
            share_link: "https://ots.example/s/AAAAAAAAAAAAAAAAAAAAAA#a-key_1".into(),
            manage_link: String::new(),
            expires_at: String::new(),
            key_apart: true,
        };
        assert_eq!(
            sent.link_without_key(),
            "https://ots.example/s/AAAAAAAAAAAAAAAAAAAAAA"
        );
        assert_eq!(sent.key(), "a-key_1");
    }

    #[test]
    fn expiry_choices_are_within_the_protocol_bounds() {
        for (secs, _) in EXPIRY_CHOICES {
            assert!((EXPIRES_IN_MIN_SECS..=EXPIRES_IN_MAX_SECS).contains(&secs));
        }
        assert!(EXPIRY_CHOICES
            .iter()
            .any(|(secs, _)| *secs == DEFAULT_EXPIRY_SECS));
    }
}
