//! The receive flow: the share's public facts, the stages of claiming,
//! downloading and decrypting, what opening gave, and every way it can
//! fail. The page (`page.rs`) talks only to this module; the browser side
//! is `engine.rs`.
//!
//! Reading the facts changes nothing on the server; only [`open`] claims.
//!
//! The key is read from the link's fragment, which is then removed from
//! the address bar (protocol §1), or typed by the recipient when it was
//! sent apart from the link. It stays in the page's memory only.

mod archive;
#[cfg(feature = "hydrate")]
mod engine;
pub mod page;

use ots_proto::{
    archive_file_name, b64, plaintext_size, safe_archive_path, safe_file_name, ErrorCode,
    KdfParams, Meta, MetaKind, ShareInfo,
};

pub use crate::cancel::Cancel;
use crate::failure::{ApiError, BrowserError};
use crate::i18n::{td_string, Locale};

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
    /// True when the page has no key: the link came without its fragment.
    needs_key: bool,
}

impl Facts {
    /// The facts of an info answer. A size no payload can have is shown as
    /// is; the claim finds such a share damaged.
    fn from_info(info: ShareInfo, needs_key: bool) -> Self {
        Facts {
            size: plaintext_size(info.size).unwrap_or(info.size),
            expires_at: info.expires_at,
            downloads_left: info.downloads_left,
            kdf: info.kdf,
            needs_key,
        }
    }

    /// True when the share has a password.
    pub fn needs_password(&self) -> bool {
        self.kdf.is_some()
    }

    /// True when the recipient must type the key (or paste the whole link).
    pub fn needs_key(&self) -> bool {
        self.needs_key
    }

    /// The same facts, asking for the key: the one the page had did not fit.
    pub fn asking_for_key(self) -> Self {
        Facts {
            needs_key: true,
            ..self
        }
    }
}

/// One file of a share of several files, as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedFile {
    /// The sender's name for it, made safe (it is untrusted).
    pub name: String,
    /// Plaintext bytes.
    pub size: u64,
}

/// The files a share of several files holds (protocol 1.1 §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileList {
    /// The files the sealed meta lists, in archive order.
    pub files: Vec<ListedFile>,
    /// Files in the archive that the sealed list leaves out.
    pub more: u64,
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
    /// The claim failed for now (offline, rate-limited, busy); trying again.
    ClaimRetrying {
        /// Which attempt comes next.
        attempt: u32,
        /// Why the last one failed.
        cause: Waiting,
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

/// Why a claim is being tried again: the page says so while it waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// No answer: the browser is offline or the server is out of reach.
    Offline,
    /// Over the claim rate of this address (`429`).
    RateLimited,
    /// The server is busy or briefly unavailable (`5xx`).
    Busy,
}

/// What the page says while a claim waits to be tried again: what
/// happened and what to do (keep the page open; it opens by itself).
pub fn waiting_sentence(locale: Locale, cause: Waiting) -> String {
    match cause {
        Waiting::Offline => td_string!(locale, receive.waiting_offline),
        Waiting::RateLimited => td_string!(locale, receive.waiting_rate_limited),
        Waiting::Busy => td_string!(locale, receive.waiting_busy),
    }
    .to_string()
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
        /// The files inside, for a share of several files (saved as one ZIP).
        files: Option<FileList>,
    },
}

