//! Share records: the [`Store`] trait, its value types, and one backend per module.
//!
//! A store holds everything about a share except the bytes of file-backed
//! payloads, which live in [`crate::blobs`]. Every method that changes a share
//! is one atomic operation on the store: the server never reads a record,
//! decides, and writes it back, so a backend shared by several server
//! instances (Redis with one Lua script per operation) keeps protocol §5's
//! guarantees.

pub mod embedded;
pub mod operator;
#[cfg(feature = "redis")]
pub mod redis;

#[cfg(any(test, feature = "test-support"))]
pub mod contract;
#[cfg(any(test, feature = "test-support"))]
pub mod operator_contract;

use std::{future::Future, pin::Pin};

pub use ots_proto::ShareId;
use ots_proto::{GoneReason, KdfParams, ShareState, MAX_FAILED_ATTEMPTS, REQUEST_ID_SIZE};
use serde::{Deserialize, Serialize};

pub use self::operator::OperatorStore;
pub use crate::clock::UnixSecs;

/// A SHA-256 digest: a verifier or the hash of a server-issued token.
pub type Digest = [u8; 32];
/// A `request_id` of a claim (16 bytes).
pub type RequestId = [u8; REQUEST_ID_SIZE];

/// A boxed future returned by [`Store`] methods, so backends can sit behind `Arc<dyn Store>`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A failure of the storage itself (disk, database, network); never a protocol outcome.
#[derive(Debug, Clone, thiserror::Error)]
#[error("store failure: {0}")]
pub struct StoreError(pub String);

impl StoreError {
    /// Wraps any displayable backend error.
    pub fn new(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

/// The state a record keeps: what happened to the share, not what the clock
/// says ([`ShareRecord::state_at`] gives the protocol's [`ShareState`]).
///
/// **Encoding.** The embedded store writes records with postcard, which
/// stores a variant by its index: never reorder or remove a variant, add new
/// ones at the end. The Redis store writes the one-letter codes of
/// `store::redis`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredState {
    /// Created, parts not yet complete.
    Uploading,
    /// Claimable.
    Ready,
    /// Every download was claimed.
    Consumed,
    /// Five wrong passwords; never unlocked.
    Locked,
    /// Revoked by its sender.
    Revoked,
    /// Never written (expiry comes from `expires_at` and the clock); it keeps
    /// its index so that the variants after it could never take it.
    Expired,
    /// Taken down by the operator (protocol 1.1: `410 removed`).
    Removed,
}

impl StoredState {
    /// The protocol's name for this state, before the clock is asked.
    pub fn protocol(self) -> ShareState {
        match self {
            StoredState::Uploading => ShareState::Uploading,
            StoredState::Ready => ShareState::Ready,
            StoredState::Consumed => ShareState::Consumed,
            StoredState::Locked => ShareState::Locked,
            StoredState::Revoked => ShareState::Revoked,
            StoredState::Expired => ShareState::Expired,
            StoredState::Removed => ShareState::Removed,
        }
    }
}

/// A ticket issued by a successful claim: only its hash is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// SHA-256 of the ticket.
    pub hash: Digest,
    /// Dead at and after this instant; moved forward on every use.
    pub expires_at: UnixSecs,
    /// Released by its holder (`DELETE .../blob`): dead.
    pub released: bool,
}

/// What a successful claim answered, kept so a retry with the same `request_id` gets it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    /// The claim's `request_id`.
    pub request_id: RequestId,
    /// SHA-256 of the ticket it got.
    pub ticket_hash: Digest,
    /// The ticket masked with a key only the claimer's tokens can rebuild.
    pub ticket_sealed: Digest,
    /// `downloads_left` as answered.
    pub downloads_left: u32,
}

