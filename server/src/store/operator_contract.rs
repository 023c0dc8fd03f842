//! The contract of [`OperatorStore`], run against every backend beside
//! [`super::contract`]. Counts are compared before and after, so a store shared
//! with other cases is fine as long as the cases run one after another.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use super::{
    contract::{claim_req, make, make_inline, CLAIM, LINK, MANAGE, UPLOAD},
    operator::*,
    *,
};

fn sha(x: &[u8]) -> Digest {
    use sha2::Digest as _;
    sha2::Sha256::digest(x).into()
}

pub async fn takedown_removes_a_share_for_every_caller(store: Arc<dyn Store>) {
    // An inline share with a live ticket.
    let f = make_inline(&*store, 2).await;
    let ClaimOutcome::Granted { grant, .. } = store
        .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
        .await
        .unwrap()
    else {
        panic!("claim")
    };
    assert_eq!(
        store.take_down(f.id.clone(), f.now).await.unwrap(),
        TakedownOutcome::Removed {
            delete_files: false,
            already: false
        }
    );
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert_eq!(rec.state_at(f.now), ShareState::Removed);
    assert_eq!(rec.gone_reason(f.now), Some(GoneReason::Removed));
    assert!(!rec.inline_present, "the inline ciphertext is gone at once");
    assert!(rec.bytes_due_for_deletion(f.now));
    assert_eq!(
        store
            .claim(f.id.clone(), claim_req(LINK, CLAIM, None, f.now))
            .await
            .unwrap(),
        ClaimOutcome::Gone(GoneReason::Removed)
    );
    assert_eq!(
        store
            .open_blob(f.id.clone(), grant.ticket_hash, f.now, 600, 0)
            .await
            .unwrap(),
        BlobOutcome::Gone(GoneReason::Removed)
    );
    assert_eq!(
        store
            .release(f.id.clone(), grant.ticket_hash, f.now)
            .await
            .unwrap(),
        ReleaseOutcome::Gone(GoneReason::Removed)
    );
    // The sender's revoke changes nothing: the share stays removed.
    store
        .revoke(f.id.clone(), sha(MANAGE), f.now)
        .await
        .unwrap();
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert_eq!(rec.state_at(f.now), ShareState::Removed);
    // Past its expiry it is still removed, not expired.
    assert_eq!(rec.state_at(f.expires_at + 1), ShareState::Removed);
    assert_eq!(
        store.take_down(f.id.clone(), f.now).await.unwrap(),
        TakedownOutcome::Removed {
            delete_files: false,
            already: true
        }
    );

    // An upload in progress: its part files must go, and its upload token dies.
    let up = make(&*store, 1, None, 100).await;
    assert_eq!(
        store.take_down(up.id.clone(), up.now).await.unwrap(),
        TakedownOutcome::Removed {
            delete_files: true,
            already: false
        }
    );
    assert_eq!(
        store
            .check_upload(up.id.clone(), sha(UPLOAD), up.now)
            .await
            .unwrap(),
        UploadCheck::Gone(GoneReason::Removed)
    );
    assert_eq!(
        store
            .complete(up.id.clone(), sha(UPLOAD), up.now)
            .await
            .unwrap(),
        CompleteOutcome::Gone(GoneReason::Removed)
    );
    let unknown = ShareId::from_bytes([0xee; 16]);
    assert_eq!(
        store.take_down(unknown, up.now).await.unwrap(),
        TakedownOutcome::NotFound
    );
}

pub async fn a_taken_down_shares_files_are_swept(store: Arc<dyn Store>) {
    let f = make(&*store, 1, None, 100).await;
    store
        .complete(f.id.clone(), sha(UPLOAD), f.now)
        .await
        .unwrap();
    store.take_down(f.id.clone(), f.now).await.unwrap();
    let due = store.sweep(f.now + 1, 86_400).await.unwrap();
    assert!(
        due.contains(&f.id),
        "the sweeper deletes what a failed takedown left"
    );
    store.files_deleted(vec![f.id.clone()]).await.unwrap();
    let rec = store.get(f.id.clone()).await.unwrap().unwrap();
    assert!(!rec.files_present);
    assert_eq!(rec.state_at(f.now + 1), ShareState::Removed);
}

