//! The operator's console (`/admin`): sign-in, the dashboard, takedown.
//!
//! Unlike the other flows, the console is the server's: the server decides
//! what the page shows (an [`AdminView`], given as context to the render) and
//! every action is a plain form post that works without JavaScript. The
//! view travels to the browser with the page ([`current`]), so the page
//! hydrates to the same markup; the one thing the browser adds is that a
//! pasted link loses its key ([`without_fragment`]) before the form is sent.
//!
//! A view holds counts, sizes, states, times and short ids: nothing else
//! exists on the server to be shown.

pub mod page;

use serde::{Deserialize, Serialize};

use leptos::prelude::*;

use crate::i18n::{td_string, Locale};

/// What the console shows for this request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AdminView {
    /// The sign-in form.
    Login(LoginView),
    /// The dashboard of a signed-in operator.
    Dashboard(Box<DashboardView>),
    /// A refused request: why (the page adds the way back).
    Refused(Refusal),
}

/// The sign-in form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoginView {
    /// The form's token (bound to the pre-session cookie).
    pub csrf: String,
    /// Why the last attempt failed, if it did.
    pub error: Option<LoginError>,
    /// The address is locked out: the form is not offered.
    pub locked_out: bool,
}

/// Why a sign-in failed; the page says it with [`login_error_text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginError {
    /// The password was wrong; `left` more wrong ones lock the address out.
    WrongPassword {
        /// Wrong passwords still allowed before the lockout.
        left: u32,
    },
    /// The address is locked out for `minutes` more minutes.
    LockedOut {
        /// Minutes until sign-in is allowed again (rounded up).
        minutes: u64,
    },
    /// The server-wide limit of sign-in attempts: retry in `secs` seconds.
    Busy {
        /// Seconds until the next attempt is admitted.
        secs: u64,
    },
}

/// Why a request was refused; the page says it with [`refusal_title`] and
/// [`refusal_detail`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// The record store does not answer (`503`).
    StorageUnavailable,
    /// A post that did not come from this console (`403`).
    NotFromConsole,
    /// A post without a live session (`403`).
    NotSignedIn,
}

/// What a takedown did, shown once on the dashboard ([`takedown_text`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TakedownOutcome {
    /// The text was no share link or id.
    NotAShare,
    /// No share with this id is known (its short id).
    Unknown {
        /// First six characters of the id.
        short: String,
    },
    /// Taken down now.
    Done {
        /// First six characters of the id.
        short: String,
    },
    /// It had been taken down before.
    AlreadyDone {
        /// First six characters of the id.
        short: String,
    },
}

/// The health of a part of the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// What it is ("records: redb in ./data").
    pub label: Place,
    /// Whether it answers.
    pub ok: bool,
    /// How it answered (latency or the failure).
    pub detail: Answer,
}

/// Where a part of the server keeps its data; the paths and names are
/// values inside a sentence ([`place_text`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Place {
    /// Records in Redis (never its URL, which may hold a password).
    Redis,
    /// Records in the embedded redb database in `dir`.
    Redb {
        /// The data directory.
        dir: String,
    },
    /// Part files in `dir`.
    Files {
        /// The parts directory.
        dir: String,
    },
    /// Objects in `url` (`s3://bucket/prefix`).
    Objects {
        /// The bucket and prefix.
        url: String,
    },
    /// A place this page has no words for, in the server's words.
    Other {
        /// The server's text.
        text: String,
    },
}

/// How a part of the server answered its check ([`answer_text`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// The store answered in `ms` milliseconds.
    AnswersIn {
        /// Latency in milliseconds.
        ms: u64,
    },
    /// The store did not answer (the log says why).
    NoAnswer,
    /// A probe was written and deleted in `ms` milliseconds.
    Writable {
        /// Latency in milliseconds.
        ms: u64,
    },
    /// The probe could not be written (the log says why).
    NotWritable,
    /// The check did not finish.
    Unfinished,
    /// An answer this page has no words for, in the server's words.
    Other {
        /// The server's text.
        text: String,
    },
}

