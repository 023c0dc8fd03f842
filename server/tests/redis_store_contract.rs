//! The Redis store passes the same contract as the embedded store, against a real redis-server.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used)]

#[path = "common/redis.rs"]
mod redis_server;

use std::{sync::Arc, time::Duration};

use onetimeshare::store::{
    contract, operator_contract,
    redis::{RedisOptions, RedisStore},
    Store,
};
use redis_server::RedisServer;

async fn store(redis: &RedisServer, prefix: &str) -> RedisStore {
    let mut o = RedisOptions::new(redis.url());
    o.key_prefix = prefix.into();
    let s = RedisStore::open(&o).unwrap();
    s.wait_connected(Duration::from_secs(5)).await.unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_passes_the_contract() {
    let redis = RedisServer::start();
    let store: Arc<dyn Store> = Arc::new(store(&redis, "contract:").await);
    contract::run_all(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_passes_the_operator_contract() {
    let redis = RedisServer::start();
    let store: Arc<dyn Store> = Arc::new(store(&redis, "operator:").await);
    operator_contract::run_all(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_has_a_ttl_and_the_hash_tag_of_its_share() {
    let redis = RedisServer::start();
    let s = store(&redis, "ttl:").await;
    let f = contract::make_inline(&s, 2).await;
    let files = contract::make(&s, 1, None, 10).await;
    let hex: String = f.id.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let reply = redis.command("KEYS ttl:*").unwrap();
    let keys: Vec<&str> = reply.lines().filter(|l| l.starts_with("ttl:")).collect();
    assert_eq!(
        keys.len(),
        4,
        "two records, one payload, the sweep index (its TTL set by the first schedule): {keys:?}"
    );
    assert!(keys.contains(&format!("ttl:{{{hex}}}").as_str()));
    assert!(keys.contains(&format!("ttl:{{{hex}}}:payload").as_str()));
    for k in keys {
        let ttl = redis.command(&format!("TTL {k}")).unwrap();
        let secs: i64 = ttl.trim().trim_start_matches(':').parse().unwrap();
        assert!(secs > 0, "{k} has a TTL ({secs})");
    }
    let _ = files;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_redis_see_one_truth() {
    let redis = RedisServer::start();
    let a: Arc<dyn Store> = Arc::new(store(&redis, "two:").await);
    let b: Arc<dyn Store> = Arc::new(store(&redis, "two:").await);
    let f = contract::make_inline(&*a, 3).await;
    let mut tasks = Vec::new();
    for i in 0..90 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (id, now) = (f.id.clone(), f.now);
        tasks.push(tokio::spawn(async move {
            s.claim(
                id,
                contract::claim_req(contract::LINK, contract::CLAIM, None, now),
            )
            .await
            .unwrap()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if matches!(
            t.await.unwrap(),
            onetimeshare::store::ClaimOutcome::Granted { .. }
        ) {
            ok += 1;
        }
    }
    assert_eq!(ok, 3);
    assert_eq!(
        b.get(f.id.clone()).await.unwrap().unwrap().downloads.len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_are_loaded_again_after_a_script_flush() {
    let redis = RedisServer::start();
    let s = store(&redis, "flush:").await;
    let f = contract::make_inline(&s, 2).await;
    assert!(redis.command("SCRIPT FLUSH").unwrap().starts_with("+OK"));
    let o = s
        .claim(
            f.id.clone(),
            contract::claim_req(contract::LINK, contract::CLAIM, None, f.now),
        )
        .await
        .unwrap();
    assert!(
        matches!(o, onetimeshare::store::ClaimOutcome::Granted { .. }),
        "{o:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_is_an_error_fast_and_service_resumes() {
    let mut redis = RedisServer::start();
    let s = store(&redis, "down:").await;
    let f = contract::make_inline(&s, 5).await;
    redis.kill();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let r = s
            .claim(
                f.id.clone(),
                contract::claim_req(contract::LINK, contract::CLAIM, None, f.now),
            )
            .await;
        assert!(r.is_err(), "no outcome without Redis: {r:?}");
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "failed in {:?}",
            t.elapsed()
        );
        assert!(s.ping().await.is_err());
    }
    redis.restart();
    let mut back = false;
    for _ in 0..50 {
        if s.ping().await.is_ok() {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "reconnected by itself");
    // Empty Redis after the restart: the share is unknown, and the scripts load again.
    let o = s
        .claim(
            f.id.clone(),
            contract::claim_req(contract::LINK, contract::CLAIM, None, f.now),
        )
        .await
        .unwrap();
    assert_eq!(o, onetimeshare::store::ClaimOutcome::NotFound);
    let g = contract::make_inline(&s, 1).await;
    let o = s
        .claim(
            g.id.clone(),
            contract::claim_req(contract::LINK, contract::CLAIM, None, g.now),
        )
        .await
        .unwrap();
    assert!(matches!(
        o,
        onetimeshare::store::ClaimOutcome::Granted { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_opened_before_redis_starts_serves_once_it_is_up() {
    let mut redis = RedisServer::not_started();
    let mut o = RedisOptions::new(redis.url());
    o.key_prefix = "late:".into();
    let s = RedisStore::open(&o).unwrap();
    let t = std::time::Instant::now();
    assert!(s.ping().await.is_err());
    assert!(t.elapsed() < Duration::from_secs(1));
    redis.launch();
    let t = std::time::Instant::now();
    while s.ping().await.is_err() {
        assert!(t.elapsed() < Duration::from_secs(5), "connected by itself");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let f = contract::make_inline(&s, 1).await;
    let o = s
        .claim(
            f.id.clone(),
            contract::claim_req(contract::LINK, contract::CLAIM, None, f.now),
        )
        .await
        .unwrap();
    assert!(matches!(
        o,
        onetimeshare::store::ClaimOutcome::Granted { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_redis_times_out_and_a_claim_retried_with_its_request_id_consumes_once() {
    let redis = RedisServer::start();
    let s = store(&redis, "hang:").await;
    let f = contract::make_inline(&s, 2).await;
    let rid = [7u8; 16];
    redis.pause(true);
    // The claim reaches Redis's socket but gets no answer: an error within the bound, never an outcome.
    let t = std::time::Instant::now();
    let r = s
        .claim(
            f.id.clone(),
            contract::claim_req(contract::LINK, contract::CLAIM, Some(rid), f.now),
        )
        .await;
    assert!(r.is_err(), "{r:?}");
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "timed out after {:?}",
        t.elapsed()
    );
    let t = std::time::Instant::now();
    assert!(s.ping().await.is_err());
    assert!(t.elapsed() < Duration::from_secs(1));
    redis.pause(false);
    // The first claim may or may not have run when Redis woke up; the retry with the
    // same request_id is answered either way, and the share is claimed once.
    let t = std::time::Instant::now();
    let again = loop {
        match s
            .claim(
                f.id.clone(),
                contract::claim_req(contract::LINK, contract::CLAIM, Some(rid), f.now),
            )
            .await
        {
            Ok(o) => break o,
            Err(_) => {
                assert!(t.elapsed() < Duration::from_secs(5), "service resumed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let onetimeshare::store::ClaimOutcome::Granted { grant, .. } = again else {
        panic!("{again:?}")
    };
    assert_eq!(grant.downloads_left, 1);
    let rec = s.get(f.id.clone()).await.unwrap().unwrap();
    assert_eq!((rec.downloads.len(), rec.downloads_left), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_budget_and_the_stored_bytes_hold_across_two_stores_on_one_redis() {
    use onetimeshare::store::{BlobOutcome, ClaimOutcome};
    let redis = RedisServer::start();
    let a: Arc<dyn Store> = Arc::new(store(&redis, "budget:").await);
    let b: Arc<dyn Store> = Arc::new(store(&redis, "budget:").await);
    let f = contract::make_inline(&*a, 1).await;
    let ClaimOutcome::Granted { grant, .. } = a
        .claim(
            f.id.clone(),
            contract::claim_req(contract::LINK, contract::CLAIM, None, f.now),
        )
        .await
        .unwrap()
    else {
        panic!("claim refused");
    };
    let mut tasks = Vec::new();
    for i in 0..30 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (id, hash, now) = (f.id.clone(), grant.ticket_hash, f.now);
        tasks.push(tokio::spawn(async move {
            s.open_blob(id, hash, now, 600, 1024).await.unwrap()
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
    assert_eq!(served, 3, "three payloads across both instances, no more");
    // One stored-bytes count for both instances.
    assert!(a.reserve_bytes(700, 1000).await.unwrap());
    assert!(!b.reserve_bytes(400, 1000).await.unwrap());
    assert_eq!(b.stored_bytes().await.unwrap(), 700);
    b.release_bytes(700).await.unwrap();
    assert_eq!(a.stored_bytes().await.unwrap(), 0);
    assert_eq!(redis.count_keys("budget:stored"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoke_whose_deletion_cannot_be_queued_is_an_error_and_a_retry_queues_it() {
    use onetimeshare::store::{CompleteOutcome, RevokeOutcome};
    let redis = RedisServer::start();
    let full = store(&redis, "revoke:").await;
    let f = contract::make(&full, 1, None, 10).await;
    assert_eq!(
        full.complete(f.id.clone(), sha(contract::UPLOAD), f.now)
            .await
            .unwrap(),
        CompleteOutcome::Completed
    );
    // An instance that can run the share's script but cannot write the sweep index.
    redis
        .command("ACL SETUSER noindex on >pw ~* &* +@all -zadd")
        .unwrap();
    let mut o = RedisOptions::new(format!("redis://noindex:pw@127.0.0.1:{}", redis.port));
    o.key_prefix = "revoke:".into();
    let limited = RedisStore::open(&o).unwrap();
    limited
        .wait_connected(Duration::from_secs(5))
        .await
        .unwrap();
    assert!(
        limited
            .revoke(f.id.clone(), sha(contract::MANAGE), f.now)
            .await
            .is_err(),
        "a revoke answers only once its deletion is queued"
    );
    // Revoke is idempotent: a retry that can queue the deletion succeeds.
    assert_eq!(
        full.revoke(f.id.clone(), sha(contract::MANAGE), f.now)
            .await
            .unwrap(),
        RevokeOutcome::Revoked { delete_files: true }
    );
    assert!(full.sweep(f.now + 1, 100).await.unwrap().contains(&f.id));
}

fn sha(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_store_keeps_time_by_redis_time() {
    let redis = RedisServer::start();
    let s = store(&redis, "time:").await;
    let theirs: i64 = redis
        .command("TIME")
        .unwrap()
        .lines()
        .find_map(|l| l.trim().trim_start_matches(':').parse().ok())
        .unwrap();
    let ours = s
        .time()
        .await
        .unwrap()
        .expect("Redis has a clock of its own");
    assert!((ours - theirs).abs() <= 1, "{ours} vs {theirs}");
}
