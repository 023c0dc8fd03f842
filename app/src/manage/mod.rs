//! The manage flow: the share's state for its sender, kept up to date
//! while the page is open (receipts), notifications when the sender
//! allows them, and revoking the share. The page (`page.rs`) talks only
//! to this module; the browser side is `engine.rs`. The manage token is
//! the link's fragment: read once, removed from the address bar, kept in
//! memory and only ever sent as a bearer token.
//!
//! Receipts come from polling `GET .../manage` (protocol §5), nothing
//! else: no new data leaves the server.

#[cfg(feature = "hydrate")]
mod engine;
pub mod page;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ots_proto::ErrorCode;

use crate::failure::ApiError;
use crate::i18n::{td_string, Locale};

pub use ots_proto::{ManageStatus, ShareState, MAX_FAILED_ATTEMPTS};

/// The first pause between two looks at the share, and the pause after a
/// change.
pub const POLL_FIRST_MS: u32 = 2_000;

/// The longest pause while the share can still be opened and the page is
/// seen: a claim shows on the page within this, plus one request.
pub const POLL_LIVE_MAX_MS: u32 = 4_000;

// The page promises a claim shows within 5 s: the pause and one request.
const _: () = assert!(POLL_LIVE_MAX_MS + 1_000 <= 5_000);

/// The pause once only its expiry can still change a share (locked), while
/// the page is hidden with notifications on, and the longest back-off
/// after failed looks.
pub const POLL_SLOW_MS: u32 = 30_000;

/// What one look at the share found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Look {
    /// Something changed since the last look (or it is the first).
    Changed(ShareState),
    /// Nothing changed.
    Same(ShareState),
    /// The look failed; a transient failure is tried again.
    Failed {
        /// True when trying again may succeed.
        transient: bool,
    },
}

/// When to look at the share next: soon after a change, backing off to
/// [`POLL_LIVE_MAX_MS`] while it is live, slower once only expiry can
/// follow, never again once nothing can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Schedule {
    delay_ms: u32,
}

impl Schedule {
    fn new() -> Self {
        Schedule {
            delay_ms: POLL_FIRST_MS,
        }
    }

    /// Starts over, as after a change (the sender came back to the page).
    fn reset(&mut self) {
        self.delay_ms = POLL_FIRST_MS;
    }

    /// The pause before the next look, or `None` to stop looking.
    fn after(&mut self, look: Look) -> Option<u32> {
        self.delay_ms = match look {
            Look::Failed { transient: false } => return None,
            Look::Failed { transient: true } => (self.delay_ms * 2).min(POLL_SLOW_MS),
            Look::Changed(state) | Look::Same(state) if is_final(state) => return None,
            Look::Changed(_) => POLL_FIRST_MS,
            Look::Same(ShareState::Locked) => POLL_SLOW_MS,
            Look::Same(_) => (self.delay_ms * 2).min(POLL_LIVE_MAX_MS),
        };
        Some(self.delay_ms)
    }
}

/// True for the states nothing follows.
pub fn is_final(state: ShareState) -> bool {
    matches!(
        state,
        ShareState::Consumed | ShareState::Expired | ShareState::Revoked | ShareState::Removed
    )
}

/// Whether the page may tell the sender of changes with a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notices {
    /// This browser has no notifications (or the page is not hydrated yet).
    Unsupported,
    /// Not asked for on this page.
    Off,
    /// The sender (or the browser) refused them.
    Blocked,
    /// On: each change of the share shows one.
    On,
}

/// Tells a [`watch`] to stop.
#[derive(Clone, Debug, Default)]
pub struct Watcher(Arc<AtomicBool>);

impl Watcher {
    /// Stops looking at the share.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why the manage page cannot show or revoke the share.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ManageError {
    /// The link has no manage token after `#`, or a malformed one.
    #[error("the link has no valid manage token")]
    BadLink,
    /// This tab opened the link before and removed its token from the
    /// address bar; a reload cannot read it again.
    #[error("the manage link was already opened in this tab")]
    OpenedInTab,
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

impl ManageError {
    /// True when looking again may succeed.
    fn is_transient(&self) -> bool {
        matches!(
            self,
            ManageError::RateLimited | ManageError::Unreachable | ManageError::Refused(_)
        )
    }
}

/// True for the states in which revoking still changes something.
pub fn can_revoke(state: ShareState) -> bool {
    matches!(
        state,
        ShareState::Ready | ShareState::Uploading | ShareState::Locked
    )
}

/// Looks at the share now and again while the page is open, handing
/// every answer to `on_status`: every [`POLL_LIVE_MAX_MS`] at most while
/// the share is live and the page is seen, not at all while the page is
/// hidden (unless notifications are on), at once when the sender comes
/// back, and no more once nothing can change.
pub fn watch(
    id: String,
    on_status: impl Fn(Result<ManageStatus, ManageError>) + 'static,
) -> Watcher {
    let watcher = Watcher::default();
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(engine::watch(id, watcher.clone(), on_status));
    watcher
}

/// Whether notifications are on, possible, or refused.
pub fn notices() -> Notices {
    #[cfg(feature = "hydrate")]
    {
        engine::notices()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Notices::Unsupported
    }
}

/// Asks the sender to allow notifications (call it only from a click) and
/// hands the outcome to `on_done`.
pub fn turn_on_notices(on_done: impl FnOnce(Notices) + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move { on_done(engine::turn_on_notices().await) });
}