/// Live shares by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveShares {
    /// Parts still coming.
    pub uploading: u64,
    /// Claimable.
    pub ready: u64,
    /// Every download claimed, a ticket still alive.
    pub downloading: u64,
    /// Locked after wrong passwords.
    pub locked: u64,
}

/// One kind of event over the last hour and day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// What is counted ([`series_label`]; [`SeriesKind::key`] for ids).
    pub kind: SeriesKind,
    /// Total of the last hour.
    pub hour: u64,
    /// Total of the last 24 hours.
    pub day: u64,
    /// The last hour in 5-minute bars, oldest first.
    pub hour_bars: Vec<u64>,
    /// The last 24 hours in 1-hour bars, oldest first.
    pub day_bars: Vec<u64>,
}

/// The kinds of event the activity table counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeriesKind {
    /// Shares created.
    #[default]
    Created,
    /// Downloads claimed.
    Claimed,
    /// Wrong passwords given.
    WrongPassword,
    /// Shares locked after wrong passwords.
    Locked,
    /// Shares expired.
    Expired,
    /// Shares revoked by their creators.
    Revoked,
    /// Requests refused by a rate limit.
    RateLimited,
}

impl SeriesKind {
    /// Stable name for ids and tests ("created", "wrong-password").
    pub fn key(self) -> &'static str {
        match self {
            SeriesKind::Created => "created",
            SeriesKind::Claimed => "claimed",
            SeriesKind::WrongPassword => "wrong-password",
            SeriesKind::Locked => "locked",
            SeriesKind::Expired => "expired",
            SeriesKind::Revoked => "revoked",
            SeriesKind::RateLimited => "rate-limited",
        }
    }
}

/// A share in the table of the newest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRow {
    /// First six characters of the id.
    pub short_id: String,
    /// The protocol's state name.
    pub state: String,
    /// Payload bytes.
    pub size: u64,
    /// Creation time (UTC text).
    pub created: String,
    /// Expiry (UTC text).
    pub expires: String,
    /// Claims still allowed.
    pub downloads_left: u32,
    /// Wrong passwords so far.
    pub failed_attempts: u32,
}

/// An operator action of the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRow {
    /// When (UTC text).
    pub at: String,
    /// What ("login", "takedown", ...).
    pub action: String,
    /// From which address.
    pub client: String,
    /// The short id it concerned, or empty.
    pub share: String,
}

/// The dashboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    /// The token every form of this session carries.
    pub csrf: String,
    /// The result of the last takedown, shown once.
    pub notice: Option<TakedownOutcome>,
    /// The server's version.
    pub version: String,
    /// Seconds since this instance started.
    pub uptime_secs: u64,
    /// When the numbers were read (UTC text).
    pub as_of: String,
    /// The record store.
    pub store: Health,
    /// The ciphertext storage.
    pub blobs: Health,
    /// Live shares by state.
    pub live: LiveShares,
    /// Ciphertext bytes held for shares.
    pub stored_bytes: u64,
    /// Free bytes where ciphertext is written, when known.
    pub free_bytes: Option<u64>,
    /// Events of the last hour and day.
    pub activity: Vec<Series>,
    /// The newest shares, newest first.
    pub shares: Vec<ShareRow>,
    /// The newest operator actions, newest first.
    pub actions: Vec<ActionRow>,
}

/// The view of this render: given as context on the server, read back from
/// the page while hydrating. `None` when the console is off (the page is then
/// the site's "not found", answered with 404).
pub fn current() -> Option<AdminView> {
    let view = SharedValue::new(use_context::<AdminView>).into_inner();
    #[cfg(feature = "ssr")]
    if view.is_none() {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view
}

/// A pasted share link or id without its fragment: the key after `#` never
/// leaves the page, and never reaches the server's logs.
pub fn without_fragment(pasted: &str) -> String {
    pasted.split('#').next().unwrap_or_default().to_string()
}

/// One bar of a chart, in the chart's own units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height (at least a hairline for a zero, so the axis reads).
    pub height: f64,
    /// The count it stands for.
    pub value: u64,
}

/// Width and height of a chart's drawing (SVG units).
pub const CHART_SIZE: (f64, f64) = (120.0, 28.0);