/// Everything the server remembers about a share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    /// Stored state; never [`StoredState::Expired`] (see [`ShareRecord::state_at`]).
    pub state: StoredState,
    /// Payload bytes.
    pub size: u64,
    /// Creation instant.
    pub created_at: UnixSecs,
    /// Original expiry.
    pub expires_at: UnixSecs,
    /// Downloads allowed at creation.
    pub max_downloads: u32,
    /// Claims still allowed.
    pub downloads_left: u32,
    /// Wrong passwords so far.
    pub failed_attempts: u32,
    /// SHA-256 of `link_token`.
    pub link_verifier: Digest,
    /// SHA-256 of `claim_token`.
    pub claim_verifier: Digest,
    /// Sealed meta (opaque).
    pub meta: Vec<u8>,
    /// Argon2id parameters, when the share has a password.
    pub kdf: Option<KdfParams>,
    /// SHA-256 of the manage token.
    pub manage_token_hash: Digest,
    /// SHA-256 of the upload token while uploading.
    pub upload_token_hash: Option<Digest>,
    /// The payload is kept by the store itself rather than as part files.
    pub inline: bool,
    /// Part files may still be on disk (file-backed shares only).
    pub files_present: bool,
    /// The inline payload is still kept.
    pub inline_present: bool,
    /// Tickets issued by claims.
    pub tickets: Vec<Ticket>,
    /// Answers of successful claims that carried a `request_id`.
    pub replays: Vec<Replay>,
    /// Instants of successful claims.
    pub downloads: Vec<UnixSecs>,
}

impl ShareRecord {
    /// Ends the share for good in `state` (revoked or removed): every ticket
    /// dies, the upload token too, and an inline payload is dropped.
    pub fn end(&mut self, state: StoredState) {
        self.state = state;
        for t in &mut self.tickets {
            t.released = true;
        }
        self.upload_token_hash = None;
        self.inline_present = false;
    }

    /// The state as seen at `now`: revoked, removed and consumed stay so; anything else past expiry is expired.
    pub fn state_at(&self, now: UnixSecs) -> ShareState {
        match self.state {
            StoredState::Revoked | StoredState::Removed | StoredState::Consumed => {
                self.state.protocol()
            }
            _ if now >= self.expires_at => ShareState::Expired,
            s => s.protocol(),
        }
    }

    /// The `410` reason for a share that can no longer be claimed, if any.
    pub fn gone_reason(&self, now: UnixSecs) -> Option<GoneReason> {
        self.state_at(now).gone_reason()
    }

    /// Whether `hash` names a ticket alive at `now`.
    pub fn live_ticket(&self, hash: &Digest, now: UnixSecs) -> Option<usize> {
        self.tickets
            .iter()
            .position(|t| !t.released && now < t.expires_at && digest_eq(&t.hash, hash))
    }

    /// Whether the ciphertext must be gone at `now` (protocol §6).
    pub fn bytes_due_for_deletion(&self, now: UnixSecs) -> bool {
        if now >= self.expires_at {
            return true;
        }
        match self.state_at(now) {
            ShareState::Revoked | ShareState::Removed | ShareState::Expired => true,
            ShareState::Consumed => !self
                .tickets
                .iter()
                .any(|t| !t.released && now < t.expires_at),
            _ => false,
        }
    }

    /// Whether the share may be forgotten entirely at `now` (after which it is `404`).
    pub fn forgettable(&self, now: UnixSecs, tombstone_secs: i64) -> bool {
        let bytes_gone = !self.files_present && !self.inline_present;
        let over = match self.state {
            // An incomplete upload dies at its expiry with its parts.
            StoredState::Uploading => now >= self.expires_at,
            _ => now >= self.expires_at.saturating_add(tombstone_secs),
        };
        bytes_gone && over
    }
}

/// A share to create (ids and tokens made by the server).
#[derive(Clone, Debug)]
pub struct NewShare {
    /// Its id.
    pub id: ShareId,
    /// Payload bytes.
    pub size: u64,
    /// Creation instant.
    pub created_at: UnixSecs,
    /// Expiry.
    pub expires_at: UnixSecs,
    /// Downloads allowed.
    pub max_downloads: u32,
    /// SHA-256 of `link_token`.
    pub link_verifier: Digest,
    /// SHA-256 of `claim_token`.
    pub claim_verifier: Digest,
    /// Sealed meta.
    pub meta: Vec<u8>,
    /// Argon2id parameters.
    pub kdf: Option<KdfParams>,
    /// SHA-256 of the manage token.
    pub manage_token_hash: Digest,
    /// SHA-256 of the upload token; `None` with an inline payload.
    pub upload_token_hash: Option<Digest>,
    /// The whole payload, when sent with the create request.
    pub inline_payload: Option<Vec<u8>>,
}

