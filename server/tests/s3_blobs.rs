//! Two `onetimeshare` processes, each with its own empty `--data-dir`, one
//! Redis and one S3 (a real `moto_server`): nothing is shared on disk. A share
//! made through one is read through the other, one-time claims hold across
//! both, no object of a share outlives it, and an S3 outage answers 503 and
//! heals.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/moto.rs"]
mod moto;
#[path = "common/redis.rs"]
mod redis_server;

use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use common::cheap_hash;
use futures_util::TryStreamExt;
use moto::Moto;
use object_store::{aws::AmazonS3Builder, ObjectStore};
use redis_server::RedisServer;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const PART: usize = 8 * 1024 * 1024;
const PASSWORD: &str = "operator password";

/// One moto for the whole binary (a watchdog stops it when the process ends).
fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).unwrap();
    b
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Two server processes on one Redis and one bucket, each with its own empty data dir.
struct Pair {
    bases: [String; 2],
    client: reqwest::Client,
    bucket: String,
    endpoint: String,
    _procs: Vec<KillOnDrop>,
    _dirs: Vec<tempfile::TempDir>,
}

impl Pair {
    async fn start(redis: &RedisServer, moto: &Moto, extra: &[&str]) -> Self {
        let bucket = moto.new_bucket("pair");
        let blob_url = format!("s3://{bucket}/ots/parts");
        let mut procs = Vec::new();
        let mut dirs = Vec::new();
        let mut bases = Vec::new();
        for _ in 0..2 {
            let dir = tempfile::tempdir().unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new(env!("CARGO_BIN_EXE_onetimeshare"))
                .envs(moto.env())
                .env("RUST_LOG", "warn")
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .args(["--redis-url", &redis.url(), "--blob-url", &blob_url])
                .arg("--data-dir")
                .arg(dir.path().join("data"))
                .arg("--site-root")
                .arg(dir.path().join("no-site"))
                .args(if extra.contains(&"--rate-create-per-min") {
                    &[][..]
                } else {
                    &["--rate-claim-per-min", "0", "--rate-create-per-min", "0"][..]
                })
                .args(["--max-concurrent-uploads", "64"])
                .args(extra)
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            procs.push(KillOnDrop(child));
            dirs.push(dir);
            bases.push(format!("http://127.0.0.1:{port}"));
        }
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        for base in &bases {
            let t = Instant::now();
            while !client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                assert!(t.elapsed() < Duration::from_secs(30), "{base} not ready");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Self {
            bases: [bases[0].clone(), bases[1].clone()],
            client,
            bucket,
            endpoint: moto.endpoint(),
            _procs: procs,
            _dirs: dirs,
        }
    }

    fn api(&self, i: usize, path: &str) -> String {
        format!("{}/api/v1{}", self.bases[i % 2], path)
    }

    /// Keys of every object in the bucket, listed through the S3 API.
    async fn objects(&self) -> Vec<String> {
        let s3 = AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_access_key_id(moto::ACCESS_KEY)
            .with_secret_access_key(moto::SECRET_KEY)
            .with_region(moto::REGION)
            .with_bucket_name(&self.bucket)
            .build()
            .unwrap();
        let metas: Vec<_> = s3.list(None).try_collect().await.unwrap();
        metas.into_iter().map(|m| m.location.to_string()).collect()
    }

    async fn objects_of(&self, s: &Share) -> usize {
        self.objects()
            .await
            .iter()
            .filter(|k| k.contains(&s.id))
            .count()
    }

    async fn create(
        &self,
        at: usize,
        downloads: u32,
        expires_in: u32,
        payload: Option<&[u8]>,
        size: u64,
    ) -> Share {
        let (link, claim) = (random32(), random32());
        let mut body = json!({
            "size": size,
            "expires_in": expires_in,
            "max_downloads": downloads,
            "link_verifier": b64(&Sha256::digest(link)),
            "claim_verifier": b64(&Sha256::digest(claim)),
            "meta": b64(b"sealed meta, opaque to the server"),
            "kdf": null,
        });
        if let Some(p) = payload {
            body["payload"] = json!(b64(p));
        }
        let res = self
            .client
            .post(self.api(at, "/shares"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.unwrap();
        Share {
            id: v["id"].as_str().unwrap().into(),
            link,
            claim,
            manage: v["manage_token"].as_str().unwrap().into(),
            upload: v["upload_token"].as_str().map(str::to_string),
        }
    }

    /// `PUT` part `index`; the status.
    async fn put_part(&self, at: usize, s: &Share, index: usize, bytes: Vec<u8>) -> u16 {
        self.client
            .put(self.api(at, &format!("/shares/{}/parts/{index}", s.id)))
            .bearer_auth(s.upload.as_ref().unwrap())
            .body(bytes)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }

    /// `POST complete`; the status and body.
    async fn complete(&self, at: usize, s: &Share) -> (u16, Value) {
        let res = self
            .client
            .post(self.api(at, &format!("/shares/{}/complete", s.id)))
            .bearer_auth(s.upload.as_ref().unwrap())
            .send()
            .await
            .unwrap();
        let st = res.status().as_u16();
        (st, res.json().await.unwrap_or(Value::Null))
    }

    /// Uploads `data` with part `i` through instance `i`, and completes through the other.
    async fn upload_split(&self, s: &Share, data: &[u8]) {
        for (i, chunk) in data.chunks(PART).enumerate() {
            assert_eq!(self.put_part(i, s, i, chunk.to_vec()).await, 204);
        }
        assert_eq!(self.complete(data.chunks(PART).count(), s).await.0, 204);
    }

    async fn claim(&self, at: usize, s: &Share, claim: &[u8; 32]) -> (u16, Value) {
        let res = self
            .client
            .post(self.api(at, &format!("/shares/{}/claim", s.id)))
            .json(&json!({"link_token": b64(&s.link), "claim_token": b64(claim)}))
            .send()
            .await
            .unwrap();
        let st = res.status().as_u16();
        (st, res.json().await.unwrap_or(Value::Null))
    }

    /// Claims through `at` and downloads through the other instance, with a
    /// resumed `Range` request in the middle through `at` again; releases.
    async fn claim_and_download(&self, at: usize, s: &Share) -> Vec<u8> {
        let (st, v) = self.claim(at, s, &s.claim).await;
        assert_eq!(st, 200, "{v}");
        let ticket = v["ticket"].as_str().unwrap().to_string();
        let blob = format!("/shares/{}/blob", s.id);
        let res = self
            .client
            .get(self.api(at + 1, &blob))
            .bearer_auth(&ticket)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let whole = res.bytes().await.unwrap().to_vec();
        if whole.len() > 10 {
            let from = whole.len() / 2 + 3;
            let res = self
                .client
                .get(self.api(at, &blob))
                .bearer_auth(&ticket)
                .header("range", format!("bytes={from}-"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 206);
            assert_eq!(res.bytes().await.unwrap().as_ref(), &whole[from..]);
        }
        let res = self
            .client
            .delete(self.api(at, &blob))
            .bearer_auth(&ticket)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        whole
    }

    /// Waits until the bucket holds no object of `s`.
    async fn wait_no_objects(&self, s: &Share, what: &str) {
        let t = Instant::now();
        loop {
            let n = self.objects_of(s).await;
            if n == 0 {
                return;
            }
            assert!(
                t.elapsed() < Duration::from_secs(15),
                "{what}: {n} objects left"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[derive(Clone)]
struct Share {
    id: String,
    link: [u8; 32],
    claim: [u8; 32],
    manage: String,
    upload: Option<String>,
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 7919) as u8)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_made_through_one_instance_are_read_through_the_other() {
    let redis = RedisServer::start();
    let p = Pair::start(&redis, moto(), &[]).await;
    // Text (inline: never on S3).
    let text = p
        .create(0, 1, 3600, Some(b"a sealed text, opaque"), 21)
        .await;
    assert_eq!(
        p.claim_and_download(1, &text).await,
        b"a sealed text, opaque"
    );
    assert_eq!(
        p.objects_of(&text).await,
        0,
        "an inline share never touches S3"
    );
    // 20 MiB: parts 0 and 2 through A, part 1 through B, completed through B.
    let data = pattern(20 * 1024 * 1024);
    let file = p.create(0, 1, 3600, None, data.len() as u64).await;
    p.upload_split(&file, &data).await;
    assert_eq!(p.objects_of(&file).await, 3, "one object per part");
    assert!(
        p.claim_and_download(1, &file).await == data,
        "the bytes round-trip"
    );
    p.wait_no_objects(&file, "after the last release").await;
    // A password share: wrong passwords count on both instances, the right one works.
    let pw = p.create(1, 1, 3600, None, 1000).await;
    p.upload_split(&pw, &pattern(1000)).await;
    for at in [0, 1] {
        let (st, v) = p.claim(at, &pw, &random32()).await;
        assert_eq!(st, 401, "{v}");
        assert_eq!(v["attempts_left"], 4 - at as u64);
    }
    assert_eq!(p.claim_and_download(0, &pw).await, pattern(1000));
    p.wait_no_objects(&pw, "after the password share's release")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_claims_across_both_succeed_exactly_downloads_left_times() {
    let redis = RedisServer::start();
    let p = Arc::new(Pair::start(&redis, moto(), &[]).await);
    let s = p.create(0, 7, 3600, None, 4096).await;
    p.upload_split(&s, &pattern(4096)).await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (p, s) = (p.clone(), s.clone());
        tasks.push(tokio::spawn(async move { p.claim(i, &s, &s.claim).await }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            (200, _) => ok += 1,
            (410, v) => assert_eq!(v["reason"], "consumed"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 7);
}

/// One sign-in attempt at the console of `base` (a fresh client each time); the
/// status (that of the sign-in page when it offers no form).
async fn sign_in(base: &str, password: &str) -> u16 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http.get(format!("{base}/admin")).send().await.unwrap();
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let status = res.status().as_u16();
    let page = res.text().await.unwrap();
    // A locked-out address gets no sign-in form at all.
    let Some(at) = page.find("name=\"csrf\" value=\"") else {
        return status;
    };
    let at = at + 19;
    let csrf = page[at..at + page[at..].find('"').unwrap()].to_owned();
    http.post(format!("{base}/admin/login"))
        .header("cookie", cookies.join("; "))
        .form(&[("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Signs in to the console of `base` and takes a share down; the status of the takedown post.
async fn take_down(base: &str, id: &str) -> u16 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut cookies: HashMap<String, String> = HashMap::new();
    async fn step(
        http: &reqwest::Client,
        cookies: &mut HashMap<String, String>,
        req: reqwest::RequestBuilder,
    ) -> (u16, String) {
        let header = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let res = http
            .execute(req.header("cookie", header).build().unwrap())
            .await
            .unwrap();
        for v in res.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            cookies.insert(k.to_owned(), v.to_owned());
        }
        (res.status().as_u16(), res.text().await.unwrap())
    }
    fn csrf(page: &str) -> String {
        let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
        page[at..at + page[at..].find('"').unwrap()].to_owned()
    }
    let (_, page) = step(&http, &mut cookies, http.get(format!("{base}/admin"))).await;
    let form = [("password", PASSWORD.to_owned()), ("csrf", csrf(&page))];
    let login = http.post(format!("{base}/admin/login")).form(&form);
    assert_eq!(step(&http, &mut cookies, login).await.0, 303);
    let (_, page) = step(&http, &mut cookies, http.get(format!("{base}/admin"))).await;
    let form = [("share", id.to_owned()), ("csrf", csrf(&page))];
    let post = http.post(format!("{base}/admin/takedown")).form(&form);
    step(&http, &mut cookies, post).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_object_of_a_share_is_left_after_consume_revoke_takedown_or_expiry() {
    let redis = RedisServer::start();
    let hash = cheap_hash(PASSWORD);
    let p = Pair::start(
        &redis,
        moto(),
        &[
            "--min-expiry-secs",
            "1",
            "--sweep-secs",
            "1",
            "--tombstone-secs",
            "1",
            "--admin-password-hash",
            &hash,
        ],
    )
    .await;
    let data = pattern(PART + 100);
    let mut shares = Vec::new();
    for _ in 0..4 {
        let s = p.create(0, 1, 3600, None, data.len() as u64).await;
        p.upload_split(&s, &data).await;
        assert_eq!(p.objects_of(&s).await, 2);
        shares.push(s);
    }
    // Consumed: the last release deletes at once.
    assert!(p.claim_and_download(0, &shares[0]).await == data);
    p.wait_no_objects(&shares[0], "consumed").await;
    // Revoked through B.
    let res = p
        .client
        .delete(p.api(1, &format!("/shares/{}", shares[1].id)))
        .bearer_auth(&shares[1].manage)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    p.wait_no_objects(&shares[1], "revoked").await;
    // Taken down by the operator through A.
    assert_eq!(take_down(&p.bases[0], &shares[2].id).await, 303);
    p.wait_no_objects(&shares[2], "removed").await;
    // Expired, ready and still uploading: the sweeper of either instance deletes them.
    // (Four seconds to live: enough to upload on a busy machine.)
    let expiring = p.create(1, 1, 4, None, data.len() as u64).await;
    p.upload_split(&expiring, &data).await;
    let uploading = p.create(0, 1, 4, None, data.len() as u64).await;
    assert_eq!(
        p.put_part(1, &uploading, 0, data[..PART].to_vec()).await,
        204
    );
    p.wait_no_objects(&expiring, "expired").await;
    p.wait_no_objects(&uploading, "expired while uploading")
        .await;
    // Only the one live share keeps objects.
    let left = p.objects().await;
    assert!(left.iter().all(|k| k.contains(&shares[3].id)), "{left:?}");
    assert_eq!(left.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_killed_mid_upload_answers_503_and_the_upload_resumes_when_it_returns() {
    let redis = RedisServer::start();
    let mut own = Moto::start();
    let p = Pair::start(&redis, &own, &[]).await;
    let data = pattern(2 * PART + 5);
    let s = p.create(0, 1, 3600, None, data.len() as u64).await;
    let parts: Vec<Vec<u8>> = data.chunks(PART).map(<[u8]>::to_vec).collect();
    assert_eq!(p.put_part(0, &s, 0, parts[0].clone()).await, 204);
    own.kill();
    // S3 is gone: the part and the complete answer 503 `unavailable`, fast enough.
    let t = Instant::now();
    assert_eq!(p.put_part(1, &s, 1, parts[1].clone()).await, 503);
    let (st, v) = p.complete(0, &s).await;
    assert_eq!((st, v["error"].as_str()), (503, Some("unavailable")), "{v}");
    assert!(t.elapsed() < Duration::from_secs(40), "{:?}", t.elapsed());
    // It returns (empty: moto keeps nothing). The client asks what is missing and sends it.
    own.restart();
    own.create_bucket(&p.bucket);
    let (st, v) = p.complete(1, &s).await;
    assert_eq!(st, 409, "{v}");
    let missing: Vec<usize> = v["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(missing, vec![0, 1, 2]);
    for i in missing {
        assert_eq!(p.put_part(i, &s, i, parts[i].clone()).await, 204);
    }
    assert_eq!(p.complete(0, &s).await.0, 204);
    // The share was never consumed by the outage: it downloads once, whole.
    assert!(p.claim_and_download(1, &s).await == data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_limit_of_ten_a_minute_holds_across_both_instances() {
    let redis = RedisServer::start();
    let p = Pair::start(
        &redis,
        moto(),
        &["--rate-create-per-min", "10", "--rate-claim-per-min", "0"],
    )
    .await;
    for i in 0..10 {
        p.create(i, 1, 3600, Some(b"sealed, opaque bytes"), 20)
            .await;
    }
    for at in [0, 1] {
        let res = p
            .client
            .post(p.api(at, "/shares"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            429,
            "the 11th create, through either instance"
        );
        let wait: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=6).contains(&wait), "one create every 6 s: {wait}");
    }
    assert_eq!(
        redis.count_keys("ots:rate:create:*"),
        1,
        "one count, in Redis"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_console_passwords_across_both_instances_lock_the_address_out_on_both() {
    let redis = RedisServer::start();
    let hash = cheap_hash(PASSWORD);
    let p = Pair::start(&redis, moto(), &["--admin-password-hash", &hash]).await;
    for i in 0..4 {
        assert_eq!(
            sign_in(&p.bases[i % 2], "wrong").await,
            401,
            "wrong password {i}"
        );
    }
    assert_eq!(
        sign_in(&p.bases[0], "wrong").await,
        429,
        "the fifth, in all, locks out"
    );
    for base in &p.bases {
        assert_eq!(
            sign_in(base, PASSWORD).await,
            429,
            "locked out on {base} too"
        );
    }
    assert_eq!(redis.count_keys("ots:login:*"), 1, "one count, in Redis");
}