/// Why a share could not be opened; each has its own state on the page.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum OpenError {
    /// Consumed, expired, revoked or removed.
    #[error("the share is gone ({})", .0.as_str())]
    Gone(GoneReason),
    /// Revoked, removed or expired after the claim, during the download.
    #[error("the share went during the download ({})", .0.as_str())]
    GoneWhileDownloading(GoneReason),
    /// The server does not know the share (or the id is malformed).
    #[error("no such share")]
    NotFound,
    /// Locked after too many wrong passwords.
    #[error("the share is locked")]
    Locked,
    /// The key is not this share's (`403 bad_link`); nothing changed.
    #[error("wrong key")]
    WrongLink,
    /// The link has no key after `#`, or a malformed one.
    #[error("the link has no valid key")]
    BadLink,
    /// This tab opened the link before and removed its key from the
    /// address bar; a reload cannot read it again.
    #[error("the link was already opened in this tab")]
    OpenedInTab,
    /// The key field is empty.
    #[error("no key was given")]
    KeyMissing,
    /// What was typed is neither a key nor a link with one.
    #[error("that is not a key")]
    KeyInvalid,
    /// This share's link without its key was pasted instead of the key.
    #[error("that is the link without its key")]
    LinkWithoutKey,
    /// A whole link was pasted, but of another share.
    #[error("that link is for another share")]
    KeyForOtherShare,
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
    /// The recipient cancelled the download; nothing of it was kept.
    #[error("the download was cancelled")]
    Cancelled {
        /// The link allows more downloads after the one this took.
        more: bool,
    },
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

/// What the page tells a recipient about a state that ends the visit (or
/// sends them back to the form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Told {
    /// The state's name, for `data-state`.
    pub state: &'static str,
    /// The card's title.
    pub title: String,
    /// One or two sentences: what happened and what to do next.
    pub detail: String,
}

/// The words, in `locale`, for every way opening a share can fail: what
/// happened and what the recipient can do next.
pub fn told(locale: Locale, error: &OpenError) -> Told {
    let (state, title, detail) = match error {
        OpenError::Gone(GoneReason::Expired) => (
            "expired",
            td_string!(locale, receive.expired_title).to_string(),
            td_string!(locale, receive.expired_detail).to_string(),
        ),
        OpenError::Gone(GoneReason::Revoked) => (
            "revoked",
            td_string!(locale, receive.revoked_title).to_string(),
            td_string!(locale, receive.revoked_detail).to_string(),
        ),
        OpenError::Gone(GoneReason::Removed) => (
            "removed",
            td_string!(locale, receive.removed_title).to_string(),
            td_string!(locale, receive.removed_detail).to_string(),
        ),
        OpenError::Gone(GoneReason::Consumed)
        | OpenError::GoneWhileDownloading(GoneReason::Consumed) => (
            "consumed",
            td_string!(locale, receive.consumed_title).to_string(),
            td_string!(locale, receive.consumed_detail).to_string(),
        ),
        OpenError::GoneWhileDownloading(GoneReason::Expired) => (
            "expired",
            td_string!(locale, receive.stopped_expired_title).to_string(),
            td_string!(locale, receive.stopped_expired_detail).to_string(),
        ),
        OpenError::GoneWhileDownloading(GoneReason::Revoked) => (
            "revoked",
            td_string!(locale, receive.stopped_revoked_title).to_string(),
            td_string!(locale, receive.stopped_revoked_detail).to_string(),
        ),
        OpenError::GoneWhileDownloading(GoneReason::Removed) => (
            "removed",
            td_string!(locale, receive.stopped_removed_title).to_string(),
            td_string!(locale, receive.stopped_removed_detail).to_string(),
        ),
        OpenError::NotFound => (
            "not-found",
            td_string!(locale, receive.not_found_title).to_string(),
            td_string!(locale, receive.not_found_detail).to_string(),
        ),
        OpenError::Locked => (
            "locked",
            td_string!(locale, receive.locked_title).to_string(),
            td_string!(locale, receive.locked_detail).to_string(),
        ),
        OpenError::WrongLink => (
            "wrong-link",
            td_string!(locale, receive.wrong_link_title).to_string(),
            td_string!(locale, receive.wrong_link_detail).to_string(),
        ),
        OpenError::BadLink
        | OpenError::KeyMissing
        | OpenError::KeyInvalid
        | OpenError::LinkWithoutKey
        | OpenError::KeyForOtherShare => (
            "bad-link",
            td_string!(locale, receive.bad_link_title).to_string(),
            td_string!(locale, receive.bad_link_detail).to_string(),
        ),
        OpenError::OpenedInTab => (
            "opened-in-tab",
            td_string!(locale, receive.opened_in_tab_title).to_string(),
            td_string!(locale, receive.opened_in_tab_detail).to_string(),
        ),
        OpenError::BadPassword { attempts_left } => (
            "bad-password",
            td_string!(locale, receive.bad_password_title).to_string(),
            td_string!(locale, receive.bad_password_detail, count = *attempts_left).to_string(),
        ),
        OpenError::PasswordMissing => (
            "bad-password",
            td_string!(locale, receive.password_missing_title).to_string(),
            td_string!(locale, receive.password_missing_detail).to_string(),
        ),
        OpenError::KdfOutOfBounds => (
            "bad-share",
            td_string!(locale, receive.kdf_title).to_string(),
            td_string!(locale, receive.kdf_detail).to_string(),
        ),
        OpenError::NotReady => (
            "not-ready",
            td_string!(locale, receive.not_ready_title).to_string(),
            td_string!(locale, receive.not_ready_detail).to_string(),
        ),
        OpenError::Damaged => (
            "damaged",
            td_string!(locale, receive.damaged_title).to_string(),
            td_string!(locale, receive.damaged_detail).to_string(),
        ),
        OpenError::TicketExpired => (
            "error",
            td_string!(locale, receive.stopped_title).to_string(),
            td_string!(locale, receive.ticket_expired_detail).to_string(),
        ),
        OpenError::Cancelled { more } => (
            "cancelled",
            td_string!(locale, receive.cancelled_title).to_string(),
            if *more {
                td_string!(locale, receive.cancelled_more_detail).to_string()
            } else {
                td_string!(locale, receive.cancelled_last_detail).to_string()
            },
        ),
        OpenError::DownloadBroken => (
            "error",
            td_string!(locale, receive.stopped_title).to_string(),
            td_string!(locale, receive.download_broken_detail).to_string(),
        ),
        OpenError::RateLimited => (
            "error",
            td_string!(locale, receive.rate_limited_title).to_string(),
            td_string!(locale, receive.rate_limited_detail).to_string(),
        ),
        OpenError::Unreachable => (
            "error",
            td_string!(locale, receive.unreachable_title).to_string(),
            td_string!(locale, receive.unreachable_detail).to_string(),
        ),
        OpenError::Malformed(_) => (
            "error",
            td_string!(locale, receive.went_wrong_title).to_string(),
            td_string!(locale, receive.malformed_detail).to_string(),
        ),
        OpenError::Refused(words) => (
            "error",
            td_string!(locale, receive.went_wrong_title).to_string(),
            td_string!(locale, receive.refused_detail, words = words).to_string(),
        ),
        OpenError::Browser(e) => (
            "error",
            td_string!(locale, receive.went_wrong_title).to_string(),
            td_string!(locale, receive.browser_detail, error = e).to_string(),
        ),
    };
    Told {
        state,
        title,
        detail,
    }
}