impl NewShare {
    /// The record a store keeps for this share.
    pub fn record(&self) -> ShareRecord {
        let inline = self.inline_payload.is_some();
        ShareRecord {
            state: if inline {
                StoredState::Ready
            } else {
                StoredState::Uploading
            },
            size: self.size,
            created_at: self.created_at,
            expires_at: self.expires_at,
            max_downloads: self.max_downloads,
            downloads_left: self.max_downloads,
            failed_attempts: 0,
            link_verifier: self.link_verifier,
            claim_verifier: self.claim_verifier,
            meta: self.meta.clone(),
            kdf: self.kdf,
            manage_token_hash: self.manage_token_hash,
            upload_token_hash: if inline { None } else { self.upload_token_hash },
            inline,
            files_present: !inline,
            inline_present: inline,
            tickets: Vec::new(),
            replays: Vec::new(),
            downloads: Vec::new(),
        }
    }
}

/// A claim as the store checks it: the server has already hashed the presented tokens.
#[derive(Clone, Debug)]
pub struct ClaimRequest {
    /// SHA-256 of the presented `link_token`.
    pub link_verifier: Digest,
    /// SHA-256 of the presented `claim_token`.
    pub claim_verifier: Digest,
    /// The claim's `request_id`, if any.
    pub request_id: Option<RequestId>,
    /// SHA-256 of the ticket to issue if the claim succeeds.
    pub ticket_hash: Digest,
    /// That ticket, masked for replays (see [`Replay::ticket_sealed`]).
    pub ticket_sealed: Digest,
    /// Lifetime of a ticket after its last use, in seconds.
    pub ticket_ttl_secs: i64,
    /// The clock.
    pub now: UnixSecs,
}

/// What a successful claim hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// SHA-256 of the ticket.
    pub ticket_hash: Digest,
    /// The masked ticket (the caller unmasks it on a replay).
    pub ticket_sealed: Digest,
    /// When the ticket dies unless used.
    pub ticket_expires_at: UnixSecs,
    /// Sealed meta.
    pub meta: Vec<u8>,
    /// Payload bytes.
    pub size: u64,
    /// Claims still allowed after this one.
    pub downloads_left: u32,
}

/// The answer of [`Store::claim`], in the order of protocol §5's checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// No such share: `404`.
    NotFound,
    /// Consumed, expired or revoked: `410`.
    Gone(GoneReason),
    /// Still uploading: `409 not_ready`.
    NotReady,
    /// Wrong `link_token`: `403`; nothing changed.
    BadLink,
    /// Locked: `423`.
    Locked,
    /// Wrong `claim_token`, the last one allowed: the share is locked from now on (`423`).
    LockedNow,
    /// Wrong `claim_token`; the counter went up by one: `401`.
    BadPassword {
        /// Wrong passwords still allowed before the lock.
        attempts_left: u32,
    },
    /// A new claim succeeded, or (`replayed`) an earlier one with the same `request_id` is answered again.
    Granted {
        /// The grant.
        grant: Grant,
        /// Whether this repeats an earlier answer (nothing changed).
        replayed: bool,
    },
}

/// The answer of [`Store::complete`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompleteOutcome {
    /// No such share.
    NotFound,
    /// Consumed, expired or revoked.
    Gone(GoneReason),
    /// Wrong upload token, or the upload already completed (the token died).
    BadToken,
    /// Now ready.
    Completed,
}

/// The answer of [`Store::check_upload`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadCheck {
    /// No such share.
    NotFound,
    /// Consumed, expired or revoked.
    Gone(GoneReason),
    /// Wrong upload token, or the upload already completed.
    BadToken,
    /// Parts may be written; the payload has `size` bytes.
    Allowed {
        /// Payload bytes.
        size: u64,
    },
}

/// Where a ticket holder's payload is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobOutcome {
    /// No such share.
    NotFound,
    /// Expired or revoked (a consumed share still serves live tickets).
    Gone(GoneReason),
    /// Bad, released or dead ticket: `401`.
    BadTicket,
    /// The ticket has served its byte budget ([`ticket_budget`]): `429`.
    Exhausted,
    /// The payload kept by the store.
    Inline(Vec<u8>),
    /// The payload is in part files of `size` bytes.
    Files {
        /// Payload bytes.
        size: u64,
    },
}

