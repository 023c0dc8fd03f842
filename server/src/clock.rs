//! The server's one clock, in Unix seconds, and the RFC 3339 form answers show.
//!
//! Every instant the server decides with comes from a [`Clock`]: handlers and
//! the sweeper read the one in their state and hand `now` to the store, so a
//! test can hold time still or move it ([`Clock::manual`]).

use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(test)]
use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// Seconds since the Unix epoch.
pub type UnixSecs = i64;

/// Where the time comes from: the system, or (in tests) a hand that moves it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Clock {
    #[cfg(test)]
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system's clock.
    pub(crate) fn system() -> Self {
        Self::default()
    }

    /// A clock that stands at `start` until [`Clock::advance`] moves it.
    #[cfg(test)]
    pub(crate) fn manual(start: UnixSecs) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(start))),
        }
    }

    /// Moves a manual clock (and every clone of it) forward.
    #[cfg(test)]
    pub(crate) fn advance(&self, secs: i64) {
        let hand = self.manual.as_ref().expect("only a manual clock moves");
        hand.fetch_add(secs, Ordering::SeqCst);
    }

    /// Now.
    pub(crate) fn now(&self) -> UnixSecs {
        #[cfg(test)]
        if let Some(hand) = &self.manual {
            return hand.load(Ordering::SeqCst);
        }
        system_now()
    }
}

/// The system's time. Only for what must follow the real clock whatever a
/// test does (the TTLs Redis counts down by its own clock); everything else
/// asks a [`Clock`].
pub(crate) fn system_now() -> UnixSecs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The RFC 3339 form of an instant, as the API writes `expires_at` and friends.
pub(crate) fn rfc3339(t: UnixSecs) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_with_every_clone() {
        let clock = Clock::manual(1_000);
        let clone = clock.clone();
        assert_eq!(clock.now(), 1_000);
        clone.advance(61);
        assert_eq!(clock.now(), 1_061);
        assert!(Clock::system().now() > 1_700_000_000);
    }

    #[test]
    fn instants_are_written_in_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
    }
}
