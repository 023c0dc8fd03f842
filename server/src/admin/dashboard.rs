//! What the dashboard shows, read from the store, the blobs and the
//! instance: counts, sizes, states, times and short ids, nothing else.

use std::time::Instant;

use app::admin::{
    ActionRow, Answer, DashboardView, Health, LiveShares, Place, Series, SeriesKind, ShareRow,
    TakedownOutcome,
};
use time::OffsetDateTime;

use crate::{
    clock::UnixSecs,
    state::AppState,
    store::operator::{minute_of, EventCount, EventKind, Overview},
};

/// Shares in the table of the newest.
pub(crate) const RECENT_SHARES: usize = 50;
/// Entries in the list of recent actions.
const RECENT_ACTIONS: usize = 20;
/// The charts' spans.
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// Bars of the hour chart (5 minutes each) and of the day chart (an hour each).
const HOUR_BARS: usize = 12;
const DAY_BARS: usize = 24;

/// `2026-01-02 13:45 UTC`: the same text on the server and in the hydrated page.
pub(crate) fn utc(t: UnixSecs) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .map(|d| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                d.year(),
                u8::from(d.month()),
                d.day(),
                d.hour(),
                d.minute()
            )
        })
        .unwrap_or_default()
}

/// What the charts count, in the order shown, and the event kind (`None`:
/// expiries, which the store's records tell). The page names them.
const SERIES: [(SeriesKind, Option<EventKind>); 7] = [
    (SeriesKind::Created, Some(EventKind::Created)),
    (SeriesKind::Claimed, Some(EventKind::Claimed)),
    (SeriesKind::WrongPassword, Some(EventKind::WrongPassword)),
    (SeriesKind::Locked, Some(EventKind::Locked)),
    (SeriesKind::Expired, None),
    (SeriesKind::Revoked, Some(EventKind::Revoked)),
    (SeriesKind::RateLimited, Some(EventKind::RateLimited)),
];

/// Puts `(minute, count)` pairs into the hour and day bars that end with the minute of `now`.
fn series(
    kind: SeriesKind,
    counts: impl Iterator<Item = (UnixSecs, u64)>,
    now: UnixSecs,
) -> Series {
    let end = minute_of(now) + 60;
    let mut hour_bars = vec![0u64; HOUR_BARS];
    let mut day_bars = vec![0u64; DAY_BARS];
    for (minute, n) in counts {
        let minute = minute_of(minute);
        if minute >= end {
            continue;
        }
        let before_end = end - minute;
        if before_end <= DAY {
            let i = DAY_BARS - 1 - ((before_end - 1) / (DAY / DAY_BARS as i64)) as usize;
            day_bars[i] += n;
        }
        if before_end <= HOUR {
            let i = HOUR_BARS - 1 - ((before_end - 1) / (HOUR / HOUR_BARS as i64)) as usize;
            hour_bars[i] += n;
        }
    }
    Series {
        kind,
        hour: hour_bars.iter().sum(),
        day: day_bars.iter().sum(),
        hour_bars,
        day_bars,
    }
}

/// Every chart of the dashboard from the store's event counts and expiries.
pub(crate) fn activity(events: &[EventCount], expiries: &[UnixSecs], now: UnixSecs) -> Vec<Series> {
    SERIES
        .iter()
        .map(|&(series_kind, event)| match event {
            Some(event) => series(
                series_kind,
                events
                    .iter()
                    .filter(|c| c.kind == event)
                    .map(|c| (c.minute, c.count)),
                now,
            ),
            None => series(series_kind, expiries.iter().map(|&t| (t, 1)), now),
        })
        .collect()
}

fn share_rows(o: &Overview) -> Vec<ShareRow> {
    o.recent
        .iter()
        .map(|s| ShareRow {
            short_id: s.short_id.clone(),
            state: s.state.as_str().to_owned(),
            size: s.size,
            created: utc(s.created_at),
            expires: utc(s.expires_at),
            downloads_left: s.downloads_left,
            failed_attempts: s.failed_attempts,
        })
        .collect()
}

/// The record store's name as the console shows it (never its URL, which may hold a password).
fn store_label(state: &AppState) -> Place {
    if state.config.redis_url.is_some() {
        Place::Redis
    } else {
        Place::Redb {
            dir: state.config.data_dir.display().to_string(),
        }
    }
}

/// The ciphertext storage's label as typed values: the blob backends say
/// `files in {dir}` or `objects in {url}`; anything else is shown as it is.
fn blob_place(label: String) -> Place {
    if let Some(dir) = label.strip_prefix("files in ") {
        Place::Files {
            dir: dir.to_owned(),
        }
    } else if let Some(url) = label.strip_prefix("objects in ") {
        Place::Objects {
            url: url.to_owned(),
        }
    } else {
        Place::Other { text: label }
    }
}

/// The ciphertext storage's answer as typed values: the blob backends say
/// `writable ({ms} ms)`, `not writable (see the server log)` or `the check
/// did not finish`; anything else is shown as it is.
fn blob_answer(detail: String) -> Answer {
    let ms = detail
        .strip_prefix("writable (")
        .and_then(|d| d.strip_suffix(" ms)"))
        .and_then(|ms| ms.parse().ok());
    match (ms, detail.as_str()) {
        (Some(ms), _) => Answer::Writable { ms },
        (None, "not writable (see the server log)") => Answer::NotWritable,
        (None, "the check did not finish") => Answer::Unfinished,
        _ => Answer::Other { text: detail },
    }
}