/// The answer of [`Store::release`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseOutcome {
    /// No such share.
    NotFound,
    /// Expired or revoked.
    Gone(GoneReason),
    /// Bad or dead ticket.
    BadTicket,
    /// The ticket is dead now; `delete_files` when the part files must go at once.
    Released {
        /// Whether the caller must delete the share's part files now.
        delete_files: bool,
    },
}

/// The answer of [`Store::revoke`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// No such share.
    NotFound,
    /// Wrong manage token.
    BadToken,
    /// Revoked (or already revoked); `delete_files` when the part files must go at once.
    Revoked {
        /// Whether the caller must delete the share's part files now.
        delete_files: bool,
    },
}

/// Storage of share records (and, through [`OperatorStore`], what the
/// operator's console and metrics read).
///
/// **Atomicity.** Every method is one atomic step with respect to every other
/// call on the same share, from any number of server instances: a backend
/// must never let two calls interleave between reading and writing a record
/// (the embedded store runs them in one serialised redb write transaction; a
/// Redis backend runs each as one Lua script). The checks and their order are
/// those of protocol §5, and live inside the store, not in the caller.
///
/// **Durability.** A method that changes a share returns only once the change
/// is durable (survives `kill -9` and power loss): an answered claim is never
/// un-claimed by a crash. The exceptions are the ticket extensions and budget
/// of [`Store::open_blob`] and [`Store::touch_ticket`], which may be lost (the
/// ticket then dies sooner), and the stored-bytes count, which a backend may
/// rebuild when it opens.
///
/// **Time.** `now` is always given by the caller, so tests can move the clock.
/// Verifiers and token hashes are compared by the store; it never sees tokens.
///
/// Every backend must pass [`contract::run_all`] (feature `test-support`).
pub trait Store: OperatorStore + Send + Sync + 'static {
    /// Answers when the store is usable (`/readyz`).
    fn ping(&self) -> StoreFuture<'_, ()>;

    /// The store's own clock, when every server instance on it must follow
    /// that one (Redis `TIME`); `None` for a store private to one instance.
    fn time(&self) -> StoreFuture<'_, Option<UnixSecs>>;

    /// Stores a new share (with its inline payload, if any). `Ok(false)` if the id is taken.
    fn create(&self, share: NewShare) -> StoreFuture<'_, bool>;

    /// The record of a share, if remembered. Read-only.
    fn get(&self, id: ShareId) -> StoreFuture<'_, Option<ShareRecord>>;

    /// Checks that parts may be uploaded with this upload token hash. Read-only.
    fn check_upload(
        &self,
        id: ShareId,
        upload_token_hash: Digest,
        now: UnixSecs,
    ) -> StoreFuture<'_, UploadCheck>;

    /// Marks an uploading share ready and kills its upload token (the caller checked the parts).
    fn complete(
        &self,
        id: ShareId,
        upload_token_hash: Digest,
        now: UnixSecs,
    ) -> StoreFuture<'_, CompleteOutcome>;

    /// The claim of protocol §5: replay check, then steps 1–5, all atomically.
    fn claim(&self, id: ShareId, claim: ClaimRequest) -> StoreFuture<'_, ClaimOutcome>;

    /// Validates a ticket for a download of `bytes` bytes, takes them from the
    /// ticket's byte budget (refusing with [`BlobOutcome::Exhausted`] what would
    /// pass it), extends its life to `now + ticket_ttl_secs`, and says where the
    /// payload is. Concurrent downloads on one ticket never take more than the budget.
    /// `bytes` = [`WHOLE_SHARE`] takes the share's size: a download without a
    /// range need not read the record first to learn it.
    fn open_blob(
        &self,
        id: ShareId,
        ticket_hash: Digest,
        now: UnixSecs,
        ticket_ttl_secs: i64,
        bytes: u64,
    ) -> StoreFuture<'_, BlobOutcome>;

    /// A download in progress: keeps a live ticket alive until `now +
    /// ticket_ttl_secs` and gives `refund` bytes back to its budget (what an
    /// ended download took but never sent). Does nothing for a dead ticket or
    /// a share that can no longer be served. Need not be durable.
    fn touch_ticket(
        &self,
        id: ShareId,
        ticket_hash: Digest,
        now: UnixSecs,
        ticket_ttl_secs: i64,
        refund: u64,
    ) -> StoreFuture<'_, ()>;

    /// Adds `bytes` to the stored-bytes count unless that would pass `limit`; `false` then.
    fn reserve_bytes(&self, bytes: u64, limit: u64) -> StoreFuture<'_, bool>;

    /// Takes `bytes` off the stored-bytes count (never below zero).
    fn release_bytes(&self, bytes: u64) -> StoreFuture<'_, ()>;

    /// The stored-bytes count: bytes of part files kept for shares.
    fn stored_bytes(&self) -> StoreFuture<'_, u64>;

    /// Kills a ticket; drops an inline payload at once when no live ticket or download is left.
    fn release(
        &self,
        id: ShareId,
        ticket_hash: Digest,
        now: UnixSecs,
    ) -> StoreFuture<'_, ReleaseOutcome>;

    /// Revokes a share with its manage token hash; kills its tickets and drops an inline payload.
    fn revoke(
        &self,
        id: ShareId,
        manage_token_hash: Digest,
        now: UnixSecs,
    ) -> StoreFuture<'_, RevokeOutcome>;

    /// One sweep at `now`: drops inline payloads that are due, forgets records past
    /// their tombstone time whose bytes are gone, and returns the ids whose part
    /// files must be deleted (then reported with [`Store::files_deleted`]).
    fn sweep(&self, now: UnixSecs, tombstone_secs: i64) -> StoreFuture<'_, Vec<ShareId>>;

    /// Records that the part files of these shares are gone from disk.
    fn files_deleted(&self, ids: Vec<ShareId>) -> StoreFuture<'_, ()>;
}

