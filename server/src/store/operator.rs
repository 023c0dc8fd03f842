//! What the operator's console and the metrics read from a store, and the one
//! thing the operator may do to a share: take it down.
//!
//! Everything here is about counts, sizes, states and times. A store answers
//! with the first six characters of an id ([`ShareSummary::short_id`]) and
//! never with a verifier, a token hash or sealed meta: the console cannot show
//! what it is never given.
//!
//! The console's own data (sessions, audit entries, event counts) lives in the
//! store too, so that every instance behind a load balancer sees the same
//! sessions, the same recent actions and the same charts.

use std::{cmp::Reverse, collections::BinaryHeap};

use ots_proto::ShareState;
use serde::{Deserialize, Serialize};

use super::{Digest, ShareId, ShareRecord, StoreFuture, StoredState, UnixSecs};

/// How long event counts are kept: the console charts the last 24 hours.
pub const EVENT_RETENTION_SECS: i64 = 25 * 3600;
/// How many audit entries a store keeps (newest first).
pub const AUDIT_KEEP: usize = 200;
/// Width of an event bucket.
pub const EVENT_BUCKET_SECS: i64 = 60;

/// The answer of [`OperatorStore::take_down`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TakedownOutcome {
    /// No such share.
    NotFound,
    /// The share is removed (`already`: it was before this call); `delete_files`
    /// when the caller must delete its part files now.
    Removed {
        /// Whether the caller must delete the share's part files now.
        delete_files: bool,
        /// Whether the share had been taken down before.
        already: bool,
    },
}

/// Live shares by the state the console shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCounts {
    /// Created, parts still coming.
    pub uploading: u64,
    /// Claimable.
    pub ready: u64,
    /// Every download claimed, a ticket still alive (a download may be running).
    pub downloading: u64,
    /// Locked after wrong passwords, not yet expired.
    pub locked: u64,
}

/// One share as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareSummary {
    /// The first six characters of the id: enough to tell shares apart, never to address one.
    pub short_id: String,
    /// The protocol's state at the time of the overview.
    pub state: ShareState,
    /// Payload bytes.
    pub size: u64,
    /// Creation instant.
    pub created_at: UnixSecs,
    /// Expiry.
    pub expires_at: UnixSecs,
    /// Claims still allowed.
    pub downloads_left: u32,
    /// Wrong passwords so far.
    pub failed_attempts: u32,
}

/// What the console's dashboard and the store gauges show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overview {
    /// Live shares by state.
    pub live: LiveCounts,
    /// Ciphertext bytes the store holds for: the payload size of every share
    /// whose ciphertext is still kept (an upload in progress counts in full).
    pub held_bytes: u64,
    /// Shares the store remembers (live or not).
    pub remembered: u64,
    /// Expiry instants, at or after the asked instant, of shares that expired
    /// unclaimed (not consumed, revoked or removed), while their records are remembered.
    pub expiries: Vec<UnixSecs>,
    /// The newest shares, newest first.
    pub recent: Vec<ShareSummary>,
}

/// A kind of event the console charts. The codes are stored: never reuse one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    /// A share was created.
    Created,
    /// A claim was granted (replays not counted).
    Claimed,
    /// A claim carried a wrong password.
    WrongPassword,
    /// A wrong password locked a share.
    Locked,
    /// A sender revoked a share.
    Revoked,
    /// A request was refused by a rate limit.
    RateLimited,
}

impl EventKind {
    /// Every kind, in the order the console shows them.
    pub const ALL: [EventKind; 6] = [
        EventKind::Created,
        EventKind::Claimed,
        EventKind::WrongPassword,
        EventKind::Locked,
        EventKind::Revoked,
        EventKind::RateLimited,
    ];

    /// The stored code.
    pub fn code(self) -> u8 {
        match self {
            EventKind::Created => 0,
            EventKind::Claimed => 1,
            EventKind::WrongPassword => 2,
            EventKind::Locked => 3,
            EventKind::Revoked => 4,
            EventKind::RateLimited => 5,
        }
    }

    /// The kind of a stored code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// A count of events of one kind in the minute that starts at `minute`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventCount {
    /// Start of the minute (a multiple of [`EVENT_BUCKET_SECS`]).
    pub minute: UnixSecs,
    /// What happened.
    pub kind: EventKind,
    /// How often.
    pub count: u64,
}

/// The start of the bucket that holds `t`.
pub fn minute_of(t: UnixSecs) -> UnixSecs {
    t.div_euclid(EVENT_BUCKET_SECS) * EVENT_BUCKET_SECS
}

/// A signed-in console session, kept under the SHA-256 of its cookie.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSession {
    /// Sign-in instant (the absolute lifetime counts from here).
    pub created_at: UnixSecs,
    /// Last request (the idle lifetime counts from here).
    pub last_seen: UnixSecs,
    /// The synchronizer token every form of this session carries.
    pub csrf: Digest,
    /// A one-time notice for the next page (the result of the last action).
    pub notice: Option<String>,
    /// Dead at this instant whatever happens (`created_at` plus the absolute lifetime).
    pub ends_at: UnixSecs,
}

