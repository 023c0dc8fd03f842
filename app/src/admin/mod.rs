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
    /// A refused request: why, and the way back.
    Refused(RefusedView),
}

/// The sign-in form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoginView {
    /// The form's token (bound to the pre-session cookie).
    pub csrf: String,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
    /// The address is locked out: the form is not offered.
    pub locked_out: bool,
}

/// A refused request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RefusedView {
    /// What happened, in a few words.
    pub title: String,
    /// What to do.
    pub detail: String,
}

/// The health of a part of the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// What it is ("records: redb in ./data").
    pub label: String,
    /// Whether it answers.
    pub ok: bool,
    /// How it answered (latency or the error).
    pub detail: String,
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
    /// Stable name for ids and tests ("created").
    pub key: String,
    /// What is counted ("Creates").
    pub label: String,
    /// Total of the last hour.
    pub hour: u64,
    /// Total of the last 24 hours.
    pub day: u64,
    /// The last hour in 5-minute bars, oldest first.
    pub hour_bars: Vec<u64>,
    /// The last 24 hours in 1-hour bars, oldest first.
    pub day_bars: Vec<u64>,
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    /// The token every form of this session carries.
    pub csrf: String,
    /// The result of the last action, shown once.
    pub notice: Option<String>,
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

/// What a series of the activity table counts, in `locale`; a series this
/// page does not know keeps the server's label.
pub fn series_label(locale: Locale, key: &str, server_label: &str) -> String {
    match key {
        "created" => td_string!(locale, admin.series_created),
        "claimed" => td_string!(locale, admin.series_claimed),
        "wrong-password" => td_string!(locale, admin.series_wrong_password),
        "locked" => td_string!(locale, admin.series_locked),
        "expired" => td_string!(locale, admin.series_expired),
        "revoked" => td_string!(locale, admin.series_revoked),
        "rate-limited" => td_string!(locale, admin.series_rate_limited),
        _ => return server_label.to_string(),
    }
    .to_string()
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
        assert_eq!(series_label(Locale::en, "created", "Creates"), "Creates");
        assert_eq!(
            series_label(Locale::de, "created", "Creates"),
            "Erstellungen"
        );
        assert_eq!(series_label(Locale::ar, "new-kind", "New kind"), "New kind");
        assert_eq!(share_state_text(Locale::en, "ready"), "ready");
        assert_eq!(share_state_text(Locale::ar, "locked"), "مقفلة");
        assert_eq!(share_state_text(Locale::de, "other"), "other");
    }
}