/// The `bytes` of [`Store::open_blob`] for a download of the whole share.
pub const WHOLE_SHARE: u64 = u64::MAX;

/// The most bytes one ticket may serve in all, counting every range (protocol §5, 1.1).
pub fn ticket_budget(size: u64) -> u64 {
    size.saturating_mul(ots_proto::TICKET_BUDGET_FACTOR)
}

/// Compares two digests without an early exit.
pub fn digest_eq(a: &Digest, b: &Digest) -> bool {
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The pure state transitions shared by backends that keep whole records
/// (the embedded store; tests). A backend may reimplement them (e.g. in Lua)
/// but must keep these semantics; the contract suite checks them.
pub mod logic {
    use super::*;

    /// Applies a claim to a record in place. Returns the outcome and whether the record changed.
    pub fn claim(rec: &mut ShareRecord, c: &ClaimRequest) -> (ClaimOutcome, bool) {
        let now = c.now;
        // Replay: checked before step 1, only with the same tokens and while its ticket lives.
        if let Some(rid) = c.request_id {
            if digest_eq(&rec.link_verifier, &c.link_verifier)
                && digest_eq(&rec.claim_verifier, &c.claim_verifier)
            {
                if let Some(r) = rec.replays.iter().rev().find(|r| r.request_id == rid) {
                    if let Some(i) = rec.live_ticket(&r.ticket_hash, now) {
                        let grant = Grant {
                            ticket_hash: r.ticket_hash,
                            ticket_sealed: r.ticket_sealed,
                            ticket_expires_at: rec.tickets[i].expires_at,
                            meta: rec.meta.clone(),
                            size: rec.size,
                            downloads_left: r.downloads_left,
                        };
                        return (
                            ClaimOutcome::Granted {
                                grant,
                                replayed: true,
                            },
                            false,
                        );
                    }
                }
            }
        }
        // 1.
        if let Some(reason) = rec.gone_reason(now) {
            return (ClaimOutcome::Gone(reason), false);
        }
        if rec.state == StoredState::Uploading {
            return (ClaimOutcome::NotReady, false);
        }
        // 2.
        if !digest_eq(&rec.link_verifier, &c.link_verifier) {
            return (ClaimOutcome::BadLink, false);
        }
        // 3.
        if rec.state == StoredState::Locked {
            return (ClaimOutcome::Locked, false);
        }
        // 4.
        if !digest_eq(&rec.claim_verifier, &c.claim_verifier) {
            rec.failed_attempts = rec.failed_attempts.saturating_add(1);
            if rec.failed_attempts >= MAX_FAILED_ATTEMPTS {
                rec.state = StoredState::Locked;
                return (ClaimOutcome::LockedNow, true);
            }
            return (
                ClaimOutcome::BadPassword {
                    attempts_left: MAX_FAILED_ATTEMPTS - rec.failed_attempts,
                },
                true,
            );
        }
        // 5.
        rec.downloads_left = rec.downloads_left.saturating_sub(1);
        if rec.downloads_left == 0 {
            rec.state = StoredState::Consumed;
        }
        let ticket_expires_at = now.saturating_add(c.ticket_ttl_secs);
        rec.tickets.push(Ticket {
            hash: c.ticket_hash,
            expires_at: ticket_expires_at,
            released: false,
        });
        rec.downloads.push(now);
        if let Some(rid) = c.request_id {
            rec.replays.push(Replay {
                request_id: rid,
                ticket_hash: c.ticket_hash,
                ticket_sealed: c.ticket_sealed,
                downloads_left: rec.downloads_left,
            });
        }
        let grant = Grant {
            ticket_hash: c.ticket_hash,
            ticket_sealed: c.ticket_sealed,
            ticket_expires_at,
            meta: rec.meta.clone(),
            size: rec.size,
            downloads_left: rec.downloads_left,
        };
        (
            ClaimOutcome::Granted {
                grant,
                replayed: false,
            },
            true,
        )
    }

    /// Why ticket holders can no longer be served: revoked, or past the share's
    /// expiry (even when consumed, protocol §6). A consumed share otherwise serves live tickets.
    fn served_gone(rec: &ShareRecord, now: UnixSecs) -> Option<GoneReason> {
        if rec.state == StoredState::Revoked {
            Some(GoneReason::Revoked)
        } else if rec.state == StoredState::Removed {
            Some(GoneReason::Removed)
        } else if now >= rec.expires_at {
            Some(GoneReason::Expired)
        } else {
            None
        }
    }

    /// Checks an upload token against a record.
    pub fn check_upload(rec: &ShareRecord, hash: &Digest, now: UnixSecs) -> UploadCheck {
        if let Some(reason) = rec.gone_reason(now) {
            return UploadCheck::Gone(reason);
        }
        match (&rec.state, &rec.upload_token_hash) {
            (StoredState::Uploading, Some(h)) if digest_eq(h, hash) => {
                UploadCheck::Allowed { size: rec.size }
            }
            _ => UploadCheck::BadToken,
        }
    }

    /// Completes an upload in place.
    pub fn complete(
        rec: &mut ShareRecord,
        hash: &Digest,
        now: UnixSecs,
    ) -> (CompleteOutcome, bool) {
        match check_upload(rec, hash, now) {
            UploadCheck::NotFound => (CompleteOutcome::NotFound, false),
            UploadCheck::Gone(r) => (CompleteOutcome::Gone(r), false),
            UploadCheck::BadToken => (CompleteOutcome::BadToken, false),
            UploadCheck::Allowed { .. } => {
                rec.state = StoredState::Ready;
                rec.upload_token_hash = None;
                (CompleteOutcome::Completed, true)
            }
        }
    }

    /// Opens the blob for a ticket holder, extending the ticket. Returns `(outcome, changed)`;
    /// `Inline` carries an empty vector: the backend fills in the payload.
    pub fn open_blob(
        rec: &mut ShareRecord,
        hash: &Digest,
        now: UnixSecs,
        ttl: i64,
    ) -> (BlobOutcome, bool) {
        if let Some(reason) = served_gone(rec, now) {
            return (BlobOutcome::Gone(reason), false);
        }
        let Some(i) = rec.live_ticket(hash, now) else {
            return (BlobOutcome::BadTicket, false);
        };
        if (rec.inline && !rec.inline_present) || (!rec.inline && !rec.files_present) {
            return (BlobOutcome::BadTicket, false);
        }
        rec.tickets[i].expires_at = now.saturating_add(ttl);
        if rec.inline {
            (BlobOutcome::Inline(Vec::new()), true)
        } else {
            (BlobOutcome::Files { size: rec.size }, true)
        }
    }

    /// Keeps a live ticket alive until at least `now + ttl` (a download in progress).
    /// Returns whether the record changed.
    pub fn touch_ticket(rec: &mut ShareRecord, hash: &Digest, now: UnixSecs, ttl: i64) -> bool {
        if served_gone(rec, now).is_some() {
            return false;
        }
        let Some(i) = rec.live_ticket(hash, now) else {
            return false;
        };
        let until = now.saturating_add(ttl);
        if rec.tickets[i].expires_at >= until {
            return false;
        }
        rec.tickets[i].expires_at = until;
        true
    }

    /// Releases a ticket in place. The backend drops an inline payload when
    /// `bytes_due_for_deletion` holds afterwards.
    pub fn release(rec: &mut ShareRecord, hash: &Digest, now: UnixSecs) -> (ReleaseOutcome, bool) {
        if let Some(reason) = served_gone(rec, now) {
            return (ReleaseOutcome::Gone(reason), false);
        }
        let Some(i) = rec.live_ticket(hash, now) else {
            return (ReleaseOutcome::BadTicket, false);
        };
        rec.tickets[i].released = true;
        let due = rec.bytes_due_for_deletion(now);
        let delete_files = due && rec.files_present && !rec.inline;
        if due && rec.inline {
            rec.inline_present = false;
        }
        (ReleaseOutcome::Released { delete_files }, true)
    }

    /// Revokes in place. A share the operator took down stays removed: its
    /// sender's revoke has nothing left to do.
    pub fn revoke(rec: &mut ShareRecord, hash: &Digest, now: UnixSecs) -> (RevokeOutcome, bool) {
        let _ = now;
        if !digest_eq(&rec.manage_token_hash, hash) {
            return (RevokeOutcome::BadToken, false);
        }
        if rec.state == StoredState::Removed {
            return (
                RevokeOutcome::Revoked {
                    delete_files: rec.files_present,
                },
                false,
            );
        }
        rec.end(StoredState::Revoked);
        (
            RevokeOutcome::Revoked {
                delete_files: rec.files_present,
            },
            true,
        )
    }
}

/// Instances on one store keep time by the store's clock, when it has one.
impl crate::clock::SharedTime for std::sync::Arc<dyn Store> {
    fn shared_now(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<Option<UnixSecs>, String>> + Send + '_>> {
        Box::pin(async move { self.time().await.map_err(|e| e.to_string()) })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stored_states_keep_the_postcard_indexes_records_were_written_with() {
        let order = [
            StoredState::Uploading,
            StoredState::Ready,
            StoredState::Consumed,
            StoredState::Locked,
            StoredState::Revoked,
            StoredState::Expired,
            StoredState::Removed,
        ];
        for (index, state) in order.iter().enumerate() {
            assert_eq!(
                postcard::to_stdvec(state).unwrap(),
                [index as u8],
                "{state:?}"
            );
        }
    }

    #[test]
    fn kdf_params_keep_the_stored_field_order() {
        let kdf = KdfParams {
            m_kib: 300,
            t: 2,
            p: 1,
        };
        // m_kib, t, p as varints: 300 = 0xac 0x02.
        assert_eq!(postcard::to_stdvec(&kdf).unwrap(), [0xac, 0x02, 2, 1]);
    }

    #[test]
    fn the_clock_expires_a_share_but_never_undoes_a_consume_or_revoke() {
        let share = NewShare {
            id: ShareId::from_bytes([1; 16]),
            size: 17,
            created_at: 1_000,
            expires_at: 2_000,
            max_downloads: 1,
            link_verifier: [0; 32],
            claim_verifier: [0; 32],
            meta: vec![0; 17],
            kdf: None,
            manage_token_hash: [0; 32],
            upload_token_hash: None,
            inline_payload: Some(vec![0; 17]),
        };
        let mut rec = share.record();
        assert_eq!(rec.state_at(1_999), ShareState::Ready);
        assert_eq!(rec.state_at(2_000), ShareState::Expired);
        assert_eq!(rec.gone_reason(2_000), Some(GoneReason::Expired));
        rec.state = StoredState::Locked;
        assert_eq!(rec.state_at(1_999), ShareState::Locked);
        assert_eq!(rec.gone_reason(1_999), None);
        for (stored, state) in [
            (StoredState::Consumed, ShareState::Consumed),
            (StoredState::Revoked, ShareState::Revoked),
        ] {
            rec.state = stored;
            assert_eq!(rec.state_at(5_000), state);
            assert_eq!(rec.gone_reason(5_000), state.gone_reason());
        }
    }
}