/// Shows a notification about share `id`, when they are on.
pub fn notify(id: &str, title: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    engine::notify(id, title, text);
}

/// Revokes the share, then hands its new state to `on_done`.
pub fn revoke(id: String, on_done: impl FnOnce(Result<ManageStatus, ManageError>) + 'static) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move { on_done(engine::revoke(&id).await) });
}

/// The state, title and sentence for a failure, in `locale`.
pub fn failure(locale: Locale, error: &ManageError) -> (&'static str, String, String) {
    let (state, title, detail) = match error {
        ManageError::OpenedInTab => (
            "opened-in-tab",
            td_string!(locale, manage.opened_in_tab_title),
            td_string!(locale, manage.opened_in_tab),
        ),
        ManageError::BadLink => (
            "bad-link",
            td_string!(locale, manage.bad_link_title),
            td_string!(locale, manage.bad_link),
        ),
        ManageError::NotFound => (
            "not-found",
            td_string!(locale, manage.not_found_title),
            td_string!(locale, manage.not_found),
        ),
        ManageError::WrongLink => (
            "wrong-link",
            td_string!(locale, manage.wrong_link_title),
            td_string!(locale, manage.wrong_link),
        ),
        ManageError::RateLimited => (
            "error",
            td_string!(locale, manage.rate_limited_title),
            td_string!(locale, manage.rate_limited),
        ),
        ManageError::Unreachable => (
            "error",
            td_string!(locale, manage.unreachable_title),
            td_string!(locale, manage.unreachable),
        ),
        ManageError::Malformed(_) => (
            "error",
            td_string!(locale, manage.went_wrong_title),
            td_string!(locale, manage.malformed),
        ),
        ManageError::Refused(words) => {
            return (
                "error",
                td_string!(locale, manage.went_wrong_title).to_string(),
                td_string!(locale, manage.refused, words = words).to_string(),
            )
        }
    };
    (state, title.to_string(), detail.to_string())
}

/// What the page calls a state, in `locale`.
pub fn state_label(locale: Locale, state: ShareState) -> String {
    match state {
        ShareState::Uploading => td_string!(locale, manage.state_uploading),
        ShareState::Ready => td_string!(locale, manage.state_ready),
        ShareState::Consumed => td_string!(locale, manage.state_consumed),
        ShareState::Expired => td_string!(locale, manage.state_expired),
        ShareState::Revoked => td_string!(locale, manage.state_revoked),
        ShareState::Removed => td_string!(locale, manage.state_removed),
        ShareState::Locked => td_string!(locale, manage.state_locked),
    }
    .to_string()
}

