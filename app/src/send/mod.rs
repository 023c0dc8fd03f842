//! The send flow: what the sender chose, the stages of sealing and
//! uploading, the links it ends with, and every way it can fail. The page
//! (`page.rs`) talks only to this module; the browser side is `engine.rs`.

mod archive;
#[cfg(feature = "hydrate")]
mod engine;
mod pacing;
pub mod page;
#[cfg(feature = "hydrate")]
mod plaintext;
mod secrets;

use leptos::ev::Event;
use ots_proto::{
    max_plaintext_for, payload_size, Config, ErrorCode, EXPIRES_IN_MAX_SECS, EXPIRES_IN_MIN_SECS,
    INLINE_MAX_BYTES, MAX_DOWNLOADS,
};

pub use crate::cancel::Cancel;
use crate::failure::{ApiError, BrowserError};
use crate::format::{human_bytes, human_duration};
use crate::i18n::{td_string, Locale};

pub use archive::Stamp;
pub use secrets::{
    entropy_bits, Alphabet, PASSPHRASE_WORDS, SECRET_DEFAULT_LEN, SECRET_MAX_LEN, SECRET_MIN_LEN,
    WORD_LIST_LEN,
};

/// The expiries the send page can offer, in seconds; a server's bounds
/// pick among them (plus its default and its longest).
const EXPIRY_STEPS: [u32; 8] = [300, 900, 3_600, 21_600, 86_400, 259_200, 432_000, 604_800];

/// The expiry offered first when the server has not said: one day.
pub const DEFAULT_EXPIRY_SECS: u32 = 86_400;

/// What this server accepts, as the send page offers it (from
/// `GET /api/v1/config`, protocol 1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Expiry choices in seconds, shortest first (see [`expiry_label`]).
    pub expiry_choices: Vec<u32>,
    /// The expiry selected first.
    pub default_expiry: u32,
    /// Most downloads a share may allow.
    pub max_downloads: u32,
    /// Largest payload in bytes, when known.
    pub max_payload: Option<u64>,
    /// Largest payload sent inline with the create request.
    pub max_inline: u64,
    /// Whether a create needs a create token.
    pub token_required: bool,
}

impl Offer {
    /// What the page offers before the server has answered (and if it
    /// never does): the protocol's bounds and the limit in the page.
    pub fn initial() -> Self {
        Self::within(
            EXPIRES_IN_MIN_SECS,
            EXPIRES_IN_MAX_SECS,
            DEFAULT_EXPIRY_SECS,
            MAX_DOWNLOADS,
            crate::site::max_share_bytes(),
            INLINE_MAX_BYTES,
            false,
        )
    }

    /// What a server's `GET /config` answer allows.
    pub fn from_config(config: &Config) -> Self {
        Self::within(
            config.expires_in.min,
            config.expires_in.max,
            config.expires_in.default,
            config.max_downloads,
            Some(config.max_share_bytes),
            config.max_inline_bytes,
            config.create_token_required,
        )
    }

    fn within(
        min: u32,
        max: u32,
        default: u32,
        max_downloads: u32,
        max_payload: Option<u64>,
        max_inline: u64,
        token_required: bool,
    ) -> Self {
        // Never beyond the protocol, whatever a server says.
        let min = min.clamp(EXPIRES_IN_MIN_SECS, EXPIRES_IN_MAX_SECS);
        let max = max.clamp(min, EXPIRES_IN_MAX_SECS);
        let default = default.clamp(min, max);
        let mut secs: Vec<u32> = EXPIRY_STEPS
            .into_iter()
            .filter(|s| (min..=max).contains(s))
            .chain([default, max])
            .collect();
        secs.sort_unstable();
        secs.dedup();
        Self {
            expiry_choices: secs,
            default_expiry: default,
            max_downloads: max_downloads.clamp(1, MAX_DOWNLOADS),
            max_payload,
            max_inline: max_inline.min(INLINE_MAX_BYTES),
            token_required,
        }
    }