pub async fn overview_counts_live_states_bytes_and_the_newest(store: Arc<dyn Store>) {
    let now = crate::clock::system_now();
    let before = store.overview(now, 0, now).await.unwrap();
    let before_later = store.overview(now + 3700, 0, now - 10).await.unwrap();
    let _ready = make_inline(&*store, 2).await;
    let _uploading = make(&*store, 1, None, 5000).await;
    let consumed = make_inline(&*store, 1).await;
    store
        .claim(consumed.id.clone(), claim_req(LINK, CLAIM, None, now))
        .await
        .unwrap();
    let locked = make_inline(&*store, 1).await;
    for _ in 0..ots_proto::MAX_FAILED_ATTEMPTS {
        store
            .claim(locked.id.clone(), claim_req(LINK, b"wrong", None, now))
            .await
            .unwrap();
    }
    let removed = make_inline(&*store, 1).await;
    store.take_down(removed.id.clone(), now).await.unwrap();
    let after = store.overview(now, 0, now).await.unwrap();
    assert_eq!(after.live.ready - before.live.ready, 1);
    assert_eq!(after.live.uploading - before.live.uploading, 1);
    assert_eq!(after.live.downloading - before.live.downloading, 1);
    assert_eq!(after.live.locked - before.live.locked, 1);
    assert_eq!(after.remembered - before.remembered, 5);
    // Ready, consumed (ticket alive) and locked hold 1024 bytes each; the upload 5000.
    assert_eq!(after.held_bytes - before.held_bytes, 3 * 1024 + 5000);
    assert!(after.recent.is_empty());

    // Past their expiry, the shares that expired unclaimed are counted as expiries:
    // ready and locked; not the consumed, the removed or the unfinished upload.
    let later = now + 3700;
    let o = store.overview(later, 0, now - 10).await.unwrap();
    assert_eq!(o.live.ready + o.live.locked + o.live.uploading, 0);
    let expired_before = before_later.expiries.len();
    assert_eq!(o.expiries.len() - expired_before, 2, "{:?}", o.expiries);
    assert!(o.expiries.windows(2).all(|w| w[0] <= w[1]));

    // The newest shares, newest first, with short ids only.
    let newest = [
        make_at(&*store, now + 100).await,
        make_at(&*store, now + 101).await,
    ];
    let o = store.overview(now, 2, now).await.unwrap();
    assert_eq!(o.recent.len(), 2);
    let shorts: Vec<&str> = o.recent.iter().map(|s| s.short_id.as_str()).collect();
    assert_eq!(shorts, [newest[1].short(), newest[0].short()]);
    for s in &o.recent {
        assert_eq!(s.short_id.len(), 6);
        assert_eq!(
            (s.state, s.size, s.downloads_left),
            (ShareState::Ready, 1024, 3)
        );
        assert_eq!(s.expires_at - s.created_at, 3600);
    }
    assert!(o.recent[0].created_at >= o.recent[1].created_at);
}

/// A ready inline share created at `created_at` (for the newest-first order).
async fn make_at(store: &dyn Store, created_at: UnixSecs) -> ShareId {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).unwrap();
    let id = ShareId::from_bytes(b);
    let share = NewShare {
        id: id.clone(),
        size: 1024,
        created_at,
        expires_at: created_at + 3600,
        max_downloads: 3,
        link_verifier: sha(LINK),
        claim_verifier: sha(CLAIM),
        meta: b"sealed-meta".to_vec(),
        kdf: None,
        manage_token_hash: sha(MANAGE),
        upload_token_hash: None,
        inline_payload: Some(vec![7; 1024]),
    };
    assert!(store.create(share).await.unwrap());
    id
}