/// What an audit entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A sign-in with the right password.
    Login,
    /// A sign-in with a wrong password.
    LoginFailed,
    /// An address locked out after too many wrong passwords.
    Lockout,
    /// A sign-out.
    Logout,
    /// A share taken down.
    Takedown,
}

impl AuditAction {
    /// The name in logs and on the console.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::Lockout => "lockout",
            AuditAction::Logout => "logout",
            AuditAction::Takedown => "takedown",
        }
    }
}

/// One operator action, as the audit log and the console's recent actions show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: UnixSecs,
    /// What.
    pub action: AuditAction,
    /// The client address it came from.
    pub client: String,
    /// The short id of the share it concerned, if any.
    pub share: Option<String>,
}

/// What the operator's console and the metrics need from a store.
///
/// [`OperatorStore::take_down`] changes a share and follows the [`super::Store`]
/// rules (atomic, durable before it answers). The rest is bookkeeping of the
/// console: reads that may be a moment old, and writes whose loss in a crash
/// costs at most a sign-in or a few counts.
pub trait OperatorStore: Send + Sync {
    /// Takes a share down (protocol 1.1): its state becomes removed for good,
    /// its tickets die, an inline payload is dropped now and part files are
    /// due for deletion. Any remembered share can be taken down.
    fn take_down(&self, id: ShareId, now: UnixSecs) -> StoreFuture<'_, TakedownOutcome>;

    /// Live counts, held bytes, expiries at or after `expired_since`, and the
    /// `recent` newest shares, all as seen at `now`.
    fn overview(
        &self,
        now: UnixSecs,
        recent: usize,
        expired_since: UnixSecs,
    ) -> StoreFuture<'_, Overview>;

    /// Adds counts to their minute buckets; buckets older than
    /// [`EVENT_RETENTION_SECS`] may be dropped.
    fn add_events(&self, counts: Vec<EventCount>) -> StoreFuture<'_, ()>;

    /// The counts of every bucket at or after `since`, summed over every writer.
    fn events_since(&self, since: UnixSecs) -> StoreFuture<'_, Vec<EventCount>>;

    /// Stores a session under `key` (the SHA-256 of its cookie), replacing one there.
    fn put_session(&self, key: Digest, session: ConsoleSession) -> StoreFuture<'_, ()>;

    /// The session under `key`, if one is kept (the caller checks its lifetimes).
    fn session(&self, key: Digest) -> StoreFuture<'_, Option<ConsoleSession>>;

    /// Forgets the session under `key`.
    fn drop_session(&self, key: Digest) -> StoreFuture<'_, ()>;

    /// Appends an audit entry; only the newest [`AUDIT_KEEP`] are kept.
    fn add_audit(&self, entry: AuditEntry) -> StoreFuture<'_, ()>;

    /// The newest `limit` audit entries, newest first.
    fn recent_audit(&self, limit: usize) -> StoreFuture<'_, Vec<AuditEntry>>;
}

/// The transition of a takedown, for backends that keep whole records.
pub fn take_down(rec: &mut ShareRecord) -> (TakedownOutcome, bool) {
    if rec.state == StoredState::Removed {
        return (
            TakedownOutcome::Removed {
                delete_files: rec.files_present,
                already: true,
            },
            false,
        );
    }
    rec.end(StoredState::Removed);
    (
        TakedownOutcome::Removed {
            delete_files: rec.files_present,
            already: false,
        },
        true,
    )
}

/// What the overview needs to know of one share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Glance {
    /// Stored state.
    pub state: StoredState,
    /// Payload bytes.
    pub size: u64,
    /// Creation instant.
    pub created_at: UnixSecs,
    /// Expiry.
    pub expires_at: UnixSecs,
    /// Claims still allowed.
    pub downloads_left: u32,
    /// Wrong passwords so far.
    pub failed_attempts: u32,
    /// Whether its ciphertext is still kept.
    pub bytes_held: bool,
    /// Whether a ticket is alive at the overview's `now`.
    pub live_ticket: bool,
}

impl Glance {
    /// The glance of a whole record at `now`.
    pub fn of(rec: &ShareRecord, now: UnixSecs) -> Self {
        Self {
            state: rec.state,
            size: rec.size,
            created_at: rec.created_at,
            expires_at: rec.expires_at,
            downloads_left: rec.downloads_left,
            failed_attempts: rec.failed_attempts,
            bytes_held: rec.inline_present || rec.files_present,
            live_ticket: rec
                .tickets
                .iter()
                .any(|t| !t.released && now < t.expires_at),
        }
    }

    /// The protocol's state at `now` (as [`ShareRecord::state_at`]).
    pub fn state_at(&self, now: UnixSecs) -> ShareState {
        match self.state {
            StoredState::Revoked | StoredState::Removed | StoredState::Consumed => {
                self.state.protocol()
            }
            _ if now >= self.expires_at => ShareState::Expired,
            s => s.protocol(),
        }
    }
}