/// Bars for `values` across [`CHART_SIZE`], scaled to the largest value.
pub fn bars(values: &[u64]) -> Vec<Bar> {
    let (w, h) = CHART_SIZE;
    let n = values.len().max(1) as f64;
    let slot = w / n;
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let height = if v == 0 {
                0.5
            } else {
                (v as f64 / max * h).max(1.0)
            };
            Bar {
                x: i as f64 * slot + slot * 0.1,
                y: h - height,
                width: slot * 0.8,
                height,
                value: v,
            }
        })
        .collect()
}

/// `3 h 12 min`, `2 days 5 h`: how long the server has been up, in `locale`.
pub fn uptime_text(locale: Locale, secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => td_string!(locale, admin.uptime_minutes, m = m),
        (0, _) => td_string!(locale, admin.uptime_hours, h = h, m = m),
        _ => td_string!(locale, admin.uptime_days, count = d, h = h),
    }
    .to_string()
}

/// What a series of the activity table counts, in `locale`.
pub fn series_label(locale: Locale, kind: SeriesKind) -> String {
    match kind {
        SeriesKind::Created => td_string!(locale, admin.series_created),
        SeriesKind::Claimed => td_string!(locale, admin.series_claimed),
        SeriesKind::WrongPassword => td_string!(locale, admin.series_wrong_password),
        SeriesKind::Locked => td_string!(locale, admin.series_locked),
        SeriesKind::Expired => td_string!(locale, admin.series_expired),
        SeriesKind::Revoked => td_string!(locale, admin.series_revoked),
        SeriesKind::RateLimited => td_string!(locale, admin.series_rate_limited),
    }
    .to_string()
}

/// Why the last sign-in failed, in `locale`.
pub fn login_error_text(locale: Locale, error: LoginError) -> String {
    match error {
        LoginError::WrongPassword { left } => {
            td_string!(locale, admin.wrong_password, count = u64::from(left)).to_string()
        }
        LoginError::LockedOut { minutes } => {
            td_string!(locale, admin.locked_out, count = minutes).to_string()
        }
        LoginError::Busy { secs } => td_string!(locale, admin.busy, count = secs).to_string(),
    }
}

/// What happened to a refused request, in a few words, in `locale`.
pub fn refusal_title(locale: Locale, refusal: Refusal) -> String {
    match refusal {
        Refusal::StorageUnavailable => td_string!(locale, admin.unavailable_title),
        Refusal::NotFromConsole => td_string!(locale, admin.refused_title),
        Refusal::NotSignedIn => td_string!(locale, admin.not_signed_in_title),
    }
    .to_string()
}

/// What to do about a refused request, in `locale`.
pub fn refusal_detail(locale: Locale, refusal: Refusal) -> String {
    match refusal {
        Refusal::StorageUnavailable => td_string!(locale, admin.unavailable_detail),
        Refusal::NotFromConsole => td_string!(locale, admin.refused_detail),
        Refusal::NotSignedIn => td_string!(locale, admin.not_signed_in_detail),
    }
    .to_string()
}

/// What the last takedown did, in `locale`; only the short id is named.
pub fn takedown_text(locale: Locale, outcome: &TakedownOutcome) -> String {
    match outcome {
        TakedownOutcome::NotAShare => td_string!(locale, admin.takedown_not_a_share).to_string(),
        TakedownOutcome::Unknown { short } => {
            td_string!(locale, admin.takedown_unknown, short = short.clone()).to_string()
        }
        TakedownOutcome::Done { short } => {
            td_string!(locale, admin.takedown_done, short = short.clone()).to_string()
        }
        TakedownOutcome::AlreadyDone { short } => {
            td_string!(locale, admin.takedown_already, short = short.clone()).to_string()
        }
    }
}

/// Where a part of the server keeps its data, in `locale`.
pub fn place_text(locale: Locale, place: &Place) -> String {
    match place {
        Place::Redis => "Redis".to_string(),
        Place::Redb { dir } => td_string!(locale, admin.place_redb, dir = dir.clone()).to_string(),
        Place::Files { dir } => {
            td_string!(locale, admin.place_files, dir = dir.clone()).to_string()
        }
        Place::Objects { url } => {
            td_string!(locale, admin.place_objects, url = url.clone()).to_string()
        }
        Place::Other { text } => text.clone(),
    }
}