/// One sentence (two with wrong passwords) on where the share is: what a
/// receipt says, in `locale`, with times written by `time` (an RFC 3339
/// time in, the reader's text out).
pub fn receipt(locale: Locale, info: &ManageStatus, time: impl Fn(&str) -> String) -> String {
    let opened = info.downloads.last().map(|d| time(&d.at));
    let left = info.downloads_left;
    let with_wrong = |sentence: String| match info.failed_attempts {
        0 => sentence,
        n => {
            let wrong = td_string!(locale, manage.wrong_tried, count = n);
            format!("{sentence} {wrong}")
        }
    };
    match (info.state, opened) {
        (ShareState::Uploading, _) => td_string!(locale, manage.receipt_uploading).to_string(),
        (ShareState::Ready, None) => {
            with_wrong(td_string!(locale, manage.receipt_not_opened, left = left).to_string())
        }
        (ShareState::Ready | ShareState::Consumed, Some(at)) => {
            with_wrong(td_string!(locale, manage.receipt_opened, at = at, left = left).to_string())
        }
        (ShareState::Consumed, None) => td_string!(locale, manage.receipt_used_up).to_string(),
        (ShareState::Locked, _) => {
            td_string!(locale, manage.receipt_locked, count = MAX_FAILED_ATTEMPTS).to_string()
        }
        (ShareState::Expired, _) => {
            let at = time(&info.expires_at);
            td_string!(locale, manage.receipt_expired, at = at).to_string()
        }
        (ShareState::Revoked, _) => td_string!(locale, manage.receipt_revoked).to_string(),
        (ShareState::Removed, _) => td_string!(locale, manage.receipt_removed).to_string(),
    }
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
    fn looks_back_off_to_the_live_limit_and_start_over_after_a_change() {
        let mut schedule = Schedule::new();
        let ready = ShareState::Ready;
        assert_eq!(schedule.after(Look::Changed(ready)), Some(POLL_FIRST_MS));
        assert_eq!(schedule.after(Look::Same(ready)), Some(4_000));
        for _ in 0..10 {
            assert_eq!(schedule.after(Look::Same(ready)), Some(POLL_LIVE_MAX_MS));
        }
        assert_eq!(schedule.after(Look::Changed(ready)), Some(POLL_FIRST_MS));
        schedule.after(Look::Same(ready));
        schedule.reset();
        assert_eq!(schedule, Schedule::new());
    }

    #[test]
    fn failed_looks_back_off_further_and_lasting_failures_stop() {
        let mut schedule = Schedule::new();
        let transient = Look::Failed { transient: true };
        let delays: Vec<_> = (0..6).filter_map(|_| schedule.after(transient)).collect();
        assert_eq!(delays, [4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
        assert_eq!(schedule.after(Look::Failed { transient: false }), None);
        assert!(ManageError::Unreachable.is_transient());
        assert!(!ManageError::NotFound.is_transient());
        assert!(!ManageError::WrongLink.is_transient());
    }

    #[test]
    fn looks_slow_down_when_only_expiry_can_follow_and_stop_when_nothing_can() {
        let mut schedule = Schedule::new();
        assert_eq!(
            schedule.after(Look::Same(ShareState::Locked)),
            Some(POLL_SLOW_MS)
        );
        for state in [
            ShareState::Consumed,
            ShareState::Expired,
            ShareState::Revoked,
            ShareState::Removed,
        ] {
            assert_eq!(Schedule::new().after(Look::Changed(state)), None);
            assert_eq!(Schedule::new().after(Look::Same(state)), None);
        }
        assert_eq!(
            Schedule::new().after(Look::Same(ShareState::Uploading)),
            Some(4_000)
        );
    }

    #[test]
    fn a_stopped_watcher_stays_stopped_for_every_clone() {
        let watcher = Watcher::default();
        let copy = watcher.clone();
        assert!(!copy.stopped());
        watcher.stop();
        assert!(copy.stopped());
    }

    fn status_of(state: ShareState, failed_attempts: u32, opened: &[&str]) -> ManageStatus {
        ManageStatus {
            state,
            expires_at: "2026-01-02T03:04:05Z".into(),
            downloads_left: 2,
            failed_attempts,
            downloads: opened
                .iter()
                .map(|at| ots_proto::DownloadEvent { at: at.to_string() })
                .collect(),
        }
    }

    #[test]
    fn receipts_read_as_before_in_english() {
        let english = Locale::en;
        let as_is = |at: &str| at.to_string();
        let receipt_of = |s: &ManageStatus| receipt(english, s, as_is);
        assert_eq!(
            receipt_of(&status_of(ShareState::Ready, 0, &[])),
            "Not opened yet, 2 left."
        );
        assert_eq!(
            receipt_of(&status_of(ShareState::Ready, 1, &[])),
            "Not opened yet, 2 left. 1 wrong password was tried."
        );
        assert_eq!(
            receipt_of(&status_of(ShareState::Ready, 3, &["T1", "T2"])),
            "Opened at T2, 2 left. 3 wrong passwords were tried."
        );
        assert_eq!(
            receipt_of(&status_of(ShareState::Locked, 5, &[])),
            "Locked after 5 wrong passwords."
        );
        assert_eq!(
            receipt_of(&status_of(ShareState::Expired, 0, &[])),
            "Expired at 2026-01-02T03:04:05Z."
        );
        assert_eq!(
            receipt_of(&status_of(ShareState::Uploading, 0, &[])),
            "Still uploading: it cannot be opened yet."
        );
        assert_eq!(
            state_label(english, ShareState::Removed),
            "Removed by the operator of this server"
        );
    }

    #[test]
    fn failures_read_as_before_in_english() {
        let english = Locale::en;
        let (state, title, detail) = failure(english, &ManageError::BadLink);
        assert_eq!(state, "bad-link");
        assert_eq!(title, "Incomplete link");
        assert_eq!(
            detail,
            "The manage token after # is missing or malformed. Check that the whole link was copied."
        );
        let (state, title, detail) = failure(english, &ManageError::Refused("busy (503)".into()));
        assert_eq!(state, "error");
        assert_eq!(title, "Something went wrong");
        assert_eq!(detail, "The server said: busy (503).");
    }

    #[test]
    fn receipts_and_failures_come_out_in_german_and_arabic() {
        let as_is = |at: &str| at.to_string();
        let ready = status_of(ShareState::Ready, 2, &[]);
        assert_eq!(
            receipt(Locale::de, &ready, as_is),
            "Noch nicht geöffnet, 2 übrig. 2 falsche Passwörter wurden versucht."
        );
        assert_eq!(
            receipt(Locale::ar, &ready, as_is),
            "لم تُفتح بعد، المتبقي: 2. جُرّبت كلمتا مرور خاطئتان."
        );
        assert_eq!(
            failure(Locale::de, &ManageError::WrongLink).1,
            "Falscher Link"
        );
        assert_eq!(failure(Locale::ar, &ManageError::WrongLink).1, "رابط خاطئ");
        assert_eq!(
            failure(Locale::de, &ManageError::NotFound).0,
            failure(Locale::en, &ManageError::NotFound).0,
            "the state for tests and styling stays the same"
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