/// A summary ordered by creation (then short id), for the heap of the newest.
#[derive(PartialEq, Eq)]
struct ByCreation(ShareSummary);

impl Ord for ByCreation {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.created_at, &self.0.short_id).cmp(&(other.0.created_at, &other.0.short_id))
    }
}

impl PartialOrd for ByCreation {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Builds an [`Overview`] from glances, keeping only the newest `recent`.
pub struct OverviewBuilder {
    now: UnixSecs,
    recent: usize,
    expired_since: UnixSecs,
    overview: Overview,
    /// A min-heap: its top is the oldest of the newest kept so far.
    newest: BinaryHeap<Reverse<ByCreation>>,
}

impl OverviewBuilder {
    /// An empty overview as of `now`.
    pub fn new(now: UnixSecs, recent: usize, expired_since: UnixSecs) -> Self {
        Self {
            now,
            recent,
            expired_since,
            overview: Overview::default(),
            newest: BinaryHeap::new(),
        }
    }

    /// Counts one share.
    pub fn add(&mut self, id: &ShareId, g: &Glance) {
        let now = self.now;
        let o = &mut self.overview;
        o.remembered += 1;
        if g.bytes_held {
            o.held_bytes = o.held_bytes.saturating_add(g.size);
        }
        let state = g.state_at(now);
        match state {
            ShareState::Uploading => o.live.uploading += 1,
            ShareState::Ready => o.live.ready += 1,
            ShareState::Locked => o.live.locked += 1,
            ShareState::Consumed if g.live_ticket && now < g.expires_at => o.live.downloading += 1,
            ShareState::Expired
                if g.state != StoredState::Uploading && g.expires_at >= self.expired_since =>
            {
                o.expiries.push(g.expires_at);
            }
            _ => {}
        }
        if self.recent == 0 {
            return;
        }
        let newer = |oldest: &Reverse<ByCreation>| {
            (g.created_at, id.short()) > (oldest.0 .0.created_at, oldest.0 .0.short_id.as_str())
        };
        if self.newest.len() >= self.recent {
            if !self.newest.peek().is_some_and(newer) {
                return;
            }
            self.newest.pop();
        }
        self.newest.push(Reverse(ByCreation(ShareSummary {
            short_id: id.short().to_owned(),
            state,
            size: g.size,
            created_at: g.created_at,
            expires_at: g.expires_at,
            downloads_left: g.downloads_left,
            failed_attempts: g.failed_attempts,
        })));
    }

    /// The overview, newest shares first and expiries in order.
    pub fn finish(mut self) -> Overview {
        let mut recent: Vec<ByCreation> = self.newest.into_iter().map(|Reverse(s)| s).collect();
        recent.sort_by(|a, b| b.cmp(a));
        self.overview.recent = recent.into_iter().map(|s| s.0).collect();
        self.overview.expiries.sort_unstable();
        self.overview
    }
}

/// Sums counts by (minute, kind), in order: what two writers added to one bucket is one count.
pub fn merge_events(counts: impl IntoIterator<Item = EventCount>) -> Vec<EventCount> {
    let mut sums: std::collections::BTreeMap<(UnixSecs, EventKind), u64> =
        std::collections::BTreeMap::new();
    for c in counts {
        let n = sums.entry((minute_of(c.minute), c.kind)).or_default();
        *n = n.saturating_add(c.count);
    }
    sums.into_iter()
        .map(|((minute, kind), count)| EventCount {
            minute,
            kind,
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_codes_are_stable_and_round_trip() {
        let codes: Vec<u8> = EventKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5]);
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_code(k.code()), Some(k));
        }
        assert_eq!(EventKind::from_code(200), None);
    }

    #[test]
    fn minutes_start_on_the_minute() {
        assert_eq!(minute_of(120), 120);
        assert_eq!(minute_of(179), 120);
        assert_eq!(minute_of(-1), -60);
    }

    #[test]
    fn the_builder_keeps_the_newest_shares_newest_first() {
        let mut b = OverviewBuilder::new(1_000, 2, 0);
        for (i, created) in [10, 30, 20].into_iter().enumerate() {
            let id = ShareId::from_bytes([i as u8; 16]);
            let g = Glance {
                state: StoredState::Ready,
                size: 5,
                created_at: created,
                expires_at: 2_000,
                downloads_left: 1,
                failed_attempts: 0,
                bytes_held: true,
                live_ticket: false,
            };
            b.add(&id, &g);
        }
        let o = b.finish();
        let created: Vec<_> = o.recent.iter().map(|s| s.created_at).collect();
        assert_eq!(created, [30, 20]);
        assert_eq!((o.live.ready, o.held_bytes, o.remembered), (3, 15, 3));
        assert!(o.recent.iter().all(|s| s.short_id.len() == 6));
    }
}