    /// The largest plaintext the server takes, when it said: what the page
    /// offers as "Up to … per share".
    pub fn size_limit(&self) -> Option<u64> {
        self.max_payload.map(max_plaintext_for)
    }
}

/// The words for an expiry choice of `secs` seconds, e.g. "1 day".
pub fn expiry_label(locale: Locale, secs: u32) -> String {
    human_duration(locale, secs.into())
}

/// A file the sender chose; the file itself stays with the browser side
/// until it is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickedFile {
    /// Tells entries apart (for removing one).
    pub id: u64,
    /// Its name, or its path inside a chosen folder (`folder/sub/a.txt`).
    pub path: String,
    /// Whether it came inside a folder (then it travels in an archive).
    pub in_folder: bool,
    /// Its bytes.
    pub size: u64,
    /// When it was last changed, in local time.
    pub modified: Option<Stamp>,
}

/// What the sender shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A text typed, pasted or generated in the page.
    Text(String),
    /// The files chosen: one file is shared as itself, several (or a
    /// folder) as one ZIP archive.
    Files(Vec<PickedFile>),
}

/// How the chosen files travel.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Packing {
    /// One file, as itself (meta kind `file`).
    Single(PickedFile),
    /// A ZIP archive of every file (meta kind `files`).
    Archive {
        entries: Vec<archive::Entry>,
        layout: archive::Layout,
    },
}

/// One loose file travels as itself; anything else as an archive.
fn packing(files: &[PickedFile]) -> Packing {
    match files {
        [one] if !one.in_folder => Packing::Single(one.clone()),
        _ => {
            let names = archive::archive_names(files.iter().map(|f| f.path.as_str()));
            let entries: Vec<archive::Entry> = files
                .iter()
                .zip(names)
                .map(|(f, name)| archive::Entry {
                    name,
                    size: f.size,
                    modified: f.modified,
                })
                .collect();
            let layout = archive::Layout::of(&entries);
            Packing::Archive { entries, layout }
        }
    }
}

impl Content {
    /// Plaintext bytes: the text, the file, or the whole ZIP archive.
    pub fn size(&self) -> u64 {
        match self {
            Content::Text(text) => text.len() as u64,
            Content::Files(files) if files.is_empty() => 0,
            Content::Files(files) => match packing(files) {
                Packing::Single(file) => file.size,
                Packing::Archive { layout, .. } => layout.size(),
            },
        }
    }
}

/// How many of `files` the sealed list cannot name (meta is at most 4096
/// bytes: the list names the first ones and says how many more, in
/// `locale`'s words); 0 when it names them all.
pub fn unlisted(locale: Locale, files: &[PickedFile]) -> usize {
    match packing(files) {
        Packing::Single(_) => 0,
        Packing::Archive { entries, layout } => {
            let name = archive::archive_name(&entries);
            archive::archive_meta(locale, &name, layout.size(), &entries).1
        }
    }
}

/// The chosen files' bytes together (not counting the archive's own).
pub fn total_bytes(files: &[PickedFile]) -> u64 {
    files.iter().map(|f| f.size).sum()
}

/// Everything the sender chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The text or files.
    pub content: Content,
    /// Seconds until expiry.
    pub expires_in: u32,
    /// Downloads allowed.
    pub max_downloads: u32,
    /// Empty for none.
    pub password: String,
    /// Show the link and its key as two things, to send over two channels.
    pub key_apart: bool,
    /// The create token, when the server asks for one; empty for none.
    pub create_token: String,
    /// Keep the create token on this device (local storage) rather than
    /// for this tab only (session storage).
    pub remember_token: bool,
    /// The language the page speaks as the sender sends: the sealed file
    /// list's last line ("… and 3 more files") is written in it.
    pub locale: Locale,
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

