//! The server's one clock, in Unix seconds, and the RFC 3339 form answers show.
//!
//! Every instant the server decides with comes from a [`Clock`]: handlers and
//! the sweeper read the one in their state and hand `now` to the store, so a
//! test can hold time still or move it ([`Clock::manual`]). Instances that
//! share a store with a clock of its own (Redis `TIME`) follow that clock
//! ([`Clock::following`]), so expiry and tickets mean the same on all of them.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// How often an instance reads its store's clock again.
const FOLLOW_EVERY: Duration = Duration::from_secs(10);

/// A clock that several instances share (the store's: Redis `TIME`).
pub(crate) trait SharedTime: Send + Sync + 'static {
    /// Its time now: `Ok(None)` when there is no such clock (a store private
    /// to one instance), `Err` a reason to log when it could not be read.
    fn shared_now(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<Option<UnixSecs>, String>> + Send + '_>>;
}

/// Seconds since the Unix epoch.
pub type UnixSecs = i64;

/// Where the time comes from: the system, or (in tests) a hand that moves it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Clock {
    #[cfg(test)]
    manual: Option<Arc<AtomicI64>>,
    /// Seconds to add to the system's time: the store's clock minus ours.
    offset: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// A clock that stands at `start` until [`Clock::advance`] moves it.
    #[cfg(test)]
    pub(crate) fn manual(start: UnixSecs) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(start))),
            offset: None,
        }
    }

    /// The system's clock shifted by `offset` seconds.
    fn shifted(offset: Arc<AtomicI64>) -> Self {
        Self {
            #[cfg(test)]
            manual: None,
            offset: Some(offset),
        }
    }

    /// The system's clock, shifted to the store's when the store has one:
    /// reads it now and every [`FOLLOW_EVERY`] after (in a task that ends
    /// with the runtime). A store that cannot answer leaves the last shift.
    pub(crate) async fn following(store: impl SharedTime) -> Self {
        let offset = Arc::new(AtomicI64::new(0));
        let clock = Self::shifted(offset.clone());
        if sync_offset(&store, &offset).await {
            tokio::spawn(async move {
                // The first tick is a period away: the store was read just now.
                let start = tokio::time::Instant::now() + FOLLOW_EVERY;
                let mut tick = tokio::time::interval_at(start, FOLLOW_EVERY);
                loop {
                    tick.tick().await;
                    sync_offset(&store, &offset).await;
                }
            });
        }
        clock
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
        let shift = self
            .offset
            .as_ref()
            .map_or(0, |o| o.load(Ordering::Relaxed));
        system_now().saturating_add(shift)
    }
}

/// Sets `offset` to the store's clock minus the system's; `false` when the
/// store has no clock of its own.
async fn sync_offset(store: &impl SharedTime, offset: &AtomicI64) -> bool {
    match store.shared_now().await {
        Ok(Some(theirs)) => {
            offset.store(theirs.saturating_sub(system_now()), Ordering::Relaxed);
            true
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the store's clock");
            true
        }
    }
}

/// The system's time. Only for what must follow the real clock whatever a
/// test does; everything else asks a [`Clock`].
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
        assert!(Clock::default().now() > 1_700_000_000);
    }

    #[tokio::test]
    async fn a_clock_following_a_store_with_its_own_clock_reads_that_clock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let embedded: Arc<dyn crate::store::Store> =
            Arc::new(crate::store::embedded::EmbeddedStore::open(dir.path()).expect("open"));
        // The embedded store has no clock of its own: the system's is the one.
        let own = Clock::following(embedded).await;
        assert!((own.now() - system_now()).abs() <= 1);
        // An offset moves every reading by that much.
        let shifted = Clock::shifted(Arc::new(AtomicI64::new(3_600)));
        assert!((shifted.now() - system_now() - 3_600).abs() <= 1);
    }

    #[test]
    fn instants_are_written_in_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
    }
}