/// True for a key refused in the key field (the form comes back with
/// [`key_problem`] under it), false for a failure that ends the visit.
pub fn is_key_problem(error: &OpenError) -> bool {
    matches!(
        error,
        OpenError::WrongLink
            | OpenError::KeyMissing
            | OpenError::KeyInvalid
            | OpenError::LinkWithoutKey
            | OpenError::KeyForOtherShare
    )
}

/// The words, in `locale`, under the key field for a key that was refused
/// there, or `None` for a failure that ends the visit instead.
pub fn key_problem(locale: Locale, error: &OpenError) -> Option<String> {
    Some(
        match error {
            OpenError::WrongLink => td_string!(locale, receive.key_wrong),
            OpenError::KeyMissing => td_string!(locale, receive.key_missing),
            OpenError::KeyInvalid => td_string!(locale, receive.key_invalid),
            OpenError::LinkWithoutKey => td_string!(locale, receive.key_link_without_key),
            OpenError::KeyForOtherShare => td_string!(locale, receive.key_other_share),
            _ => return None,
        }
        .to_string(),
    )
}

/// Reads the key from the link's fragment (then removes it from the
/// address bar) and the share's public facts (nothing changes on the
/// server), and hands them, or the state that ends the visit, to `on_done`.
pub fn facts(id: String, on_done: impl FnOnce(Result<Facts, OpenError>) + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move { on_done(engine::facts(&id, false).await) });
}