/// Why a send (or a generated secret) did not come about.
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
    /// This server takes shares only from holders of a create token (`401 token_required`).
    #[error("this server requires a create token")]
    CreateTokenRequired,
    /// The server does not know the create token sent (`403 bad_token`).
    #[error("the server refused the create token")]
    BadCreateToken,
    /// The create token holds characters no HTTP header can carry.
    #[error("the create token has characters a token cannot have")]
    MalformedCreateToken,
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
    /// A piece of the page's wasm bundle could not be fetched; the browser
    /// keeps that failure until the page is loaded again.
    #[error("part of the page could not be loaded")]
    NotLoaded,
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
    /// The ZIP writer refused (a bug, never a user's doing).
    #[error("the archive could not be written: {0}")]
    Archive(String),
    /// The word list for passphrases could not be loaded or is not whole.
    #[error("the word list could not be loaded: {0}")]
    WordList(String),
    /// The server's answer is not the protocol's.
    #[error("the server's answer was not understood: {0}")]
    Malformed(String),
    /// Any other refusal, in the server's words.
    #[error("the server refused: {0}")]
    Refused(String),
    /// The sender stopped the send; what was uploaded is revoked.
    #[error("the send was cancelled")]
    Cancelled,
    /// The browser could not read a file, derive a key or draw randomness.
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
            (ApiError::Status { status: 403, .. }, Some(ErrorCode::BadToken)) => {
                SendError::BadCreateToken
            }
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

#[cfg(feature = "hydrate")]
impl From<crate::browser::crypt::CryptError> for SendError {
    fn from(error: crate::browser::crypt::CryptError) -> Self {
        match error {
            crate::browser::crypt::CryptError::Browser(e) => SendError::Browser(e),
            crate::browser::crypt::CryptError::NotLoaded => SendError::NotLoaded,
            // Sealing never fails to authenticate; a piece that did not
            // come out whole is a bug.
            crate::browser::crypt::CryptError::Damaged => SendError::SizeMismatch,
        }
    }
}

/// Checks a request before anything leaves the page: something to send,
/// not over the server's limit (`max_payload`, payload bytes), a create
/// token that fits in a header.
pub fn check(request: &Request, max_payload: Option<u64>) -> Result<(), SendError> {
    match &request.content {
        Content::Text(text) if text.is_empty() => return Err(SendError::EmptyText),
        Content::Files(files) if files.is_empty() => return Err(SendError::NoFile),
        _ => {}
    }
    if !request.create_token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(SendError::MalformedCreateToken);
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

/// Adds the files of a file input's `change` or of a `drop` (a dropped
/// folder is read whole, path by path) to the files chosen so far, and
/// hands the new list to `on_done`.
pub fn pick(event: &Event, on_done: impl FnOnce(Vec<PickedFile>) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        engine::pick(event, on_done)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (event, on_done);
    }
}

/// Starts fetching what seals and uploads (a piece of the wasm bundle of
/// its own) once the form is first used, so that a send does not wait for
/// it; the first load of the page does without it.
pub fn prepare() {
    #[cfg(feature = "hydrate")]
    engine::prepare();
}

/// The files chosen so far (kept while the page lives, so the list
/// survives leaving the send page and coming back).
pub fn chosen() -> Vec<PickedFile> {
    #[cfg(feature = "hydrate")]
    {
        engine::picked()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Vec::new()
    }
}

/// Forgets the chosen file `id`; returns the files still chosen.
pub fn remove(id: u64) -> Vec<PickedFile> {
    #[cfg(feature = "hydrate")]
    {
        engine::remove(id)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        Vec::new()
    }
}

