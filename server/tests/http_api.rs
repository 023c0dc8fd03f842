//! The HTTP API of protocol §5 over a real listener, real files and a real client.
#![allow(clippy::unwrap_used)]

mod common;

use std::{sync::Arc, time::Duration};

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer() {
    let s = TestServer::start().await;
    let r = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_security_headers_and_pages_a_matching_nonce() {
    let s =
        TestServer::start_with(|c| c.public_origin = Some("https://share.example".into())).await;
    let r = s.client.get(s.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    let csp = h
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
    assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert!(h.get("permissions-policy").is_some());
    assert!(h.get("strict-transport-security").is_some());
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "the page has the hydration script");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every script carries the nonce: {html}"
    );
    // A second page gets a different nonce.
    let r2 = s.client.get(s.url("/")).send().await.unwrap();
    let csp2 = r2
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(csp, csp2);
    // The API answers carry them too, with no-store.
    let r = s
        .client
        .get(s.api("/shares/AAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    assert!(r.headers().get("content-security-policy").is_some());
    assert_eq!(r.headers().get("referrer-policy").unwrap(), "no-referrer");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hsts_without_an_https_origin() {
    let s = TestServer::start().await;
    let r = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_text_share_lifecycle() {
    let s = TestServer::start().await;
    let payload = vec![7u8; 1024];
    let c = create_inline(&s, 1, &payload).await;
    assert_eq!(c.id.len(), 22);
    assert!(c.upload_token.is_none());
    // Info.
    let (st, v) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}", c.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(v["v"], 1);
    assert_eq!(v["size"], 1024);
    assert_eq!(v["downloads_left"], 1);
    assert_eq!(v["kdf"], json!({"m_kib": 65536, "t": 3, "p": 1}));
    assert_eq!(v["expires_at"], c.expires_at.as_str());
    // Claim.
    let (st, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["downloads_left"], 0);
    assert_eq!(v["size"], 1024);
    assert_eq!(
        unb64(v["meta"].as_str().unwrap()),
        b"sealed meta bytes, opaque to the server"
    );
    assert!(v["ticket_expires_at"].as_str().unwrap().ends_with('Z'));
    let ticket = v["ticket"].as_str().unwrap().to_string();
    // Download.
    let r = s
        .client
        .get(s.api(&format!("/shares/{}/blob", c.id)))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/octet-stream"
    );
    assert_eq!(r.headers().get("content-length").unwrap(), "1024");
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(r.bytes().await.unwrap().as_ref(), payload.as_slice());
    // Range on an inline payload.
    let r = s
        .client
        .get(s.api(&format!("/shares/{}/blob", c.id)))
        .bearer_auth(&ticket)
        .header("Range", "bytes=1000-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers().get("content-range").unwrap(),
        "bytes 1000-1023/1024"
    );
    assert_eq!(r.bytes().await.unwrap().len(), 24);
    // Info of a consumed share, and a second claim.
    let (st, v) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}", c.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str(), v["reason"].as_str()),
        (410, Some("gone"), Some("consumed"))
    );
    let (st, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    assert_eq!((st, v["reason"].as_str()), (410, Some("consumed")));
    // Release: 204, then the ticket is dead.
    let r = s
        .client
        .delete(s.api(&format!("/shares/{}/blob", c.id)))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .client
        .get(s.api(&format!("/shares/{}/blob", c.id)))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (_, v) = status_of(r).await;
    assert_eq!(v["error"], "bad_token");
    // Manage.
    let (st, v) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}/manage", c.id)))
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(v["state"], "consumed");
    assert_eq!(v["failed_attempts"], 0);
    assert_eq!(v["downloads"].as_array().unwrap().len(), 1);
    assert!(v["downloads"][0]["at"].is_string());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_upload_parts_complete_range_resume_and_release() {
    let s = TestServer::start().await;
    let size: usize = 8 * 1024 * 1024 + 1000;
    let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let c = create_with(&s, size as u64, 3600, 1, None).await;
    let token = c.upload_token.clone().unwrap();
    let part = |i: u64| s.api(&format!("/shares/{}/parts/{i}", c.id));
    // Not ready while uploading.
    let (st, v) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}", c.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["error"].as_str()), (409, Some("not_ready")));
    let (st, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    assert_eq!((st, v["error"].as_str()), (409, Some("not_ready")));
    // Wrong token, wrong length, index past the end.
    let r = s
        .client
        .put(part(1))
        .bearer_auth(b64(&[0u8; 32]))
        .body(vec![0u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .client
        .put(part(1))
        .body(vec![0u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (st, v) = status_of(
        s.client
            .put(part(1))
            .bearer_auth(&token)
            .body(vec![0u8; 999])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["error"].as_str()), (400, Some("bad_part")));
    let (st, v) = status_of(
        s.client
            .put(part(1))
            .bearer_auth(&token)
            .body(vec![0u8; 1001])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["error"].as_str()), (400, Some("bad_part")));
    let (st, v) = status_of(
        s.client
            .put(part(2))
            .bearer_auth(&token)
            .body(vec![0u8; 10])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["error"].as_str()), (400, Some("bad_part")));
    let (st, v) = status_of(
        s.client
            .put(s.api(&format!("/shares/{}/parts/x", c.id)))
            .bearer_auth(&token)
            .body(vec![0u8; 10])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["error"].as_str()), (400, Some("bad_part")));
    // Streamed without Content-Length and too long: still bad_part, never more read than the part.
    let stream =
        futures_util::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(vec![1u8; 500])));
    let r = s
        .client
        .put(part(1))
        .bearer_auth(&token)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Part 1 first (garbage), then replaced: a part sent again replaces it.
    let r = s
        .client
        .put(part(1))
        .bearer_auth(&token)
        .body(vec![9u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let complete = s.api(&format!("/shares/{}/complete", c.id));
    let (st, v) = status_of(
        s.client
            .post(&complete)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str(), v["missing"].clone()),
        (409, Some("incomplete"), json!([0]))
    );
    let r = s
        .client
        .put(part(0))
        .bearer_auth(&token)
        .body(data[..8 * 1024 * 1024].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .client
        .put(part(1))
        .bearer_auth(&token)
        .body(data[8 * 1024 * 1024..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .client
        .post(&complete)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // The upload token died.
    let r = s
        .client
        .post(&complete)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .client
        .put(part(0))
        .bearer_auth(&token)
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Claim and download in two ranges across the part boundary (a resume).
    let (st, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    assert_eq!(st, 200);
    let ticket = v["ticket"].as_str().unwrap().to_string();
    let blob = s.api(&format!("/shares/{}/blob", c.id));
    let r = s
        .client
        .get(&blob)
        .bearer_auth(&ticket)
        .header("Range", "bytes=0-5000000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers().get("content-range").unwrap(),
        &format!("bytes 0-5000000/{size}")
    );
    let mut got = r.bytes().await.unwrap().to_vec();
    let r = s
        .client
        .get(&blob)
        .bearer_auth(&ticket)
        .header("Range", "bytes=5000001-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers().get("content-length").unwrap(),
        &(size - 5_000_001).to_string()
    );
    got.extend_from_slice(&r.bytes().await.unwrap());
    assert!(got == data, "the ranges reassemble the payload");
    let r = s
        .client
        .get(&blob)
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().as_ref() == data.as_slice());
    let r = s
        .client
        .get(&blob)
        .bearer_auth(&ticket)
        .header("Range", format!("bytes={size}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    // Release deletes the consumed share's files now.
    assert!(part_dir(&s, &c.id).exists());
    let r = s
        .client
        .delete(&blob)
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(
        !part_dir(&s, &c.id).exists(),
        "released bytes are gone from disk"
    );
    let r = s
        .client
        .get(&blob)
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    s.stop().await;
}

async fn concurrent_claims(s: &Arc<TestServer>, d: u32, n: usize) {
    let c = Arc::new(create_inline(s, d, b"concurrent claims, sealed").await);
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (s, c) = (s.clone(), c.clone());
        tasks.push(tokio::spawn(async move {
            claim(&s, &c, &c.secrets.claim_body()).await
        }));
    }
    let mut ok = 0;
    let mut tickets = std::collections::HashSet::new();
    for t in tasks {
        let (st, v) = t.await.unwrap();
        match st {
            200 => {
                ok += 1;
                tickets.insert(v["ticket"].as_str().unwrap().to_string());
            }
            410 => assert_eq!(v["reason"], "consumed"),
            other => panic!("unexpected {other} {v}"),
        }
    }
    assert_eq!(ok, d, "exactly d claims succeed");
    assert_eq!(tickets.len(), d as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_claims_succeed_exactly_downloads_times() {
    let s = Arc::new(TestServer::start().await);
    concurrent_claims(&s, 1, 200).await;
    concurrent_claims(&s, 7, 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_wrong_passwords_lock_after_exactly_four_401s() {
    let s = Arc::new(TestServer::start().await);
    let c = Arc::new(create_inline(&s, 1, b"locked after five, sealed").await);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (s, c) = (s.clone(), c.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"link_token": b64(&c.secrets.link_token), "claim_token": b64(&random::<32>())});
            claim(&s, &c, &body).await
        }));
    }
    let mut codes = Vec::new();
    let mut left = Vec::new();
    for t in tasks {
        let (st, v) = t.await.unwrap();
        if st == 401 {
            assert_eq!(v["error"], "bad_password");
            left.push(v["attempts_left"].as_u64().unwrap());
        } else {
            assert_eq!((st, v["error"].as_str()), (423, Some("locked")));
        }
        codes.push(st);
    }
    left.sort();
    assert_eq!(left, vec![1, 2, 3, 4]);
    assert_eq!(codes.iter().filter(|&&c| c == 423).count(), 46);
    let (st, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (423, Some("locked")),
        "the right password is too late"
    );
    let (st, _) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}", c.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 423);
    let (_, v) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}/manage", c.id)))
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["failed_attempts"], 5);
    assert_eq!(v["state"], "locked");
    assert_eq!(v["downloads_left"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_wrong_link_tokens_change_nothing() {
    let s = TestServer::start().await;
    let c = create_inline(&s, 2, b"guarded by the link token").await;
    for _ in 0..100 {
        let body = json!({"link_token": b64(&random::<32>()), "claim_token": b64(&random::<32>())});
        let (st, v) = claim(&s, &c, &body).await;
        assert_eq!((st, v["error"].as_str()), (403, Some("bad_link")));
    }
    let (_, v) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}/manage", c.id)))
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (v["failed_attempts"].as_u64(), v["downloads_left"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(v["state"], "ready");
    let (st, _) = claim(&s, &c, &c.secrets.claim_body()).await;
    assert_eq!(st, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_id_replay_returns_the_same_ticket_and_changes_nothing() {
    let s = TestServer::start().await;
    let c = create_inline(&s, 2, b"retry me, sealed payload").await;
    let mut body = c.secrets.claim_body();
    body["request_id"] = json!(b64(&random::<16>()));
    let (st, a) = claim(&s, &c, &body).await;
    assert_eq!(st, 200);
    let (st, b) = claim(&s, &c, &body).await;
    assert_eq!(st, 200);
    assert_eq!(a, b, "the same answer comes back");
    let (_, v) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}/manage", c.id)))
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["downloads_left"], 1);
    assert_eq!(v["downloads"].as_array().unwrap().len(), 1);
    // The replayed ticket works.
    let r = s
        .client
        .get(s.api(&format!("/shares/{}/blob", c.id)))
        .bearer_auth(b["ticket"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        b"retry me, sealed payload"
    );
    // Bad request ids are refused.
    let mut bad = c.secrets.claim_body();
    bad["request_id"] = json!(b64(&[0u8; 15]));
    assert_eq!(claim(&s, &c, &bad).await.0, 400);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_deletes_the_ciphertext_and_later_claims_get_410_revoked() {
    let s = TestServer::start().await;
    let data = vec![5u8; 100_000];
    let c = create_with(&s, data.len() as u64, 3600, 3, None).await;
    upload_all(&s, &c, &data).await;
    let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    let ticket = v["ticket"].as_str().unwrap().to_string();
    let del = s.api(&format!("/shares/{}", c.id));
    assert_eq!(s.client.delete(&del).send().await.unwrap().status(), 401);
    assert_eq!(
        s.client
            .delete(&del)
            .bearer_auth(b64(&[1u8; 32]))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert!(part_dir(&s, &c.id).exists());
    assert_eq!(
        s.client
            .delete(&del)
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(
        !part_dir(&s, &c.id).exists(),
        "ciphertext deleted on revoke"
    );
    let (st, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    assert_eq!((st, v["reason"].as_str()), (410, Some("revoked")));
    let r = s
        .client
        .get(s.api(&format!("/shares/{}/blob", c.id)))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    let (_, v) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}/manage", c.id)))
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["state"], "revoked");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manage_reports_each_state_and_needs_its_token() {
    let s = TestServer::start().await;
    let c = create_with(&s, 17, 3600, 2, None).await;
    let manage = |id: &str| s.api(&format!("/shares/{id}/manage"));
    let (st, v) = status_of(
        s.client
            .get(manage(&c.id))
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["state"].as_str()), (200, Some("uploading")));
    assert!(v["expires_at"].is_string());
    let (st, v) = status_of(
        s.client
            .get(manage(&c.id))
            .bearer_auth(c.upload_token.as_ref().unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["error"].as_str()), (401, Some("bad_token")));
    upload_all(&s, &c, &[1u8; 17]).await;
    let (_, v) = status_of(
        s.client
            .get(manage(&c.id))
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["state"], "ready");
    claim(&s, &c, &c.secrets.claim_body()).await;
    let (_, v) = status_of(
        s.client
            .get(manage(&c.id))
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (v["state"].as_str(), v["downloads_left"].as_u64()),
        (Some("ready"), Some(1))
    );
    let (st, _) = status_of(
        s.client
            .get(manage("AAAAAAAAAAAAAAAAAAAAAA"))
            .bearer_auth(&c.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_makes_shares_gone_and_the_sweeper_removes_their_bytes() {
    let s = TestServer::start_with(|c| {
        c.min_expiry_secs = 1;
        c.sweep_secs = 1;
    })
    .await;
    let data = vec![3u8; 1000];
    let files = create_with(&s, 1000, 1, 1, None).await;
    upload_all(&s, &files, &data).await;
    let inline = create_with(&s, 17, 1, 1, Some(&[1u8; 17])).await;
    let incomplete = create_with(&s, 1000, 1, 1, None).await;
    let r = s
        .client
        .put(s.api(&format!("/shares/{}/parts/0", incomplete.id)))
        .bearer_auth(incomplete.upload_token.as_ref().unwrap())
        .body(vec![0u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(part_dir(&s, &files.id).exists());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for c in [&files, &inline] {
        let (st, v) = claim(&s, c, &c.secrets.claim_body()).await;
        assert_eq!((st, v["reason"].as_str()), (410, Some("expired")));
        let (st, v) = status_of(
            s.client
                .get(s.api(&format!("/shares/{}", c.id)))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((st, v["reason"].as_str()), (410, Some("expired")));
    }
    let (st, v) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}/manage", files.id)))
            .bearer_auth(&files.manage_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["state"].as_str()), (200, Some("expired")));
    // Within a few sweep periods the bytes are gone, and the incomplete upload is forgotten.
    let mut gone = false;
    for _ in 0..150 {
        if !part_dir(&s, &files.id).exists() && !part_dir(&s, &incomplete.id).exists() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the sweeper removed expired bytes");
    let mut st = 0;
    for _ in 0..150 {
        st = s
            .client
            .get(s.api(&format!("/shares/{}", incomplete.id)))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if st == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(st, 404, "an upload not completed in time is deleted");
    let (st, _) = status_of(
        s.client
            .get(s.api(&format!("/shares/{}", files.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 410, "expired shares stay remembered as tombstones");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tombstones_end_in_404() {
    let s = TestServer::start_with(|c| {
        c.min_expiry_secs = 1;
        c.sweep_secs = 1;
        c.tombstone_secs = 0;
    })
    .await;
    let c = create_with(&s, 17, 1, 1, Some(&[1u8; 17])).await;
    let mut st = 0;
    for _ in 0..150 {
        st = s
            .client
            .get(s.api(&format!("/shares/{}", c.id)))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if st == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(st, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_400_or_404_never_5xx() {
    let s = TestServer::start().await;
    let sec = Secrets::new();
    let post = |body: String| {
        s.client
            .post(s.api("/shares"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let mut cases: Vec<(String, u16)> = vec![
        ("{".into(), 400),
        ("[]".into(), 400),
        ("".into(), 400),
        ("null".into(), 400),
    ];
    let good = create_body(&sec, 17, 3600, 1, Some(&[0u8; 17]));
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b.to_string()
    };
    cases.push((with("unknown_field", json!(1)), 400));
    cases.push((with("size", json!(0)), 400));
    cases.push((with("size", json!(-1)), 400));
    cases.push((with("size", json!(18)), 400));
    // No payload has 15 bytes (protocol §4): at least a 16-byte tag, and one byte of text with it.
    cases.push((with("size", json!(15)), 400));
    cases.push((with("expires_in", json!(59)), 400));
    cases.push((with("expires_in", json!(604801)), 400));
    cases.push((with("max_downloads", json!(0)), 400));
    cases.push((with("max_downloads", json!(101)), 400));
    cases.push((with("link_verifier", json!(b64(&[0u8; 31]))), 400));
    cases.push((with("claim_verifier", json!("not base64!")), 400));
    cases.push((
        with("claim_verifier", json!(format!("{}=", b64(&[0u8; 32])))),
        400,
    ));
    cases.push((with("meta", json!(b64(&[0u8; 4097]))), 400));
    // Sealed meta is a 16-byte tag and at least one byte of JSON.
    cases.push((with("meta", json!(b64(&[0u8; 16]))), 400));
    cases.push((with("kdf", json!({"m_kib": 1024, "t": 3, "p": 1})), 400));
    cases.push((
        with("kdf", json!({"m_kib": 65536, "t": 3, "p": 1, "x": 1})),
        400,
    ));
    cases.push((with("payload", json!("@@@")), 400));
    let mut big = create_body(&sec, 3 * 1024 * 1024 * 1024, 3600, 1, None);
    big["size"] = json!(3u64 * 1024 * 1024 * 1024);
    cases.push((big.to_string(), 413));
    let mut big_inline = create_body(&sec, 2 * 1024 * 1024, 3600, 1, None);
    big_inline["payload"] = json!("");
    cases.push((big_inline.to_string(), 400));
    for (body, want) in cases {
        let (st, v) = status_of(post(body.clone()).await.unwrap()).await;
        assert_eq!(st, want, "{body} -> {v}");
        assert!(v["error"].is_string() && v["message"].is_string(), "{v}");
    }
    // Claims with malformed bodies.
    let c = create_inline(&s, 1, b"x, as a sealed payload").await;
    for body in [
        json!({}),
        json!({"link_token": b64(&[0u8; 32])}),
        json!({"link_token": b64(&[0u8; 33]), "claim_token": b64(&[0u8; 32])}),
        json!({"link_token": "%%%", "claim_token": b64(&[0u8; 32])}),
        json!({"link_token": b64(&[0u8; 32]), "claim_token": b64(&[0u8; 32]), "extra": true}),
    ] {
        assert_eq!(claim(&s, &c, &body).await.0, 400, "{body}");
    }
    // Ids that are not ids: never a 5xx, never a file path.
    let long = "A".repeat(300);
    for id in [
        "..",
        "%2e%2e",
        "a%2Fb",
        "a%00b",
        "%00",
        long.as_str(),
        "AAAAAAAAAAAAAAAAAAAAAB",
        "AAAAAAAAAAAAAAAAAAAA%2F%2F",
        "..%2F..%2Fetc%2Fpasswd",
    ] {
        for path in [
            format!("/shares/{id}"),
            format!("/shares/{id}/manage"),
            format!("/shares/{id}/blob"),
        ] {
            let st = s
                .client
                .get(s.api(&path))
                .bearer_auth(b64(&[0u8; 32]))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            assert!(st == 400 || st == 404, "{path} -> {st}");
        }
        let st = s
            .client
            .post(s.api(&format!("/shares/{id}/claim")))
            .json(&c.secrets.claim_body())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!(st == 400 || st == 404, "{id} -> {st}");
        let st = s
            .client
            .put(s.api(&format!("/shares/{id}/parts/0")))
            .bearer_auth(b64(&[0u8; 32]))
            .body("x")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!(st == 400 || st == 404 || st == 401, "{id} -> {st}");
    }
    // Unknown API paths are JSON 404s.
    let (st, v) = status_of(s.client.get(s.api("/nope")).send().await.unwrap()).await;
    assert_eq!((st, v["error"].as_str()), (404, Some("not_found")));
    // Raw bytes with a path traversal attempt over a plain socket.
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    sock.write_all(
        b"GET /api/v1/shares/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    sock.read_to_end(&mut out).await.unwrap();
    let head = String::from_utf8_lossy(&out);
    assert!(
        !head.starts_with("HTTP/1.1 5") && !head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    s.stop().await;
}

/// Posts `kib` KiB of spaces with chunked encoding (no Content-Length) and returns the raw answer.
async fn raw_chunked_post(s: &TestServer, path: &str, kib: usize) -> String {
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    sock.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..kib {
        if sock
            .write_all(format!("400\r\n{}\r\n", " ".repeat(1024)).as_bytes())
            .await
            .is_err()
        {
            break;
        }
    }
    let _ = sock.write_all(b"0\r\n\r\n").await;
    let mut out = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_with_and_without_content_length() {
    let s = TestServer::start_with(|c| c.max_inline_bytes = 1024).await;
    let huge = vec![b' '; 64 * 1024];
    let r = s
        .client
        .post(s.api("/shares"))
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    // The body was not read: the client is told not to reuse the connection.
    assert_eq!(r.headers().get("connection").unwrap(), "close");
    let (st, v) = status_of(r).await;
    assert_eq!((st, v["error"].as_str()), (413, Some("too_large")));
    let answer = raw_chunked_post(&s, "/api/v1/shares", 64).await;
    assert!(
        answer.starts_with("HTTP/1.1 413") && answer.contains("too_large"),
        "{answer}"
    );
    // Claim bodies have their own small limit.
    let c = create_with(&s, 17, 3600, 1, Some(&[0u8; 17])).await;
    // Chunked: the answer comes even though the server stops reading.
    let answer = raw_chunked_post(&s, &format!("/api/v1/shares/{}/claim", c.id), 16).await;
    assert!(
        answer.starts_with("HTTP/1.1 413") && answer.contains("too_large"),
        "{answer}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after() {
    let s = TestServer::start_with(|c| {
        c.rate_create_per_min = 3;
        c.rate_claim_per_min = 2;
    })
    .await;
    let sec = Secrets::new();
    let mut codes = Vec::new();
    let mut last = None;
    for _ in 0..4 {
        let r = s
            .client
            .post(s.api("/shares"))
            .json(&create_body(&sec, 17, 3600, 1, Some(&[0; 17])))
            .send()
            .await
            .unwrap();
        codes.push(r.status().as_u16());
        last = Some(r);
    }
    assert_eq!(codes, vec![201, 201, 201, 429]);
    let r = last.unwrap();
    assert!(
        r.headers()
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let (_, v) = status_of(r).await;
    assert_eq!(v["error"], "rate_limited");
    let body = json!({"link_token": b64(&[0u8; 32]), "claim_token": b64(&[0u8; 32])});
    let url = s.api("/shares/AAAAAAAAAAAAAAAAAAAAAA/claim");
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(
            s.client
                .post(&url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(codes, vec![404, 404, 429]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off() {
    let mut s = TestServer::start_with(|c| {
        c.header_timeout_secs = 1;
        c.body_idle_timeout_secs = 1;
    })
    .await;
    // The server rightly closes idle keep-alive connections after the header
    // timeout too; a pooled one would race that close, so use fresh ones.
    s.client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    // Headers that never finish: the connection is closed.
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    sock.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut out)).await;
    assert!(
        read.is_ok(),
        "the server closed a connection whose headers never came"
    );
    // A body that stalls: the request fails with 400 and the connection does not hang.
    let c = create_inline(&s, 1, b"x, as a sealed payload").await;
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let req = format!(
        "POST /api/v1/shares/{}/claim HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{{",
        c.id
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "a stalled body is cut off");
    let head = String::from_utf8_lossy(&out);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_concurrent_uploads_get_503() {
    let s = Arc::new(TestServer::start_with(|c| c.max_concurrent_uploads = 1).await);
    let c = create_with(&s, 1000, 3600, 1, None).await;
    // One upload that holds its slot by sending its body slowly.
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let req = format!(
        "PUT /api/v1/shares/{}/parts/0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 1000\r\n\r\nabc",
        c.id,
        c.upload_token.as_ref().unwrap()
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let r = s
        .client
        .put(s.api(&format!("/shares/{}/parts/0", c.id)))
        .bearer_auth(c.upload_token.as_ref().unwrap())
        .body(vec![0u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    drop(sock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let s = TestServer::start().await;
    let c = create_with(&s, 1000, 3600, 1, None).await;
    // A slow upload in flight when shutdown starts still gets its answer.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    let req = s
        .client
        .put(s.api(&format!("/shares/{}/parts/0", c.id)))
        .bearer_auth(c.upload_token.as_ref().unwrap())
        .header("content-length", "1000")
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let pending = tokio::spawn(req);
    tx.send(Ok(vec![0u8; 500])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopper = tokio::spawn(s.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx.send(Ok(vec![0u8; 500])).await.unwrap();
    drop(tx);
    let r = pending.await.unwrap().unwrap();
    assert_eq!(r.status(), 204);
    stopper.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_tells_clients_the_limits_this_server_accepts() {
    let s = TestServer::start_with(|c| {
        c.max_share_bytes = 5 << 20;
        c.min_expiry_secs = 300;
        c.max_expiry_secs = 3_600;
        c.default_expiry_secs = 86_400;
    })
    .await;
    let r = s.client.get(s.api("/config")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({
            "v": 1,
            "max_share_bytes": 5 << 20,
            "max_inline_bytes": 1 << 20,
            "part_bytes": 8 << 20,
            "expires_in": {"min": 300, "max": 3_600, "default": 3_600},
            "max_downloads": 100,
            "create_token_required": false,
        })
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_answer_is_json_even_for_unknown_routes_wrong_methods_and_bad_segments() {
    let s = TestServer::start().await;
    let c = create_inline(&s, 1, b"json everywhere, sealed").await;
    let id = c.id.as_str();
    let send = |method: reqwest::Method, path: String| {
        s.client
            .request(method, s.url(&path))
            .bearer_auth(b64(&[0u8; 32]))
            .send()
    };
    use reqwest::Method;
    let cases: Vec<(Method, String, u16, &str)> = vec![
        (Method::GET, "/api/v1/nope".into(), 404, "not_found"),
        (Method::GET, "/api/nope".into(), 404, "not_found"),
        (Method::GET, "/api/".into(), 404, "not_found"),
        (Method::GET, "/api/v1".into(), 404, "not_found"),
        (
            Method::PATCH,
            "/api/v1/shares".into(),
            405,
            "method_not_allowed",
        ),
        (
            Method::GET,
            "/api/v1/shares".into(),
            405,
            "method_not_allowed",
        ),
        (
            Method::PUT,
            format!("/api/v1/shares/{id}/claim"),
            405,
            "method_not_allowed",
        ),
        (
            Method::POST,
            format!("/api/v1/shares/{id}/manage"),
            405,
            "method_not_allowed",
        ),
        (
            Method::GET,
            format!("/api/v1/shares/{id}/parts/0"),
            405,
            "method_not_allowed",
        ),
        (
            Method::POST,
            format!("/api/v1/shares/{id}/blob"),
            405,
            "method_not_allowed",
        ),
        (
            Method::PUT,
            format!("/api/v1/shares/{id}/parts/%FF"),
            400,
            "invalid",
        ),
        (
            Method::PUT,
            format!("/api/v1/shares/{id}/parts/-1"),
            401,
            "bad_token",
        ),
        (Method::GET, "/api/v1/shares/%FF%FE".into(), 400, "invalid"),
        (
            Method::GET,
            "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA%FF/manage".into(),
            400,
            "invalid",
        ),
    ];
    for (method, path, want, code) in cases {
        let r = send(method.clone(), path.clone()).await.unwrap();
        let st = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let allow = r.headers().get("allow").cloned();
        assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
        let body = r.text().await.unwrap();
        assert_eq!(st, want, "{method} {path} -> {body}");
        assert!(
            ctype.starts_with("application/json"),
            "{method} {path}: {ctype} {body}"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"], code, "{method} {path}: {v}");
        assert!(v["message"].is_string(), "{v}");
        if want == 405 {
            assert!(
                allow.is_some(),
                "{method} {path}: a 405 says what is allowed"
            );
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_ranges_are_ignored_and_unsatisfiable_ones_answer_416() {
    let s = TestServer::start().await;
    let payload: Vec<u8> = (0..100u8).collect();
    let c = create_inline(&s, 10, &payload).await;
    let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    let ticket = v["ticket"].as_str().unwrap().to_string();
    let blob = s.api(&format!("/shares/{}/blob", c.id));
    for malformed in [
        "bytes=1",
        "bytes=5-1",
        "bytes=x-1",
        "bytes=1-x",
        "bytes=",
        "bytes=--1",
    ] {
        // A ticket per whole download: each serves three payloads at most.
        let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
        let ticket = v["ticket"].as_str().unwrap().to_string();
        let r = s
            .client
            .get(&blob)
            .bearer_auth(&ticket)
            .header("Range", malformed)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{malformed} is ignored");
        assert!(r.headers().get("content-range").is_none());
        assert_eq!(r.bytes().await.unwrap().as_ref(), payload.as_slice());
    }
    for unsatisfiable in ["bytes=100-", "bytes=100-200", "bytes=-0"] {
        let r = s
            .client
            .get(&blob)
            .bearer_auth(&ticket)
            .header("Range", unsatisfiable)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 416, "{unsatisfiable}");
        assert_eq!(r.headers().get("content-range").unwrap(), "bytes */100");
        let (_, v) = status_of(r).await;
        assert_eq!(v["error"], "bad_range");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_that_starts_in_a_part_lost_on_disk_answers_416_at_once() {
    let s = TestServer::start().await;
    let size = 8 * 1024 * 1024 + 100;
    let c = create_with(&s, size as u64, 3600, 1, None).await;
    upload_all(&s, &c, &vec![3u8; size]).await;
    let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    let ticket = v["ticket"].as_str().unwrap().to_string();
    // The second part loses its bytes on disk after the upload completed.
    std::fs::write(part_dir(&s, &c.id).join("1"), []).unwrap();
    let blob = s.api(&format!("/shares/{}/blob", c.id));
    let r = s
        .client
        .get(&blob)
        .bearer_auth(&ticket)
        .header("Range", format!("bytes={}-", 8 * 1024 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(
        r.headers().get("content-range").unwrap().to_str().unwrap(),
        format!("bytes */{size}")
    );
    let (_, v) = status_of(r).await;
    assert_eq!(v["error"], "bad_range");
    // The first part is whole: a range inside it is served.
    let r = s
        .client
        .get(&blob)
        .bearer_auth(&ticket)
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().len(), 100);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_answers_409_when_the_stored_parts_do_not_add_up_to_the_size() {
    let s = TestServer::start().await;
    let size = 8 * 1024 * 1024 + 100;
    let c = create_with(&s, size as u64, 3600, 1, None).await;
    let token = c.upload_token.clone().unwrap();
    for (i, len) in [(0u64, 8 * 1024 * 1024), (1, 100)] {
        let r = s
            .client
            .put(s.api(&format!("/shares/{}/parts/{i}", c.id)))
            .bearer_auth(&token)
            .body(vec![1u8; len])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    // A part that lost bytes on disk no longer adds up.
    let file = part_dir(&s, &c.id).join("1");
    std::fs::write(&file, [1u8; 99]).unwrap();
    let (st, v) = status_of(
        s.client
            .post(s.api(&format!("/shares/{}/complete", c.id)))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str(), v["missing"].clone()),
        (409, Some("incomplete"), json!([1]))
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_and_release_of_a_revoked_or_expired_share_answer_410_with_the_reason() {
    let s = TestServer::start_with(|c| c.min_expiry_secs = 1).await;
    // Revoked while the recipient holds a ticket.
    let c = create_with(&s, 1000, 3600, 2, None).await;
    upload_all(&s, &c, &[5u8; 1000]).await;
    let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    let ticket = v["ticket"].as_str().unwrap().to_string();
    let blob = s.api(&format!("/shares/{}/blob", c.id));
    let r = s
        .client
        .delete(s.api(&format!("/shares/{}", c.id)))
        .bearer_auth(&c.manage_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    for range in [None, Some("bytes=10-")] {
        let mut req = s.client.get(&blob).bearer_auth(&ticket);
        if let Some(r) = range {
            req = req.header("Range", r);
        }
        let (st, v) = status_of(req.send().await.unwrap()).await;
        assert_eq!(
            (st, v["reason"].as_str()),
            (410, Some("revoked")),
            "{range:?}"
        );
    }
    let (st, v) = status_of(
        s.client
            .delete(&blob)
            .bearer_auth(&ticket)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["reason"].as_str()), (410, Some("revoked")));
    // Expired while the recipient holds a ticket; whatever the ticket.
    let c = create_with(&s, 17, 2, 1, Some(&[1u8; 17])).await;
    let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    let ticket = v["ticket"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let blob = s.api(&format!("/shares/{}/blob", c.id));
    for t in [ticket.clone(), b64(&[7u8; 32])] {
        let (st, v) = status_of(s.client.get(&blob).bearer_auth(&t).send().await.unwrap()).await;
        assert_eq!((st, v["reason"].as_str()), (410, Some("expired")));
        let (st, v) = status_of(s.client.delete(&blob).bearer_auth(&t).send().await.unwrap()).await;
        assert_eq!((st, v["reason"].as_str()), (410, Some("expired")));
    }
    s.stop().await;
}

/// A claim of an unknown share whose `X-Forwarded-For` is `xff`: 404, or 429 once the bucket is empty.
async fn claim_from(s: &TestServer, xff: &str) -> u16 {
    let body = json!({"link_token": b64(&[0u8; 32]), "claim_token": b64(&[0u8; 32])});
    s.client
        .post(s.api("/shares/AAAAAAAAAAAAAAAAAAAAAA/claim"))
        .header("x-forwarded-for", xff)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_count_an_ipv6_client_by_its_64() {
    let s = TestServer::start_with(|c| {
        c.rate_claim_per_min = 1;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    assert_eq!(claim_from(&s, "2001:db8:1:2::1").await, 404);
    assert_eq!(
        claim_from(&s, "2001:db8:1:2:ffff:ffff:ffff:ffff").await,
        429
    );
    assert_eq!(claim_from(&s, "2001:db8:1:3::1").await, 404);
    s.stop().await;
    let s = TestServer::start_with(|c| {
        c.rate_claim_per_min = 1;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.ipv6_prefix_len = 48;
    })
    .await;
    assert_eq!(claim_from(&s, "2001:db8:1:2::1").await, 404);
    assert_eq!(claim_from(&s, "2001:db8:1:3::1").await, 429);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    // The peer (127.0.0.1) is no trusted proxy: its X-Forwarded-For is ignored.
    let s = TestServer::start_with(|c| {
        c.rate_claim_per_min = 1;
        c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    assert_eq!(claim_from(&s, "192.0.2.1").await, 404);
    assert_eq!(claim_from(&s, "192.0.2.2").await, 429);
    s.stop().await;
    // Behind trusted proxies: the right-most address that is not one of them.
    let s = TestServer::start_with(|c| {
        c.rate_claim_per_min = 1;
        c.trusted_proxies = vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
    })
    .await;
    assert_eq!(claim_from(&s, "192.0.2.1, 10.1.1.1").await, 404);
    // What the client wrote on the left does not make it someone else.
    assert_eq!(claim_from(&s, "198.51.100.9, 192.0.2.1").await, 429);
    assert_eq!(
        claim_from(&s, "192.0.2.1, 198.51.100.7, 10.0.0.1").await,
        404
    );
    s.stop().await;
}

async fn put_part(s: &TestServer, c: &Created, index: u64, len: usize) -> (u16, Value) {
    status_of(
        s.client
            .put(s.api(&format!("/shares/{}/parts/{index}", c.id)))
            .bearer_auth(c.upload_token.as_ref().unwrap())
            .body(vec![1u8; len])
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_or_part_over_the_storage_quota_answers_507_before_any_byte_is_written() {
    const MIB: usize = 1024 * 1024;
    let s = TestServer::start_with(|c| c.max_stored_bytes = Some(10 * MIB as u64)).await;
    let sec = Secrets::new();
    let a = create_with(&s, (8 * MIB + 100) as u64, 3600, 1, None).await;
    assert_eq!(put_part(&s, &a, 0, 8 * MIB).await.0, 204);
    // 8 MiB stored: a 4 MiB share would pass 10 MiB.
    let (st, v) = status_of(
        s.client
            .post(s.api("/shares"))
            .json(&create_body(&sec, (4 * MIB) as u64, 3600, 1, None))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (507, Some("storage_full")),
        "{v}"
    );
    // Sending a part again replaces it: it takes no more room.
    assert_eq!(put_part(&s, &a, 0, 8 * MIB).await.0, 204);
    assert_eq!(put_part(&s, &a, 1, 100).await.0, 204);
    // Two 1.5 MiB shares each fit alone; the second one's part does not.
    let d = create_with(&s, (3 * MIB / 2) as u64, 3600, 1, None).await;
    let e = create_with(&s, (3 * MIB / 2) as u64, 3600, 1, None).await;
    assert_eq!(put_part(&s, &d, 0, 3 * MIB / 2).await.0, 204);
    let (st, v) = put_part(&s, &e, 0, 3 * MIB / 2).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (507, Some("storage_full")),
        "{v}"
    );
    assert!(
        std::fs::read_dir(part_dir(&s, &e.id))
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "not a byte of the refused part was written"
    );
    // Revoking the big share frees its room.
    let r = s
        .client
        .delete(s.api(&format!("/shares/{}", a.id)))
        .bearer_auth(&a.manage_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(put_part(&s, &e, 0, 3 * MIB / 2).await.0, 204);
    s.stop().await;
}

async fn get_blob(s: &TestServer, id: &str, ticket: &str, range: Option<&str>) -> (u16, Vec<u8>) {
    let mut req = s
        .client
        .get(s.api(&format!("/shares/{id}/blob")))
        .bearer_auth(ticket);
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    let r = req.send().await.unwrap();
    let st = r.status().as_u16();
    (st, r.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_serves_three_times_the_payload_then_answers_429_ticket_exhausted() {
    let s = TestServer::start().await;
    let payload = vec![3u8; 1000];
    let c = create_inline(&s, 2, &payload).await;
    let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    let ticket = v["ticket"].as_str().unwrap().to_string();
    for _ in 0..3 {
        assert_eq!(get_blob(&s, &c.id, &ticket, None).await.0, 200);
    }
    let (st, body) = get_blob(&s, &c.id, &ticket, Some("bytes=0-0")).await;
    assert_eq!(st, 429);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"], "ticket_exhausted");
    // Every range counts: six halves are three payloads.
    let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    let ticket = v["ticket"].as_str().unwrap().to_string();
    for i in 0..6 {
        let range = if i % 2 == 0 {
            "bytes=0-499"
        } else {
            "bytes=500-"
        };
        assert_eq!(get_blob(&s, &c.id, &ticket, Some(range)).await.0, 206);
    }
    assert_eq!(
        get_blob(&s, &c.id, &ticket, Some("bytes=999-")).await.0,
        429
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_downloads_and_resumes_stay_well_inside_the_ticket_budget() {
    let s = TestServer::start().await;
    let size = 2 * 8 * 1024 * 1024 + 1000;
    let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let c = create_with(&s, size as u64, 3600, 1, None).await;
    upload_all(&s, &c, &data).await;
    let (_, v) = claim(&s, &c, &c.secrets.claim_body()).await;
    let ticket = v["ticket"].as_str().unwrap().to_string();
    // A download that breaks after its first megabyte counts what it sent, not the whole.
    let r = s
        .client
        .get(s.api(&format!("/shares/{}/blob", c.id)))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut stream = r.bytes_stream();
    let mut got = 0usize;
    while got < 1024 * 1024 {
        use futures_util::StreamExt;
        got += stream.next().await.unwrap().unwrap().len();
    }
    drop(stream);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Resumed, retried whole, and resumed again: all inside 3 x size.
    let (st, rest) = get_blob(&s, &c.id, &ticket, Some(&format!("bytes={got}-"))).await;
    assert_eq!((st, rest.len()), (206, size - got));
    let (st, all) = get_blob(&s, &c.id, &ticket, None).await;
    assert!(st == 200 && all == data);
    let (st, _) = get_blob(&s, &c.id, &ticket, Some("bytes=-4000000")).await;
    assert_eq!(st, 206, "the budget still holds a resume");
    s.stop().await;
}
