//! The contract every [`Store`] backend must pass.
//!
//! Call [`run_all`] from a backend's test with a fresh store. Each case makes
//! its own shares with random ids, so the store may be shared with other
//! tests. The clock is passed explicitly, so no case sleeps.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use super::*;

const TTL: i64 = ots_proto::TICKET_TTL_SECS as i64;

fn h(x: &[u8]) -> Digest {
    Sha256::digest(x).into()
}

fn rand16() -> [u8; 16] {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).unwrap();
    b
}

fn new_id() -> ShareId {
    ShareId::from_bytes(rand16())
}

fn t0() -> UnixSecs {
    crate::clock::system_now()
}

/// A test share: tokens are fixed strings; expiry one hour after `t0`.
pub struct Fixture {
    pub id: ShareId,
    pub now: UnixSecs,
    pub expires_at: UnixSecs,
}

pub const LINK: &[u8] = b"link-token";
pub const CLAIM: &[u8] = b"claim-token";
pub const MANAGE: &[u8] = b"manage-token";
pub const UPLOAD: &[u8] = b"upload-token";

pub async fn make(
    store: &dyn Store,
    downloads: u32,
    inline: Option<Vec<u8>>,
    size: u64,
) -> Fixture {
    let now = t0();
    let id = new_id();
    let share = NewShare {
        id: id.clone(),
        size,
        created_at: now,
        expires_at: now + 3600,
        max_downloads: downloads,
        link_verifier: h(LINK),
        claim_verifier: h(CLAIM),
        meta: b"sealed-meta".to_vec(),
        kdf: Some(KdfParams {
            m_kib: 8192,
            t: 1,
            p: 1,
        }),
        manage_token_hash: h(MANAGE),
        upload_token_hash: if inline.is_some() {
            None
        } else {
            Some(h(UPLOAD))
        },
        inline_payload: inline,
    };
    assert!(store.create(share).await.unwrap(), "a fresh id is free");
    Fixture {
        id,
        now,
        expires_at: now + 3600,
    }
}

pub async fn make_inline(store: &dyn Store, downloads: u32) -> Fixture {
    make(store, downloads, Some(vec![42; 1024]), 1024).await
}

pub fn claim_req(
    link: &[u8],
    claim: &[u8],
    request_id: Option<RequestId>,
    now: UnixSecs,
) -> ClaimRequest {
    let ticket = rand16();
    ClaimRequest {
        link_verifier: h(link),
        claim_verifier: h(claim),
        request_id,
        ticket_hash: h(&ticket),
        ticket_sealed: h(&[&ticket[..], b"sealed"].concat()),
        ticket_ttl_secs: TTL,
        now,
    }
}

fn granted(o: &ClaimOutcome) -> Option<&Grant> {
    match o {
        ClaimOutcome::Granted { grant, .. } => Some(grant),
        _ => None,
    }
}

pub async fn create_then_get_round_trips(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 3).await;
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert_eq!(rec.state, StoredState::Ready);
    assert_eq!(rec.size, 1024);
    assert_eq!(rec.downloads_left, 3);
    assert_eq!(rec.meta, b"sealed-meta");
    assert_eq!(
        rec.kdf,
        Some(KdfParams {
            m_kib: 8192,
            t: 1,
            p: 1
        })
    );
    assert!(store.get(new_id()).await.unwrap().is_none());
    // A taken id is refused.
    let mut again = NewShare {
        id: f.id.clone(),
        size: 1,
        created_at: f.now,
        expires_at: f.expires_at,
        max_downloads: 1,
        link_verifier: [0; 32],
        claim_verifier: [0; 32],
        meta: vec![1],
        kdf: None,
        manage_token_hash: [0; 32],
        upload_token_hash: None,
        inline_payload: Some(vec![1]),
    };
    assert!(!store.create(again.clone()).await.unwrap());
    again.id = new_id();
    assert!(store.create(again).await.unwrap());
}