/// Asks the server what it accepts (`GET /api/v1/config`) and hands the
/// page's offer to `on_done`; a server that does not answer leaves the
/// page with [`Offer::initial`].
pub fn load_offer(on_done: impl FnOnce(Offer) + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        if let Some(offer) = engine::offer().await {
            on_done(offer);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = on_done;
}

/// The create token kept for this tab or on this device, and whether it
/// is kept on this device; empty when there is none.
pub fn saved_create_token() -> (String, bool) {
    #[cfg(feature = "hydrate")]
    {
        engine::saved_create_token()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        (String::new(), false)
    }
}

/// Makes a passphrase of [`PASSPHRASE_WORDS`] words of the EFF long list
/// (fetched once) and hands it to `on_done`.
pub fn generate_passphrase(on_done: impl FnOnce(Result<String, SendError>) + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move { on_done(engine::passphrase().await) });
    #[cfg(not(feature = "hydrate"))]
    let _ = on_done;
}

/// A random secret of `length` characters of `alphabet`, for the
/// "generate a secret" mode.
pub fn generate_secret(alphabet: Alphabet, length: u32) -> Result<String, SendError> {
    secrets::random_secret(alphabet, length)
}

/// Checks, seals and stores `request` in the browser, reporting each stage,
/// then hands the links (or the reason there are none) to `on_done`. The
/// answer stops the send: uploads in flight are aborted, a share already
/// created is revoked, and `on_done` gets [`SendError::Cancelled`].
pub fn start(
    request: Request,
    offer: &Offer,
    on_stage: impl Fn(Stage) + 'static,
    on_done: impl FnOnce(Result<Sent, SendError>) + 'static,
) -> Cancel {
    if let Err(e) = check(&request, offer.max_payload) {
        on_done(Err(e));
        return Cancel::default();
    }
    #[cfg(feature = "hydrate")]
    {
        let max_inline = offer.max_inline;
        let (cancel, stop) = Cancel::pair();
        leptos::task::spawn_local(async move {
            let sent = stop
                .run(engine::send(request, max_inline, Box::new(on_stage)))
                .await;
            on_done(sent.unwrap_or(Err(SendError::Cancelled)))
        });
        cancel
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = on_stage;
        Cancel::default()
    }
}