/// The dashboard as of now; a part the store cannot give shows as failing.
pub(crate) async fn view(
    state: &AppState,
    csrf: String,
    notice: Option<TakedownOutcome>,
) -> DashboardView {
    let now = state.clock.now();
    // This instance's counts go to the store first, so its own actions show at once.
    let _ = state.metrics.flush_events(&*state.store).await;

    let t = Instant::now();
    let ping = state.store.ping().await;
    let store = Health {
        label: store_label(state),
        ok: ping.is_ok(),
        detail: match &ping {
            Ok(()) => Answer::AnswersIn {
                ms: u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX),
            },
            Err(_) => Answer::NoAnswer,
        },
    };
    let blob_health = state.blobs.health().await;
    let blobs = Health {
        label: blob_place(blob_health.label),
        ok: blob_health.ok,
        detail: blob_answer(blob_health.detail),
    };

    let since = now - DAY;
    let overview = match state.store.overview(now, RECENT_SHARES, since).await {
        Ok(o) => o,
        Err(e) => {
            state.metrics.store_error();
            tracing::warn!(error = %e, "console: no overview");
            Overview::default()
        }
    };
    let events = state.store.events_since(since).await.unwrap_or_else(|e| {
        state.metrics.store_error();
        tracing::warn!(error = %e, "console: no event counts");
        Vec::new()
    });
    let actions = state
        .store
        .recent_audit(RECENT_ACTIONS)
        .await
        .unwrap_or_else(|e| {
            state.metrics.store_error();
            tracing::warn!(error = %e, "console: no audit entries");
            Vec::new()
        });

    DashboardView {
        csrf,
        notice,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_secs: state.started.elapsed().as_secs(),
        as_of: utc(now),
        store,
        blobs,
        live: LiveShares {
            uploading: overview.live.uploading,
            ready: overview.live.ready,
            downloading: overview.live.downloading,
            locked: overview.live.locked,
        },
        stored_bytes: overview.held_bytes,
        free_bytes: blob_health.free_bytes,
        activity: activity(&events, &overview.expiries, now),
        shares: share_rows(&overview),
        actions: actions
            .into_iter()
            .map(|a| ActionRow {
                at: utc(a.at),
                action: a.action.as_str().to_owned(),
                client: a.client,
                share: a.share.unwrap_or_default(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_the_bars_that_end_now() {
        let now = 1_800_000_000 + 30; // 30 s into a minute
        let m = minute_of(now);
        let events = [
            EventCount {
                minute: m,
                kind: EventKind::Created,
                count: 2,
            },
            EventCount {
                minute: m - 5 * 60,
                kind: EventKind::Created,
                count: 1,
            },
            EventCount {
                minute: m - 59 * 60,
                kind: EventKind::Created,
                count: 4,
            },
            EventCount {
                minute: m - 60 * 60,
                kind: EventKind::Created,
                count: 8,
            },
            EventCount {
                minute: m - 23 * 3600 - 59 * 60,
                kind: EventKind::Created,
                count: 16,
            },
            EventCount {
                minute: m - 24 * 3600,
                kind: EventKind::Created,
                count: 32,
            },
            EventCount {
                minute: m,
                kind: EventKind::Claimed,
                count: 1,
            },
        ];
        let s = &activity(&events, &[now - 10], now);
        let created = &s[0];
        assert_eq!(created.kind.key(), "created");
        assert_eq!(
            created.hour,
            2 + 1 + 4,
            "the minute an hour back is outside"
        );
        assert_eq!(created.day, 2 + 1 + 4 + 8 + 16);
        assert_eq!(created.hour_bars[11], 2);
        assert_eq!(created.hour_bars[10], 1);
        assert_eq!(created.hour_bars[0], 4);
        assert_eq!(created.day_bars[23], 2 + 1 + 4);
        assert_eq!(created.day_bars[22], 8);
        assert_eq!(created.day_bars[0], 16);
        assert_eq!((s[1].hour, s[1].day), (1, 1));
        let expired = s
            .iter()
            .find(|x| x.kind == SeriesKind::Expired)
            .expect("expiries");
        assert_eq!((expired.hour, expired.day), (1, 1));
    }

    #[test]
    fn the_blob_backends_words_become_typed_values() {
        assert_eq!(
            blob_place("files in /var/lib/ots/parts".into()),
            Place::Files {
                dir: "/var/lib/ots/parts".into()
            }
        );
        assert_eq!(
            blob_place("objects in s3://bucket/p".into()),
            Place::Objects {
                url: "s3://bucket/p".into()
            }
        );
        assert_eq!(
            blob_place("tape".into()),
            Place::Other {
                text: "tape".into()
            }
        );
        assert_eq!(
            blob_answer("writable (3 ms)".into()),
            Answer::Writable { ms: 3 }
        );
        assert_eq!(
            blob_answer("not writable (see the server log)".into()),
            Answer::NotWritable
        );
        assert_eq!(
            blob_answer("the check did not finish".into()),
            Answer::Unfinished
        );
        assert_eq!(
            blob_answer("writable (soon)".into()),
            Answer::Other {
                text: "writable (soon)".into()
            }
        );
    }

    #[test]
    fn times_read_in_utc_to_the_minute() {
        assert_eq!(
            utc(1_767_225_600 + 13 * 3600 + 45 * 60 + 7),
            "2026-01-01 13:45 UTC"
        );
    }
}