/// Like [`facts`], but for a tab that opened the link before: the page
/// asks for the key instead of saying so.
pub fn facts_asking_key(id: String, on_done: impl FnOnce(Result<Facts, OpenError>) + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move { on_done(engine::facts(&id, true).await) });
}

/// Claims the share (one download used), downloads and decrypts it,
/// reporting each stage, and hands what it gave to `on_done`. `key` is
/// what the recipient typed when the facts ask for a key, else ignored.
///
/// The answer cancels the download: what was received is thrown away and
/// `on_done` gets [`OpenError::Cancelled`]. The claim itself is not
/// stopped (its download is used once the server answers).
pub fn open(
    id: String,
    facts: Facts,
    key: String,
    password: String,
    on_stage: impl Fn(Stage) + 'static,
    on_done: impl FnOnce(Result<Opened, OpenError>) + 'static,
) -> Cancel {
    let typed = if facts.needs_key() {
        match key_text(&id, &key) {
            Ok(text) => Some(text.to_string()),
            Err(e) => {
                on_done(Err(e));
                return Cancel::default();
            }
        }
    } else {
        None
    };
    if facts.needs_password() && password.is_empty() {
        on_done(Err(OpenError::PasswordMissing));
        return Cancel::default();
    }
    #[cfg(feature = "hydrate")]
    {
        let (cancel, stop) = Cancel::pair();
        leptos::task::spawn_local(async move {
            let opened =
                engine::open(&id, facts.kdf, typed.as_deref(), &password, on_stage, stop).await;
            on_done(opened)
        });
        cancel
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (typed, on_stage);
        Cancel::default()
    }
}

/// Deletes the decrypted copy of the file this tab saved (and forgets its
/// "save again" link): the recipient has it.
pub fn forget_saved(url: String) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move { engine::forget_saved(&url).await });
}

/// Deletes decrypted files that tabs now closed left behind. For every
/// page load.
pub fn remove_leftovers() {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(engine::remove_leftovers());
}

/// The key in what the recipient typed for share `id`: the key itself
/// (`b64(K)`, protocol §1) or the whole share link. Whether it decodes to
/// a key is for the key's own parser.
fn key_text<'a>(id: &str, typed: &'a str) -> Result<&'a str, OpenError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(OpenError::KeyMissing);
    }
    let link_id = |before: &str| {
        before
            .trim_end_matches('/')
            .rsplit_once("/s/")
            .map(|(_, link_id)| link_id.to_string())
    };
    let key = match typed.split_once('#') {
        Some((before, key)) => match link_id(before) {
            Some(link_id) if link_id != id => return Err(OpenError::KeyForOtherShare),
            Some(_) => key,
            None => return Err(OpenError::KeyInvalid),
        },
        None if link_id(typed).is_some_and(|link_id| link_id == id) => {
            return Err(OpenError::LinkWithoutKey)
        }
        None => typed,
    };
    if key.is_empty() || b64::decode(key).is_err() {
        return Err(OpenError::KeyInvalid);
    }
    Ok(key)
}