/// The sentence under the form for a send that failed, in `locale`'s
/// words: what happened and what to do next.
pub fn sentence(locale: Locale, error: &SendError) -> String {
    match error {
        SendError::EmptyText => td_string!(locale, send.error_empty_text).to_string(),
        SendError::NoFile => td_string!(locale, send.error_no_file).to_string(),
        SendError::TooLarge { size, max } => {
            let (size, max) = (human_bytes(locale, *size), human_bytes(locale, *max));
            td_string!(locale, send.error_too_large, size = size, max = max).to_string()
        }
        SendError::ServerTooLarge => td_string!(locale, send.error_server_too_large).to_string(),
        SendError::NameTooLong => td_string!(locale, send.error_name_too_long).to_string(),
        SendError::CreateTokenRequired => td_string!(locale, send.error_token_required).to_string(),
        SendError::BadCreateToken => td_string!(locale, send.error_bad_token).to_string(),
        SendError::MalformedCreateToken => {
            td_string!(locale, send.error_malformed_token).to_string()
        }
        SendError::StorageFull => td_string!(locale, send.error_storage_full).to_string(),
        SendError::RateLimited => td_string!(locale, send.error_rate_limited).to_string(),
        SendError::Busy => td_string!(locale, send.error_busy).to_string(),
        SendError::Unreachable => td_string!(locale, send.error_unreachable).to_string(),
        SendError::NotLoaded => td_string!(locale, send.error_not_loaded).to_string(),
        SendError::Incomplete { missing } => {
            let parts = format!("{missing:?}");
            td_string!(locale, send.error_incomplete, parts = parts).to_string()
        }
        SendError::SizeMismatch => td_string!(locale, send.error_size_mismatch).to_string(),
        SendError::Archive(_) => td_string!(locale, send.error_archive).to_string(),
        SendError::WordList(_) => td_string!(locale, send.error_word_list).to_string(),
        SendError::Malformed(_) => td_string!(locale, send.error_malformed).to_string(),
        SendError::Refused(words) => {
            td_string!(locale, send.error_refused, words = words).to_string()
        }
        SendError::Cancelled => td_string!(locale, send.cancelled).to_string(),
        // The browser's own detail stays as it is (from `failure`).
        SendError::Browser(e) => {
            let detail = e.to_string();
            td_string!(locale, send.error_browser, detail = detail).to_string()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ots_proto::{ErrorBody, ExpiryBounds, PART_SIZE, PROTOCOL_VERSION};

    fn request(content: Content) -> Request {
        Request {
            content,
            expires_in: DEFAULT_EXPIRY_SECS,
            max_downloads: 1,
            password: String::new(),
            key_apart: false,
            create_token: String::new(),
            remember_token: false,
            locale: Locale::en,
        }
    }

    fn picked(id: u64, path: &str, size: u64) -> PickedFile {
        PickedFile {
            id,
            path: path.into(),
            in_folder: path.contains('/'),
            size,
            modified: None,
        }
    }

    fn file(size: u64) -> Content {
        Content::Files(vec![picked(1, "a.bin", size)])
    }

    fn config(min: u32, max: u32, default: u32) -> Config {
        Config {
            v: PROTOCOL_VERSION,
            max_share_bytes: 10 << 20,
            max_inline_bytes: 4096,
            part_bytes: PART_SIZE,
            expires_in: ExpiryBounds { min, max, default },
            max_downloads: 5,
            create_token_required: true,
        }
    }

    #[test]
    fn check_refuses_an_empty_text_and_a_missing_file() {
        assert_eq!(
            check(&request(Content::Text(String::new())), None),
            Err(SendError::EmptyText)
        );
        assert_eq!(
            check(&request(Content::Files(vec![])), None),
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
    fn an_archive_counts_its_own_bytes_against_the_limit() {
        let files = Content::Files(vec![picked(1, "a", 500), picked(2, "b", 500)]);
        assert!(files.size() > 1000);
        assert!(matches!(
            check(&request(files), Some(payload_size(1000))),
            Err(SendError::TooLarge { .. })
        ));
    }

    #[test]
    fn one_loose_file_travels_as_itself_anything_else_as_an_archive() {
        assert!(matches!(
            packing(&[picked(1, "a.txt", 3)]),
            Packing::Single(_)
        ));
        assert!(matches!(
            packing(&[picked(1, "dir/a.txt", 3)]),
            Packing::Archive { .. }
        ));
        let Packing::Archive { entries, layout } =
            packing(&[picked(1, "../a.txt", 3), picked(2, "a.txt", 4)])
        else {
            panic!("two files are an archive");
        };
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "a (2).txt"]);
        assert_eq!(layout.size(), archive::Layout::of(&entries).size());
    }

    #[test]
    fn a_create_token_must_fit_in_a_header() {
        let mut r = request(Content::Text("hi".into()));
        r.create_token = "tok-EN_1.x".into();
        assert_eq!(check(&r, None), Ok(()));
        r.create_token = "line\nbreak".into();
        assert_eq!(check(&r, None), Err(SendError::MalformedCreateToken));
        r.create_token = "ümlaut".into();
        assert_eq!(check(&r, None), Err(SendError::MalformedCreateToken));
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
            SendError::from(status(403, Some(ErrorCode::BadToken))),
            SendError::BadCreateToken
        );
        // A dead upload token is not the create token's fault.
        assert_eq!(
            SendError::from(status(401, Some(ErrorCode::BadToken))),
            SendError::Refused("words (401)".into())
        );
        assert_eq!(
            SendError::from(status(507, Some(ErrorCode::StorageFull))),
            SendError::StorageFull
        );
        assert_eq!(SendError::from(status(507, None)), SendError::StorageFull);
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
    fn the_offer_follows_the_servers_bounds() {
        let offer = Offer::from_config(&config(600, 7_200, 1_800));
        assert_eq!(offer.expiry_choices, [900, 1_800, 3_600, 7_200]);
        assert_eq!(offer.default_expiry, 1_800);
        assert_eq!(
            expiry_label(Locale::en, offer.expiry_choices[1]),
            "30 minutes"
        );
        assert_eq!(
            expiry_label(Locale::de, offer.expiry_choices[1]),
            "30 Minuten"
        );
        assert_eq!(offer.max_downloads, 5);
        assert_eq!(offer.size_limit(), Some(max_plaintext_for(10 << 20)));
        assert_eq!(offer.max_inline, 4096);
        assert!(offer.token_required);
    }

    #[test]
    fn the_offer_never_leaves_the_protocols_bounds() {
        let offer = Offer::from_config(&config(1, u32::MAX, u32::MAX));
        let secs = &offer.expiry_choices;
        assert_eq!(secs.first(), Some(&300));
        assert_eq!(secs.last(), Some(&EXPIRES_IN_MAX_SECS));
        assert_eq!(offer.default_expiry, EXPIRES_IN_MAX_SECS);
        let mut c = config(600, 7_200, 1_800);
        c.max_downloads = 10_000;
        c.max_inline_bytes = u64::MAX;
        let offer = Offer::from_config(&c);
        assert_eq!(offer.max_downloads, MAX_DOWNLOADS);
        assert_eq!(offer.max_inline, INLINE_MAX_BYTES);
        // A range with no step in it still offers its default and longest.
        let offer = Offer::from_config(&config(120, 240, 180));
        assert_eq!(offer.expiry_choices, [180, 240]);
    }

    #[test]
    fn the_initial_offer_is_the_protocols() {
        let offer = Offer::initial();
        for secs in &offer.expiry_choices {
            assert!((EXPIRES_IN_MIN_SECS..=EXPIRES_IN_MAX_SECS).contains(secs));
        }
        assert!(offer.expiry_choices.contains(&DEFAULT_EXPIRY_SECS));
        assert_eq!(offer.max_downloads, MAX_DOWNLOADS);
        assert!(!offer.token_required);
    }

    #[test]
    fn a_failed_send_is_told_in_the_readers_language() {
        let too_large = SendError::TooLarge {
            size: 3 << 20,
            max: 1 << 20,
        };
        let english = Locale::en;
        assert_eq!(
            sentence(english, &too_large),
            "This is 3 MiB; the server accepts up to 1 MiB per share."
        );
        assert_eq!(
            sentence(
                english,
                &SendError::Incomplete {
                    missing: vec![2, 5]
                }
            ),
            "The upload is incomplete: the server is missing parts [2, 5]. Send it again."
        );
        assert_eq!(
            sentence(english, &SendError::Refused("no (400)".into())),
            "The server said: no (400)."
        );
        assert_eq!(
            sentence(english, &SendError::Cancelled),
            "Sending cancelled. Nothing was shared, and what you chose is still here."
        );
        assert!(sentence(Locale::ar, &SendError::Cancelled).starts_with("أُلغي الإرسال"));
        assert_eq!(
            sentence(Locale::de, &too_large),
            "Das sind 3 MiB; der Server nimmt bis zu 1 MiB pro Freigabe an."
        );
        assert_eq!(
            sentence(Locale::de, &SendError::EmptyText),
            "Geben Sie das Geheimnis zuerst ein oder fügen Sie es ein."
        );
        assert_eq!(
            sentence(Locale::ar, &too_large),
            "الحجم \u{2066}3 MiB\u{2069}، والخادم لا يقبل أكثر من \u{2066}1 MiB\u{2069} لكل مشاركة."
        );
        assert_eq!(
            sentence(Locale::ar, &SendError::Busy),
            "الخادم مشغول. حاول مجددًا بعد لحظات."
        );
    }
}