pub async fn claim_checks_run_in_protocol_order(store: Arc<dyn Store>) {
    let now = t0();
    assert_eq!(
        store
            .claim(new_id(), claim_req(LINK, CLAIM, None, now))
            .await
            .unwrap(),
        ClaimOutcome::NotFound
    );
    let up = make(&*store, 1, None, 100).await;
    assert_eq!(
        store
            .claim(up.id.clone(), claim_req(LINK, CLAIM, None, now))
            .await
            .unwrap(),
        ClaimOutcome::NotReady
    );

    let f = make_inline(&*store, 2).await;
    // A wrong link token changes nothing, even with a wrong password.
    for _ in 0..10 {
        let o = store
            .claim(f.id.clone(), claim_req(b"nope", b"nope", None, now))
            .await
            .unwrap();
        assert_eq!(o, ClaimOutcome::BadLink);
    }
    assert_eq!(
        store
            .get(f.id.clone())
            .await
            .unwrap()
            .unwrap()
            .failed_attempts,
        0
    );
    // Wrong passwords count, then lock.
    for left in (1..MAX_FAILED_ATTEMPTS).rev() {
        let o = store
            .claim(f.id.clone(), claim_req(LINK, b"wrong", None, now))
            .await
            .unwrap();
        assert_eq!(
            o,
            ClaimOutcome::BadPassword {
                attempts_left: left
            }
        );
    }
    let o = store
        .claim(f.id.clone(), claim_req(LINK, b"wrong", None, now))
        .await
        .unwrap();
    assert_eq!(o, ClaimOutcome::LockedNow, "the fifth wrong password locks");
    // Locked: the right password gets 423, a wrong link still 403, the counter stays at 5.
    assert_eq!(
        store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, now))
            .await
            .unwrap(),
        ClaimOutcome::Locked
    );
    assert_eq!(
        store
            .claim(f.id.clone(), claim_req(b"x", CLAIM, None, now))
            .await
            .unwrap(),
        ClaimOutcome::BadLink
    );
    assert_eq!(
        store
            .claim(f.id.clone(), claim_req(LINK, b"wrong", None, now))
            .await
            .unwrap(),
        ClaimOutcome::Locked
    );
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert_eq!(rec.failed_attempts, MAX_FAILED_ATTEMPTS);
    assert_eq!(rec.state_at(now), ShareState::Locked);
    assert_eq!(rec.downloads_left, 2);
    // Past expiry a locked share is expired.
    assert_eq!(
        store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.expires_at))
            .await
            .unwrap(),
        ClaimOutcome::Gone(GoneReason::Expired)
    );
}

pub async fn claims_count_down_to_consumed(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 2).await;
    let a = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
        .await
        .unwrap();
    assert_eq!(granted(&a).unwrap().downloads_left, 1);
    assert_eq!(granted(&a).unwrap().meta, b"sealed-meta");
    assert_eq!(granted(&a).unwrap().ticket_expires_at, f.now + TTL);
    let b = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
        .await
        .unwrap();
    assert_eq!(granted(&b).unwrap().downloads_left, 0);
    let c = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
        .await
        .unwrap();
    assert_eq!(c, ClaimOutcome::Gone(GoneReason::Consumed));
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert_eq!(rec.state, StoredState::Consumed);
    assert_eq!(rec.downloads.len(), 2);
    // Consumed stays consumed after expiry.
    assert_eq!(
        rec.gone_reason(f.expires_at + 1),
        Some(GoneReason::Consumed)
    );
}

pub async fn expired_share_is_gone(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 1).await;
    let o = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.expires_at))
        .await
        .unwrap();
    assert_eq!(o, ClaimOutcome::Gone(GoneReason::Expired));
    assert_eq!(
        store
            .get(f.id.clone())
            .await
            .unwrap()
            .unwrap()
            .downloads_left,
        1
    );
}

