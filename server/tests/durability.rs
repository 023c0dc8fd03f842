//! Durability: the real `onetimeshare` binary, killed with SIGKILL at awkward moments.
#![allow(clippy::unwrap_used)]

mod common;

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use common::{b64, random, sha, Secrets, TEST_QUOTA};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

struct Proc {
    child: Child,
    base: String,
    addr: String,
}

impl Proc {
    fn spawn(data_dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_onetimeshare"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--rate-create-per-min",
                "0",
                "--rate-claim-per-min",
                "0",
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--site-root")
            .arg(data_dir.join("no-site"))
            .env("RUST_LOG", "warn")
            .env("OTS_MAX_STORED_BYTES", TEST_QUOTA)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server prints its address")
                .unwrap();
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.trim().to_string();
            }
        };
        Self {
            child,
            base: format!("http://{addr}/api/v1"),
            addr,
        }
    }

    /// SIGKILL: no shutdown, no flush.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn create(
    client: &reqwest::Client,
    p: &Proc,
    size: usize,
    downloads: u32,
    payload: Option<&[u8]>,
) -> (Value, Secrets) {
    let sec = Secrets::new();
    let mut body = json!({
        "size": size, "expires_in": 3600, "max_downloads": downloads,
        "link_verifier": b64(&sha(&sec.link_token)), "claim_verifier": b64(&sha(&sec.claim_token)),
        "meta": b64(b"sealed meta, opaque to the server"), "kdf": null,
    });
    if let Some(pl) = payload {
        body["payload"] = json!(b64(pl));
    }
    let r = client
        .post(format!("{}/shares", p.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    (r.json().await.unwrap(), sec)
}

async fn claim(client: &reqwest::Client, p: &Proc, id: &str, sec: &Secrets) -> (u16, Value) {
    let r = client
        .post(format!("{}/shares/{id}/claim", p.base))
        .json(&sec.claim_body())
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

/// Claims every share at the same time; each claim must be granted.
async fn claim_all_at_once<'a>(
    client: &reqwest::Client,
    p: &Proc,
    shares: impl Iterator<Item = &'a (Value, Secrets)>,
) {
    let mut tasks = Vec::new();
    for (v, sec) in shares {
        let (client, base, id, body) = (
            client.clone(),
            p.base.clone(),
            v["id"].as_str().unwrap().to_string(),
            sec.claim_body(),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{base}/shares/{id}/claim"))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_share_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let p = Proc::spawn(dir.path());
    let (inline, inline_sec) = create(&client, &p, 22, 1, Some(b"hello, sealed payload!")).await;
    let data = vec![0xabu8; 9 * 1024 * 1024];
    let (file, file_sec) = create(&client, &p, data.len(), 1, None).await;
    let (id, token) = (
        file["id"].as_str().unwrap(),
        file["upload_token"].as_str().unwrap(),
    );
    for (i, chunk) in data.chunks(8 * 1024 * 1024).enumerate() {
        let r = client
            .put(format!("{}/shares/{id}/parts/{i}", p.base))
            .bearer_auth(token)
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let r = client
        .post(format!("{}/shares/{id}/complete", p.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    p.kill9();

    let p = Proc::spawn(dir.path());
    let (st, v) = claim(&client, &p, inline["id"].as_str().unwrap(), &inline_sec).await;
    assert_eq!(st, 200, "{v}");
    let r = client
        .get(format!(
            "{}/shares/{}/blob",
            p.base,
            inline["id"].as_str().unwrap()
        ))
        .bearer_auth(v["ticket"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"hello, sealed payload!");
    let (st, v) = claim(&client, &p, id, &file_sec).await;
    assert_eq!(st, 200, "{v}");
    let r = client
        .get(format!("{}/shares/{id}/blob", p.base))
        .bearer_auth(v["ticket"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.unwrap().as_ref() == data.as_slice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_claim_stays_consumed_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let p = Proc::spawn(dir.path());
    let mut shares = Vec::new();
    for _ in 0..20 {
        shares.push(create(&client, &p, 20, 1, Some(b"once, sealed payload")).await);
    }
    // Claim them all at once, then kill the server the moment the last answer is in.
    claim_all_at_once(&client, &p, shares.iter()).await;
    p.kill9();

    let p = Proc::spawn(dir.path());
    for (v, sec) in &shares {
        let (st, body) = claim(&client, &p, v["id"].as_str().unwrap(), sec).await;
        assert_eq!(
            (st, body["reason"].as_str()),
            (410, Some("consumed")),
            "a claim answered before the crash is not undone"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_upload_leaves_nothing_claimable() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let p = Proc::spawn(dir.path());
    let size = 12 * 1024 * 1024;
    let (v, sec) = create(&client, &p, size, 1, None).await;
    let (id, token) = (
        v["id"].as_str().unwrap().to_string(),
        v["upload_token"].as_str().unwrap().to_string(),
    );
    let r = client
        .put(format!("{}/shares/{id}/parts/0", p.base))
        .bearer_auth(&token)
        .body(vec![1u8; 8 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // Part 1 is half sent when the server dies.
    let mut sock = tokio::net::TcpStream::connect(&p.addr).await.unwrap();
    let head = format!("PUT /api/v1/shares/{id}/parts/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 4194304\r\n\r\n");
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&vec![2u8; 2 * 1024 * 1024]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    p.kill9();
    drop(sock);

    let p = Proc::spawn(dir.path());
    let (st, body) = claim(&client, &p, &id, &sec).await;
    assert_eq!((st, body["error"].as_str()), (409, Some("not_ready")));
    let r = client
        .get(format!("{}/shares/{id}", p.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = client
        .post(format!("{}/shares/{id}/complete", p.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let missing: Value = r.json().await.unwrap();
    assert_eq!(missing["missing"], json!([1]));
    // An unknown ticket gets nothing either.
    let r = client
        .get(format!("{}/shares/{id}/blob", p.base))
        .bearer_auth(b64(&random::<32>()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_survive_kill_9_after_the_store_log_has_rotated() {
    // 160 shares of 96 KiB inline: 15 MiB of log, past the 8 MiB at which the
    // embedded store rotates its log and checkpoints the old one while
    // requests go on.
    const SIZE: usize = 96 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let p = Proc::spawn(dir.path());
    let mut shares = Vec::new();
    for n in 0..160u8 {
        let payload = vec![n; SIZE];
        shares.push((create(&client, &p, SIZE, 1, Some(&payload)).await, payload));
    }
    let (claimed, kept) = shares.split_at(120);
    // Claim most of them at once, then kill the server the moment the last answer is in.
    claim_all_at_once(&client, &p, claimed.iter().map(|(share, _)| share)).await;
    p.kill9();
    let log = std::fs::metadata(dir.path().join("records.wal"))
        .unwrap()
        .len();
    assert!(
        log < 12 * 1024 * 1024,
        "the log rotated before the crash ({log} bytes in the current one)"
    );

    let p = Proc::spawn(dir.path());
    for ((v, sec), _) in claimed {
        let (st, body) = claim(&client, &p, v["id"].as_str().unwrap(), sec).await;
        assert_eq!(
            (st, body["reason"].as_str()),
            (410, Some("consumed")),
            "a claim answered before the crash is not undone"
        );
    }
    for ((v, sec), payload) in kept {
        let id = v["id"].as_str().unwrap();
        let (st, body) = claim(&client, &p, id, sec).await;
        assert_eq!(st, 200, "{body}");
        let r = client
            .get(format!("{}/shares/{id}/blob", p.base))
            .bearer_auth(body["ticket"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert!(r.bytes().await.unwrap().as_ref() == payload.as_slice());
    }
}