/// How a part of the server answered its check, in `locale`.
pub fn answer_text(locale: Locale, answer: &Answer) -> String {
    match answer {
        Answer::AnswersIn { ms } => td_string!(locale, admin.answers_in, ms = *ms).to_string(),
        Answer::NoAnswer => td_string!(locale, admin.no_answer).to_string(),
        Answer::Writable { ms } => td_string!(locale, admin.writable, ms = *ms).to_string(),
        Answer::NotWritable => td_string!(locale, admin.not_writable).to_string(),
        Answer::Unfinished => td_string!(locale, admin.unfinished).to_string(),
        Answer::Other { text } => text.clone(),
    }
}

/// A share's state (the protocol's name) as the table of shares says it,
/// in `locale`; a name this page does not know stays as it is.
pub fn share_state_text(locale: Locale, state: &str) -> String {
    match state {
        "uploading" => td_string!(locale, admin.share_uploading),
        "ready" => td_string!(locale, admin.share_ready),
        "consumed" => td_string!(locale, admin.share_consumed),
        "expired" => td_string!(locale, admin.share_expired),
        "revoked" => td_string!(locale, admin.share_revoked),
        "removed" => td_string!(locale, admin.share_removed),
        "locked" => td_string!(locale, admin.share_locked),
        _ => return state.to_string(),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_link_loses_its_key() {
        assert_eq!(
            without_fragment("https://x.example/s/AAAAAAAAAAAAAAAAAAAAAA#c2VjcmV0"),
            "https://x.example/s/AAAAAAAAAAAAAAAAAAAAAA"
        );
        assert_eq!(
            without_fragment("AAAAAAAAAAAAAAAAAAAAAA"),
            "AAAAAAAAAAAAAAAAAAAAAA"
        );
        assert_eq!(without_fragment("#only-a-key"), "");
    }

    #[test]
    fn bars_scale_to_the_largest_and_fill_the_width() {
        let b = bars(&[0, 5, 10]);
        assert_eq!(b.len(), 3);
        assert_eq!(b[2].height, CHART_SIZE.1);
        assert_eq!(b[1].height, CHART_SIZE.1 / 2.0);
        assert!(
            b[0].height > 0.0 && b[0].height < 1.0,
            "a zero is a hairline"
        );
        assert!((b[2].x + b[2].width) <= CHART_SIZE.0);
        assert!(bars(&[]).is_empty());
    }

    #[test]
    fn uptime_reads_in_the_two_largest_units() {
        let english = Locale::en;
        assert_eq!(uptime_text(english, 59), "0 min");
        assert_eq!(uptime_text(english, 3 * 3600 + 12 * 60), "3 h 12 min");
        assert_eq!(uptime_text(english, 86_400 + 3600), "1 day 1 h");
        assert_eq!(uptime_text(english, 3 * 86_400), "3 days 0 h");
    }

    #[test]
    fn the_console_speaks_german_and_arabic_and_keeps_unknown_words() {
        assert_eq!(uptime_text(Locale::de, 2 * 86_400 + 3600), "2 Tage 1 Std.");
        assert_eq!(uptime_text(Locale::ar, 2 * 86_400 + 3600), "يومان 1 س");
        assert_eq!(series_label(Locale::en, SeriesKind::Created), "Creates");
        assert_eq!(
            series_label(Locale::de, SeriesKind::Created),
            "Erstellungen"
        );
        assert_eq!(share_state_text(Locale::en, "ready"), "ready");
        assert_eq!(share_state_text(Locale::ar, "locked"), "مقفلة");
        assert_eq!(share_state_text(Locale::de, "other"), "other");
    }

    #[test]
    fn english_sentences_read_as_the_server_wrote_them() {
        let english = Locale::en;
        let wrong = |left| login_error_text(english, LoginError::WrongPassword { left });
        assert_eq!(
            wrong(1),
            "Wrong password. 1 more wrong password from this address locks sign-in for 15 minutes."
        );
        assert_eq!(
            wrong(4),
            "Wrong password. 4 more wrong passwords from this address lock sign-in for 15 minutes."
        );
        assert_eq!(
            login_error_text(english, LoginError::LockedOut { minutes: 15 }),
            "Too many wrong passwords from your address: sign-in is locked for 15 minutes."
        );
        assert_eq!(
            login_error_text(english, LoginError::LockedOut { minutes: 1 }),
            "Too many wrong passwords from your address: sign-in is locked for 1 minute."
        );
        assert_eq!(
            login_error_text(english, LoginError::Busy { secs: 50 }),
            "Too many sign-in attempts on this server right now. Try again in 50 seconds."
        );
        assert_eq!(
            refusal_title(english, Refusal::NotSignedIn),
            "Not signed in"
        );
        assert_eq!(
            refusal_detail(english, Refusal::StorageUnavailable),
            "The server's storage does not answer right now. Try again shortly."
        );
        let short = "AAECAw".to_string();
        assert_eq!(
            takedown_text(english, &TakedownOutcome::Done { short: short.clone() }),
            "Share AAECAw is taken down: its ciphertext is deleted and it answers \"removed\" from now on."
        );
        assert_eq!(
            takedown_text(english, &TakedownOutcome::Unknown { short }),
            "No share AAECAw… is known to this server (it may have expired and been forgotten): nothing was taken down."
        );
        assert_eq!(
            place_text(
                english,
                &Place::Redb {
                    dir: "./data".into()
                }
            ),
            "embedded (redb in ./data)"
        );
        assert_eq!(place_text(english, &Place::Redis), "Redis");
        assert_eq!(
            answer_text(english, &Answer::AnswersIn { ms: 2 }),
            "answers in 2 ms"
        );
        assert_eq!(
            answer_text(english, &Answer::Writable { ms: 0 }),
            "writable (0 ms)"
        );
    }

    #[test]
    fn typed_values_become_german_and_arabic_sentences() {
        assert_eq!(
            login_error_text(Locale::de, LoginError::WrongPassword { left: 3 }),
            "Falsches Passwort. Noch 3 falsche Passwörter von dieser Adresse sperren die Anmeldung für 15 Minuten."
        );
        assert_eq!(
            login_error_text(Locale::ar, LoginError::LockedOut { minutes: 2 }),
            "عدد كبير جدًا من كلمات المرور الخاطئة من عنوانك: تسجيل الدخول مقفل لمدة دقيقتين."
        );
        assert_eq!(
            takedown_text(
                Locale::de,
                &TakedownOutcome::AlreadyDone {
                    short: "AAECAw".into()
                }
            ),
            "Die Freigabe AAECAw war bereits entfernt."
        );
        assert_eq!(
            takedown_text(
                Locale::ar,
                &TakedownOutcome::Done {
                    short: "AAECAw".into()
                }
            ),
            "أُزيلت المشاركة AAECAw: حُذف نصها المعمّى وستجيب بـ \"removed\" من الآن فصاعدًا."
        );
        assert_eq!(
            refusal_title(Locale::ar, Refusal::NotFromConsole),
            "رُفض الطلب"
        );
        assert_eq!(
            place_text(
                Locale::de,
                &Place::Files {
                    dir: "/srv/parts".into()
                }
            ),
            "Dateien in /srv/parts"
        );
        assert_eq!(
            answer_text(Locale::ar, &Answer::Unfinished),
            "لم يكتمل الفحص"
        );
        assert_eq!(
            answer_text(
                Locale::de,
                &Answer::Other {
                    text: "tape".into()
                }
            ),
            "tape"
        );
    }

    #[test]
    fn the_view_travels_as_json() {
        let view = AdminView::Login(LoginView {
            csrf: "t".into(),
            error: Some(LoginError::Busy { secs: 5 }),
            locked_out: false,
        });
        let json = serde_json::to_string(&view).unwrap_or_default();
        assert_eq!(serde_json::from_str::<AdminView>(&json).ok(), Some(view));
    }
}