pub async fn request_id_replay_returns_the_same_grant(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 1).await;
    let rid = rand16();
    let first = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, Some(rid), f.now))
        .await
        .unwrap();
    let g1 = granted(&first).unwrap().clone();
    let again = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, Some(rid), f.now + 5))
        .await
        .unwrap();
    match &again {
        ClaimOutcome::Granted { grant, replayed } => {
            assert!(*replayed);
            assert_eq!(grant.ticket_hash, g1.ticket_hash);
            assert_eq!(grant.ticket_sealed, g1.ticket_sealed);
            assert_eq!(grant.downloads_left, 0);
        }
        o => panic!("expected a replay, got {o:?}"),
    }
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert_eq!(rec.downloads.len(), 1);
    assert_eq!(rec.tickets.len(), 1);
    // A different request id is a new claim: consumed.
    let other = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, Some(rand16()), f.now))
        .await
        .unwrap();
    assert_eq!(other, ClaimOutcome::Gone(GoneReason::Consumed));
    // The same request id with wrong tokens is no replay.
    let wrong = store
        .claim(f.id.clone(), claim_req(LINK, b"wrong", Some(rid), f.now))
        .await
        .unwrap();
    assert_eq!(wrong, ClaimOutcome::Gone(GoneReason::Consumed));
    // Once the ticket is released (dead), the replay is over.
    let r = store
        .release(f.id.clone(), g1.ticket_hash, f.now)
        .await
        .unwrap();
    assert!(matches!(r, ReleaseOutcome::Released { .. }));
    let late = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, Some(rid), f.now))
        .await
        .unwrap();
    assert_eq!(late, ClaimOutcome::Gone(GoneReason::Consumed));
}

pub async fn request_id_replays_the_latest_claim_after_release_and_reclaim(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 3).await;
    let rid = rand16();
    let first = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, Some(rid), f.now))
        .await
        .unwrap();
    let g1 = granted(&first).unwrap().clone();
    assert_eq!(g1.downloads_left, 2);
    // Released: that ticket is dead, so the same request id is a new claim.
    let r = store
        .release(f.id.clone(), g1.ticket_hash, f.now)
        .await
        .unwrap();
    assert!(matches!(r, ReleaseOutcome::Released { .. }));
    let second = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, Some(rid), f.now + 1))
        .await
        .unwrap();
    let g2 = match &second {
        ClaimOutcome::Granted { grant, replayed } => {
            assert!(!*replayed, "a dead ticket is not replayed");
            grant.clone()
        }
        o => panic!("expected a new claim, got {o:?}"),
    };
    assert_ne!(g2.ticket_hash, g1.ticket_hash);
    assert_eq!(g2.downloads_left, 1);
    // Retried while the second ticket lives: the second answer again, nothing changes.
    for _ in 0..2 {
        let again = store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, Some(rid), f.now + 2))
            .await
            .unwrap();
        match &again {
            ClaimOutcome::Granted { grant, replayed } => {
                assert!(*replayed, "{again:?}");
                assert_eq!(grant.ticket_hash, g2.ticket_hash);
                assert_eq!(grant.ticket_sealed, g2.ticket_sealed);
                assert_eq!(grant.downloads_left, 1);
            }
            o => panic!("expected a replay of the second claim, got {o:?}"),
        }
    }
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert_eq!(rec.downloads_left, 1);
    assert_eq!(rec.downloads.len(), 2);
    assert_eq!(rec.tickets.len(), 2);
}