pub async fn events_add_up_by_minute_and_kind(store: Arc<dyn Store>) {
    let base = minute_of(crate::clock::system_now()) - 600;
    let ev = |minute: i64, kind, count| EventCount {
        minute,
        kind,
        count,
    };
    store
        .add_events(vec![
            ev(base, EventKind::Created, 2),
            ev(base + 30, EventKind::Created, 1),
            ev(base + 60, EventKind::Claimed, 4),
        ])
        .await
        .unwrap();
    // A second writer (another instance) adds to the same buckets.
    store
        .add_events(vec![
            ev(base + 60, EventKind::Claimed, 1),
            ev(base - 3600, EventKind::Locked, 9),
        ])
        .await
        .unwrap();
    let got = store.events_since(base).await.unwrap();
    let mine: Vec<_> = got.iter().filter(|c| c.minute >= base).copied().collect();
    assert_eq!(
        mine,
        vec![
            ev(base, EventKind::Created, 3),
            ev(base + 60, EventKind::Claimed, 5)
        ]
    );
    let older = store.events_since(base - 3600).await.unwrap();
    assert!(older.contains(&ev(base - 3600, EventKind::Locked, 9)));
}

pub async fn sessions_are_kept_replaced_and_dropped(store: Arc<dyn Store>) {
    let now = crate::clock::system_now();
    let key = sha(b"session-cookie");
    assert_eq!(store.session(key).await.unwrap(), None);
    let mut s = ConsoleSession {
        created_at: now,
        last_seen: now,
        csrf: sha(b"csrf"),
        notice: None,
        ends_at: now + 43_200,
    };
    store.put_session(key, s.clone()).await.unwrap();
    assert_eq!(store.session(key).await.unwrap(), Some(s.clone()));
    s.last_seen = now + 10;
    s.notice = Some("done".into());
    store.put_session(key, s.clone()).await.unwrap();
    assert_eq!(store.session(key).await.unwrap(), Some(s));
    assert_eq!(store.session(sha(b"other")).await.unwrap(), None);
    store.drop_session(key).await.unwrap();
    assert_eq!(store.session(key).await.unwrap(), None);
}

pub async fn audit_keeps_the_newest_entries_first(store: Arc<dyn Store>) {
    let now = crate::clock::system_now();
    for i in 0..(AUDIT_KEEP + 5) {
        store
            .add_audit(AuditEntry {
                at: now + i as i64 / 10,
                action: AuditAction::LoginFailed,
                client: format!("192.0.2.{}", i % 250),
                share: None,
            })
            .await
            .unwrap();
    }
    store
        .add_audit(AuditEntry {
            at: now + 100,
            action: AuditAction::Takedown,
            client: "192.0.2.9".into(),
            share: Some("abcdef".into()),
        })
        .await
        .unwrap();
    let newest = store.recent_audit(3).await.unwrap();
    assert_eq!(newest.len(), 3);
    assert_eq!(newest[0].action, AuditAction::Takedown);
    assert_eq!(newest[0].share.as_deref(), Some("abcdef"));
    assert_eq!(
        newest[1].client,
        format!("192.0.2.{}", (AUDIT_KEEP + 4) % 250)
    );
    let all = store.recent_audit(10 * AUDIT_KEEP).await.unwrap();
    assert_eq!(all.len(), AUDIT_KEEP);
}

/// Runs every case against `store`, one after another.
pub async fn run_all(store: Arc<dyn Store>) {
    takedown_removes_a_share_for_every_caller(store.clone()).await;
    a_taken_down_shares_files_are_swept(store.clone()).await;
    overview_counts_live_states_bytes_and_the_newest(store.clone()).await;
    events_add_up_by_minute_and_kind(store.clone()).await;
    sessions_are_kept_replaced_and_dropped(store.clone()).await;
    audit_keeps_the_newest_entries_first(store.clone()).await;
}