/// The files to list for a share of several files: the sealed names made
/// safe, and how many more the archive holds (`in_archive`, when known).
fn listed_files(meta: &Meta, in_archive: Option<u64>) -> Option<FileList> {
    (meta.kind == MetaKind::Files).then(|| FileList {
        files: meta
            .files
            .iter()
            .map(|f| ListedFile {
                // The path inside the archive, each folder made safe.
                name: safe_archive_path(&f.name),
                size: f.size,
            })
            .collect(),
        more: in_archive.map_or(0, |n| n.saturating_sub(meta.files.len() as u64)),
    })
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
        MetaKind::Files => archive_file_name(&meta.name),
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
    fn every_state_a_recipient_meets_says_what_to_do_next() {
        let states = [
            OpenError::Gone(GoneReason::Consumed),
            OpenError::Gone(GoneReason::Expired),
            OpenError::Gone(GoneReason::Revoked),
            OpenError::Gone(GoneReason::Removed),
            OpenError::Locked,
            OpenError::BadPassword { attempts_left: 2 },
            OpenError::Damaged,
            OpenError::BadLink,
            OpenError::RateLimited,
            OpenError::Unreachable,
            OpenError::Cancelled { more: true },
            OpenError::Cancelled { more: false },
        ];
        let next = [
            "Ask",
            "ask",
            "tell",
            "Check",
            "check",
            "Wait",
            "reload",
            "open it again",
        ];
        for error in states {
            let told = told(Locale::en, &error);
            assert!(
                next.iter().any(|w| told.detail.contains(w)),
                "{error:?}: {}",
                told.detail
            );
        }
        assert_eq!(
            told(Locale::en, &OpenError::BadPassword { attempts_left: 1 }).detail,
            "Wrong password. 1 attempt left before the share locks; check the password and try again."
        );
        assert_eq!(
            told(Locale::en, &OpenError::BadPassword { attempts_left: 3 }).detail,
            "Wrong password. 3 attempts left before the share locks; check the password and try again."
        );
    }

    #[test]
    fn a_cancelled_download_says_whether_the_link_opens_again() {
        let more = told(Locale::en, &OpenError::Cancelled { more: true });
        let last = told(Locale::en, &OpenError::Cancelled { more: false });
        assert_eq!(more.state, "cancelled");
        assert_eq!(more.title, "Download cancelled");
        assert!(
            more.detail.contains("allows more downloads"),
            "{}",
            more.detail
        );
        assert!(last.detail.contains("last download"), "{}", last.detail);
        for locale in [Locale::de, Locale::ar] {
            let more = told(locale, &OpenError::Cancelled { more: true });
            let last = told(locale, &OpenError::Cancelled { more: false });
            assert_ne!(more.detail, last.detail);
            assert_ne!(
                more.title,
                told(Locale::en, &OpenError::Cancelled { more: true }).title
            );
        }
    }

    #[test]
    fn states_and_key_problems_are_told_in_the_readers_language() {
        let english = told(Locale::en, &OpenError::Locked);
        assert_eq!(english.title, "Locked");
        let german = told(Locale::de, &OpenError::Locked);
        assert_eq!(german.state, "locked");
        assert_eq!(german.title, "Gesperrt");
        assert!(german.detail.contains("Absender"), "{}", german.detail);
        let arabic = told(Locale::ar, &OpenError::Gone(GoneReason::Expired));
        assert_eq!(arabic.state, "expired");
        assert_eq!(arabic.title, "انتهت صلاحية هذه المشاركة");
        // Arabic has its own forms for two and for three to ten.
        assert!(
            told(Locale::ar, &OpenError::BadPassword { attempts_left: 2 })
                .detail
                .contains("محاولتان")
        );
        assert!(
            told(Locale::ar, &OpenError::BadPassword { attempts_left: 3 })
                .detail
                .contains("3 محاولات")
        );
        assert!(
            told(Locale::de, &OpenError::BadPassword { attempts_left: 1 })
                .detail
                .contains("Noch 1 Versuch,")
        );
        assert_eq!(
            told(Locale::de, &OpenError::Refused("nein".into())).detail,
            "Der Server meldet: nein. Laden Sie die Seite neu, um es erneut zu versuchen."
        );
        assert_eq!(
            key_problem(Locale::de, &OpenError::KeyMissing).as_deref(),
            Some("Fügen Sie zuerst den Schlüssel ein.")
        );
        assert_eq!(key_problem(Locale::ar, &OpenError::Locked), None);
        assert_eq!(
            waiting_sentence(Locale::en, Waiting::Busy),
            "The server is busy. Keep this page open: it tries again by itself in a moment."
        );
        assert!(waiting_sentence(Locale::ar, Waiting::Busy).starts_with("الخادم مشغول"));
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
        let facts = Facts::from_info(info, false);
        assert_eq!(facts.size, 5);
        assert!(facts.needs_password());
        assert!(!facts.needs_key());
        assert!(facts.asking_for_key().needs_key());
    }

    #[test]
    fn open_asks_for_a_missing_password_before_anything_else() {
        let facts = Facts {
            size: 1,
            expires_at: String::new(),
            downloads_left: 1,
            kdf: Some(KdfParams::DEFAULT),
            needs_key: false,
        };
        assert_eq!(opened(facts, "", ""), Some(Err(OpenError::PasswordMissing)));
    }

    /// What [`open`] hands back at once (before anything goes to the
    /// server), for the key and password typed.
    fn opened(facts: Facts, key: &str, password: &str) -> Option<Result<Opened, OpenError>> {
        let result = std::rc::Rc::new(std::cell::RefCell::new(None));
        let slot = result.clone();
        open(
            ID.into(),
            facts,
            key.into(),
            password.into(),
            |_| {},
            move |r| *slot.borrow_mut() = Some(r),
        );
        result.take()
    }

    const ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";
    const KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80";

    #[test]
    fn a_key_is_taken_bare_or_from_the_whole_link() {
        assert_eq!(key_text(ID, KEY), Ok(KEY));
        assert_eq!(key_text(ID, &format!("  {KEY}\n")), Ok(KEY));
        let link = format!("https://ots.example/s/{ID}#{KEY}");
        assert_eq!(key_text(ID, &link), Ok(KEY));
        assert_eq!(key_text(ID, &format!("/s/{ID}#{KEY}")), Ok(KEY));
    }

    #[test]
    fn what_is_not_this_shares_key_is_refused_with_its_reason() {
        assert_eq!(key_text(ID, " "), Err(OpenError::KeyMissing));
        assert_eq!(key_text(ID, "not a key!"), Err(OpenError::KeyInvalid));
        assert_eq!(
            key_text(ID, &format!("https://ots.example/m/{ID}#{KEY}")),
            Err(OpenError::KeyInvalid)
        );
        assert_eq!(
            key_text(ID, &format!("https://ots.example/s/{ID}#")),
            Err(OpenError::KeyInvalid)
        );
        assert_eq!(
            key_text(
                ID,
                &format!("https://ots.example/s/BBBBBBBBBBBBBBBBBBBBBB#{KEY}")
            ),
            Err(OpenError::KeyForOtherShare)
        );
        assert_eq!(
            key_text(ID, &format!("https://ots.example/s/{ID}")),
            Err(OpenError::LinkWithoutKey)
        );
    }

    #[test]
    fn open_checks_the_typed_key_only_when_the_page_asks_for_one() {
        let facts = Facts {
            size: 1,
            expires_at: String::new(),
            downloads_left: 1,
            kdf: None,
            needs_key: true,
        };
        assert_eq!(
            opened(facts.clone(), "", ""),
            Some(Err(OpenError::KeyMissing))
        );
        assert_eq!(
            opened(facts.clone(), "not a key!", ""),
            Some(Err(OpenError::KeyInvalid))
        );
        // A good key goes on to the browser side, which the server build lacks.
        assert_eq!(opened(facts, KEY, ""), None);
        let keyless = Facts {
            size: 1,
            expires_at: String::new(),
            downloads_left: 1,
            kdf: None,
            needs_key: false,
        };
        assert_eq!(opened(keyless, "ignored", ""), None);
    }

    #[test]
    fn several_files_are_listed_with_safe_names_and_what_the_list_leaves_out() {
        let files = vec![
            FileEntry {
                name: "<b>bold</b>.txt".into(),
                size: 3,
            },
            FileEntry {
                name: "../../etc/passwd".into(),
                size: 7,
            },
        ];
        let meta = Meta::files("two.zip", 400, files);
        let list = listed_files(&meta, Some(5)).expect("a list for files");
        assert_eq!(
            list.files,
            [
                ListedFile {
                    name: "_b_bold_/b_.txt".into(),
                    size: 3
                },
                ListedFile {
                    name: "etc/passwd".into(),
                    size: 7
                },
            ]
        );
        assert_eq!(list.more, 3);
        assert_eq!(listed_files(&meta, Some(2)).map(|l| l.more), Some(0));
        assert_eq!(listed_files(&meta, None).map(|l| l.more), Some(0));
        assert_eq!(listed_files(&Meta::file("a", "", 1), Some(9)), None);
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