pub async fn concurrent_claims_succeed_exactly_downloads_times(store: Arc<dyn Store>) {
    for d in [1u32, 7] {
        let f = make_inline(&*store, d).await;
        let mut tasks = Vec::new();
        for _ in 0..60 {
            let s = store.clone();
            let id = f.id.clone();
            let now = f.now;
            tasks.push(tokio::spawn(async move {
                s.claim(id, claim_req(LINK, CLAIM, None, now))
                    .await
                    .unwrap()
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                ClaimOutcome::Granted { .. } => ok += 1,
                ClaimOutcome::Gone(GoneReason::Consumed) => {}
                o => panic!("unexpected {o:?}"),
            }
        }
        assert_eq!(ok, d);
    }
}

pub async fn concurrent_wrong_passwords_lock_after_five(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 1).await;
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let s = store.clone();
        let (id, now) = (f.id.clone(), f.now);
        tasks.push(tokio::spawn(async move {
            s.claim(id, claim_req(LINK, b"bad", None, now))
                .await
                .unwrap()
        }));
    }
    let (mut bad, mut locking, mut locked) = (0, 0, 0);
    for t in tasks {
        match t.await.unwrap() {
            ClaimOutcome::BadPassword { .. } => bad += 1,
            ClaimOutcome::LockedNow => locking += 1,
            ClaimOutcome::Locked => locked += 1,
            o => panic!("unexpected {o:?}"),
        }
    }
    assert_eq!((bad, locking, locked), (4, 1, 25));
    assert_eq!(
        store
            .get(f.id.clone())
            .await
            .unwrap()
            .unwrap()
            .failed_attempts,
        5
    );
}

pub async fn tickets_open_extend_and_die(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 2).await;
    let g = granted(
        &store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
            .await
            .unwrap(),
    )
    .unwrap()
    .clone();
    assert_eq!(
        store
            .open_blob(f.id.clone(), [9; 32], f.now, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::BadTicket
    );
    assert_eq!(
        store
            .open_blob(new_id(), g.ticket_hash, f.now, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::NotFound
    );
    assert_eq!(
        store
            .open_blob(f.id.clone(), g.ticket_hash, f.now + 500, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::Inline(vec![42; 1024])
    );
    // Used at +500, so alive until +1100.
    assert_eq!(
        store
            .open_blob(f.id.clone(), g.ticket_hash, f.now + 1000, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::Inline(vec![42; 1024])
    );
    assert_eq!(
        store
            .open_blob(f.id.clone(), g.ticket_hash, f.now + 1600, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::BadTicket
    );
    // File-backed share.
    let up = make(&*store, 1, None, 5000).await;
    assert_eq!(
        store
            .complete(up.id.clone(), h(UPLOAD), up.now)
            .await
            .unwrap(),
        CompleteOutcome::Completed
    );
    let g = granted(
        &store
            .claim(up.id.clone(), claim_req(LINK, CLAIM, None, up.now))
            .await
            .unwrap(),
    )
    .unwrap()
    .clone();
    assert_eq!(
        store
            .open_blob(up.id.clone(), g.ticket_hash, up.now, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::Files { size: 5000 }
    );
    // Past the share's expiry nothing is served.
    assert_eq!(
        store
            .open_blob(up.id.clone(), g.ticket_hash, up.expires_at, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::Gone(GoneReason::Expired)
    );
}

pub async fn release_frees_consumed_bytes_only_when_no_ticket_lives(store: Arc<dyn Store>) {
    let f = make(&*store, 2, None, 10).await;
    assert_eq!(
        store
            .complete(f.id.clone(), h(UPLOAD), f.now)
            .await
            .unwrap(),
        CompleteOutcome::Completed
    );
    let a = granted(
        &store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
            .await
            .unwrap(),
    )
    .unwrap()
    .clone();
    // Not consumed yet: bytes stay.
    assert_eq!(
        store
            .release(f.id.clone(), a.ticket_hash, f.now)
            .await
            .unwrap(),
        ReleaseOutcome::Released {
            delete_files: false
        }
    );
    assert_eq!(
        store
            .release(f.id.clone(), a.ticket_hash, f.now)
            .await
            .unwrap(),
        ReleaseOutcome::BadTicket
    );
    assert_eq!(
        store
            .open_blob(f.id.clone(), a.ticket_hash, f.now, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::BadTicket
    );
    let b = granted(
        &store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
            .await
            .unwrap(),
    )
    .unwrap()
    .clone();
    assert_eq!(
        store
            .release(f.id.clone(), b.ticket_hash, f.now)
            .await
            .unwrap(),
        ReleaseOutcome::Released { delete_files: true }
    );
    // Inline: the payload is dropped by the store itself.
    let i = make_inline(&*store, 1).await;
    let t = granted(
        &store
            .claim(i.id.clone(), claim_req(LINK, CLAIM, None, i.now))
            .await
            .unwrap(),
    )
    .unwrap()
    .clone();
    assert_eq!(
        store
            .release(i.id.clone(), t.ticket_hash, i.now)
            .await
            .unwrap(),
        ReleaseOutcome::Released {
            delete_files: false
        }
    );
    let rec = store.get(i.id.clone()).await.unwrap().unwrap();
    assert!(!rec.inline_present);
    assert_eq!(
        store.release(new_id(), t.ticket_hash, i.now).await.unwrap(),
        ReleaseOutcome::NotFound
    );
}

pub async fn revoke_needs_the_manage_token_and_kills_everything(store: Arc<dyn Store>) {
    let f = make(&*store, 3, None, 10).await;
    assert_eq!(
        store
            .complete(f.id.clone(), h(UPLOAD), f.now)
            .await
            .unwrap(),
        CompleteOutcome::Completed
    );
    let g = granted(
        &store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
            .await
            .unwrap(),
    )
    .unwrap()
    .clone();
    assert_eq!(
        store
            .revoke(f.id.clone(), h(b"wrong"), f.now)
            .await
            .unwrap(),
        RevokeOutcome::BadToken
    );
    assert_eq!(
        store.revoke(new_id(), h(MANAGE), f.now).await.unwrap(),
        RevokeOutcome::NotFound
    );
    assert_eq!(
        store.revoke(f.id.clone(), h(MANAGE), f.now).await.unwrap(),
        RevokeOutcome::Revoked { delete_files: true }
    );
    assert_eq!(
        store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
            .await
            .unwrap(),
        ClaimOutcome::Gone(GoneReason::Revoked)
    );
    assert_eq!(
        store
            .open_blob(f.id.clone(), g.ticket_hash, f.now, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::Gone(GoneReason::Revoked)
    );
    let i = make_inline(&*store, 1).await;
    assert_eq!(
        store.revoke(i.id.clone(), h(MANAGE), i.now).await.unwrap(),
        RevokeOutcome::Revoked {
            delete_files: false
        }
    );
    assert!(
        !store
            .get(i.id.clone())
            .await
            .unwrap()
            .unwrap()
            .inline_present
    );
}

pub async fn upload_token_works_until_complete(store: Arc<dyn Store>) {
    let f = make(&*store, 1, None, 10).await;
    assert_eq!(
        store
            .check_upload(f.id.clone(), h(UPLOAD), f.now)
            .await
            .unwrap(),
        UploadCheck::Allowed { size: 10 }
    );
    assert_eq!(
        store
            .check_upload(f.id.clone(), h(b"no"), f.now)
            .await
            .unwrap(),
        UploadCheck::BadToken
    );
    assert_eq!(
        store
            .check_upload(new_id(), h(UPLOAD), f.now)
            .await
            .unwrap(),
        UploadCheck::NotFound
    );
    assert_eq!(
        store.complete(f.id.clone(), h(b"no"), f.now).await.unwrap(),
        CompleteOutcome::BadToken
    );
    assert_eq!(
        store
            .complete(f.id.clone(), h(UPLOAD), f.expires_at)
            .await
            .unwrap(),
        CompleteOutcome::Gone(GoneReason::Expired)
    );
    assert_eq!(
        store
            .complete(f.id.clone(), h(UPLOAD), f.now)
            .await
            .unwrap(),
        CompleteOutcome::Completed
    );
    assert_eq!(
        store
            .complete(f.id.clone(), h(UPLOAD), f.now)
            .await
            .unwrap(),
        CompleteOutcome::BadToken
    );
    assert_eq!(
        store
            .check_upload(f.id.clone(), h(UPLOAD), f.now)
            .await
            .unwrap(),
        UploadCheck::BadToken
    );
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert_eq!(rec.state, StoredState::Ready);
    assert_eq!(rec.upload_token_hash, None);
    let i = make_inline(&*store, 1).await;
    assert_eq!(
        store
            .check_upload(i.id.clone(), h(UPLOAD), i.now)
            .await
            .unwrap(),
        UploadCheck::BadToken
    );
}

pub async fn sweep_frees_bytes_then_forgets(store: Arc<dyn Store>) {
    let files = make(&*store, 1, None, 10).await;
    assert_eq!(
        store
            .complete(files.id.clone(), h(UPLOAD), files.now)
            .await
            .unwrap(),
        CompleteOutcome::Completed
    );
    let inline = make_inline(&*store, 1).await;
    let uploading = make(&*store, 1, None, 10).await;
    let after = files.expires_at + 1;
    let due = store.sweep(after, 100).await.unwrap();
    assert!(due.contains(&files.id));
    assert!(due.contains(&uploading.id));
    assert!(!due.contains(&inline.id));
    // The inline payload went with the sweep; the record stays as a tombstone.
    let rec = store.get(inline.id.clone()).await.unwrap().unwrap();
    assert!(!rec.inline_present);
    assert_eq!(rec.gone_reason(after), Some(GoneReason::Expired));
    store
        .files_deleted(vec![files.id.clone(), uploading.id.clone()])
        .await
        .unwrap();
    let due = store.sweep(after, 100).await.unwrap();
    assert!(!due.contains(&files.id));
    // An incomplete upload is forgotten at its expiry; others stay until the tombstone time.
    assert!(store.get(uploading.id.clone()).await.unwrap().is_none());
    assert!(store.get(files.id.clone()).await.unwrap().is_some());
    store.sweep(files.expires_at + 101, 100).await.unwrap();
    assert!(store.get(files.id.clone()).await.unwrap().is_none());
    assert!(store.get(inline.id.clone()).await.unwrap().is_none());
    let fresh = make_inline(&*store, 1).await;
    store.sweep(fresh.now, 100).await.unwrap();
    assert!(
        store
            .get(fresh.id.clone())
            .await
            .unwrap()
            .unwrap()
            .inline_present
    );
}

pub async fn sweep_frees_consumed_bytes_once_tickets_die(store: Arc<dyn Store>) {
    let f = make(&*store, 1, None, 10).await;
    assert_eq!(
        store
            .complete(f.id.clone(), h(UPLOAD), f.now)
            .await
            .unwrap(),
        CompleteOutcome::Completed
    );
    let inline = make_inline(&*store, 1).await;
    for s in [&f, &inline] {
        assert!(granted(
            &store
                .claim(s.id.clone(), claim_req(LINK, CLAIM, None, s.now))
                .await
                .unwrap()
        )
        .is_some());
    }
    // While the ticket lives, a consumed share keeps its bytes.
    let due = store.sweep(f.now + 1, 100).await.unwrap();
    assert!(!due.contains(&f.id));
    assert!(
        store
            .get(inline.id.clone())
            .await
            .unwrap()
            .unwrap()
            .inline_present
    );
    // Once it is dead, they go.
    let later = f.now.max(inline.now) + TTL + 1;
    let due = store.sweep(later, 100).await.unwrap();
    assert!(due.contains(&f.id));
    assert!(
        !store
            .get(inline.id.clone())
            .await
            .unwrap()
            .unwrap()
            .inline_present
    );
    store.files_deleted(vec![f.id.clone()]).await.unwrap();
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert!(!rec.files_present);
    assert_eq!(rec.gone_reason(later), Some(GoneReason::Consumed));
}

pub async fn tickets_serve_at_most_three_times_the_size(store: Arc<dyn Store>) {
    for f in [make_inline(&*store, 1).await, {
        let f = make(&*store, 1, None, 1024).await;
        store
            .complete(f.id.clone(), h(UPLOAD), f.now)
            .await
            .unwrap();
        f
    }] {
        let g = granted(
            &store
                .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
                .await
                .unwrap(),
        )
        .unwrap()
        .clone();
        let open = |bytes: u64| store.open_blob(f.id.clone(), g.ticket_hash, f.now, TTL, bytes);
        assert_ne!(open(1024).await.unwrap(), BlobOutcome::Exhausted);
        assert_ne!(open(1024).await.unwrap(), BlobOutcome::Exhausted);
        // 2048 taken of 3072: a whole payload more would pass the budget; a part fits.
        assert_eq!(open(1025).await.unwrap(), BlobOutcome::Exhausted);
        assert_ne!(open(1000).await.unwrap(), BlobOutcome::Exhausted);
        assert_eq!(open(25).await.unwrap(), BlobOutcome::Exhausted);
        // A download that ended early gives back what it never sent.
        store
            .touch_ticket(f.id.clone(), g.ticket_hash, f.now, TTL, 500)
            .await
            .unwrap();
        assert_ne!(open(524).await.unwrap(), BlobOutcome::Exhausted);
        assert_eq!(open(1).await.unwrap(), BlobOutcome::Exhausted);
    }
}

pub async fn whole_share_downloads_take_the_share_size(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 1).await;
    let g = granted(
        &store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
            .await
            .unwrap(),
    )
    .unwrap()
    .clone();
    let open = |bytes: u64| store.open_blob(f.id.clone(), g.ticket_hash, f.now, TTL, bytes);
    // A 1024-byte share: 1000 + 1024 + 1024 of 3072 taken, so 24 fit and no whole payload more.
    assert_ne!(open(1000).await.unwrap(), BlobOutcome::Exhausted);
    assert_ne!(open(WHOLE_SHARE).await.unwrap(), BlobOutcome::Exhausted);
    assert_ne!(open(WHOLE_SHARE).await.unwrap(), BlobOutcome::Exhausted);
    assert_eq!(open(WHOLE_SHARE).await.unwrap(), BlobOutcome::Exhausted);
    assert_ne!(open(24).await.unwrap(), BlobOutcome::Exhausted);
    assert_eq!(open(1).await.unwrap(), BlobOutcome::Exhausted);
}

pub async fn concurrent_downloads_never_take_more_than_the_budget(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 1).await;
    let g = granted(
        &store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
            .await
            .unwrap(),
    )
    .unwrap()
    .clone();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (s, id, hash, now) = (store.clone(), f.id.clone(), g.ticket_hash, f.now);
        tasks.push(tokio::spawn(async move {
            s.open_blob(id, hash, now, TTL, 1024).await.unwrap()
        }));
    }
    let mut served = 0;
    for t in tasks {
        match t.await.unwrap() {
            BlobOutcome::Inline(_) => served += 1,
            BlobOutcome::Exhausted => {}
            o => panic!("unexpected {o:?}"),
        }
    }
    assert_eq!(served, 3);
}

pub async fn a_touched_ticket_lives_on_while_its_download_flows(store: Arc<dyn Store>) {
    let f = make_inline(&*store, 1).await;
    let g = granted(
        &store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
            .await
            .unwrap(),
    )
    .unwrap()
    .clone();
    // Touched every 300 s, the ticket outlives its first 600 s many times over.
    for k in 1..=6 {
        store
            .touch_ticket(f.id.clone(), g.ticket_hash, f.now + 300 * k, TTL, 0)
            .await
            .unwrap();
    }
    let last = f.now + 1800;
    assert!(matches!(
        store
            .open_blob(f.id.clone(), g.ticket_hash, last + TTL - 1, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::Inline(_)
    ));
    // Dead tickets are not brought back, nor are released ones.
    let dead_at = last + 2 * TTL;
    store
        .touch_ticket(f.id.clone(), g.ticket_hash, dead_at + 10, TTL, 0)
        .await
        .unwrap();
    assert_eq!(
        store
            .open_blob(f.id.clone(), g.ticket_hash, dead_at + 20, TTL, 0)
            .await
            .unwrap(),
        BlobOutcome::BadTicket
    );
    // The sweeper keeps a consumed share's bytes while the ticket lives.
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert!(!rec.bytes_due_for_deletion(last + TTL - 1));
}

pub async fn stored_bytes_are_counted_within_a_limit(store: Arc<dyn Store>) {
    let before = store.stored_bytes().await.unwrap();
    assert!(store.reserve_bytes(100, before + 150).await.unwrap());
    assert!(!store.reserve_bytes(100, before + 150).await.unwrap());
    assert_eq!(store.stored_bytes().await.unwrap(), before + 100);
    assert!(store.reserve_bytes(50, before + 150).await.unwrap());
    store.release_bytes(150).await.unwrap();
    assert_eq!(store.stored_bytes().await.unwrap(), before);
}

/// Inline payloads of any size up to the protocol's limit come back whole,
/// and are dropped once the share is consumed.
pub async fn inline_payloads_of_every_size_round_trip(store: Arc<dyn Store>) {
    let max = usize::try_from(ots_proto::INLINE_MAX_BYTES).unwrap();
    for len in [1, 2047, 2048, 2049, 4096, 65_537, max] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let f = make(&*store, 1, Some(payload.clone()), len as u64).await;
        let req = claim_req(LINK, CLAIM, None, f.now);
        let g = granted(&store.claim(f.id.clone(), req).await.unwrap())
            .unwrap()
            .clone();
        assert_eq!(
            store
                .open_blob(f.id.clone(), g.ticket_hash, f.now, TTL, WHOLE_SHARE)
                .await
                .unwrap(),
            BlobOutcome::Inline(payload),
            "{len} bytes"
        );
        store
            .release(f.id.clone(), g.ticket_hash, f.now)
            .await
            .unwrap();
        let rec = store.get(f.id.clone()).await.unwrap().unwrap();
        assert!(!rec.inline_present, "{len} bytes: dropped once consumed");
    }
}

pub async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
}

/// Runs every case of the contract against `store`.
pub async fn run_all(store: Arc<dyn Store>) {
    ping_answers(store.clone()).await;
    create_then_get_round_trips(store.clone()).await;
    claim_checks_run_in_protocol_order(store.clone()).await;
    claims_count_down_to_consumed(store.clone()).await;
    expired_share_is_gone(store.clone()).await;
    request_id_replay_returns_the_same_grant(store.clone()).await;
    request_id_replays_the_latest_claim_after_release_and_reclaim(store.clone()).await;
    concurrent_claims_succeed_exactly_downloads_times(store.clone()).await;
    concurrent_wrong_passwords_lock_after_five(store.clone()).await;
    tickets_open_extend_and_die(store.clone()).await;
    release_frees_consumed_bytes_only_when_no_ticket_lives(store.clone()).await;
    revoke_needs_the_manage_token_and_kills_everything(store.clone()).await;
    upload_token_works_until_complete(store.clone()).await;
    sweep_frees_bytes_then_forgets(store.clone()).await;
    sweep_frees_consumed_bytes_once_tickets_die(store.clone()).await;
    tickets_serve_at_most_three_times_the_size(store.clone()).await;
    whole_share_downloads_take_the_share_size(store.clone()).await;
    concurrent_downloads_never_take_more_than_the_budget(store.clone()).await;
    a_touched_ticket_lives_on_while_its_download_flows(store.clone()).await;
    stored_bytes_are_counted_within_a_limit(store.clone()).await;
    inline_payloads_of_every_size_round_trip(store.clone()).await;
}
