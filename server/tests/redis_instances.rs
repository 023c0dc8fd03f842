//! Several `onetimeshare` instances on one Redis and one data directory, over real HTTP:
//! one-time claims hold across instances, Redis outages answer 503 and heal by
//! themselves, and expiry removes records from Redis and bytes from disk.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used)]

#[path = "common/redis.rs"]
mod redis_server;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use onetimeshare::Config;
use redis_server::RedisServer;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).unwrap();
    b
}

/// An in-process server (`launch_with_listener`, so `--redis-url` selects the store as in production).
struct Instance {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Instance {
    async fn start(redis_url: &str, data_dir: &Path, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_data_dir(data_dir);
        config.redis_url = Some(redis_url.to_string());
        config.site_root = data_dir.join("no-site");
        config.rate_create_per_min = 0;
        config.rate_claim_per_min = 0;
        config.max_concurrent_uploads = 64;
        // Independent of the host's free space.
        config.max_stored_bytes = Some(1 << 40);
        configure(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(onetimeshare::launch_with_listener(
            config,
            listener,
            async {
                let _ = rx.await;
            },
        ));
        let s = Self {
            base: format!("http://{addr}"),
            stop: Some(stop),
            task: Some(task),
        };
        let c = reqwest::Client::new();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if c.get(format!("{}/readyz", s.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("instance not ready");
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// Two instances sharing one Redis and one data directory.
struct Pair {
    a: Instance,
    b: Instance,
    client: reqwest::Client,
    data_dir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Pair {
    async fn start(redis: &RedisServer, configure: impl Fn(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let a = Instance::start(&redis.url(), &data_dir, &configure).await;
        let b = Instance::start(&redis.url(), &data_dir, &configure).await;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Self {
            a,
            b,
            client,
            data_dir,
            _dir: dir,
        }
    }

    fn pick(&self, i: usize) -> &Instance {
        if i.is_multiple_of(2) {
            &self.a
        } else {
            &self.b
        }
    }

    async fn stop(self) {
        self.a.stop().await;
        self.b.stop().await;
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

impl Share {
    fn claim_body(&self) -> Value {
        json!({"link_token": b64(&self.link), "claim_token": b64(&self.claim)})
    }

    fn wrong_password_body(&self) -> Value {
        json!({"link_token": b64(&self.link), "claim_token": b64(&random32())})
    }
}

async fn create(
    client: &reqwest::Client,
    at: &Instance,
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
    let res = client
        .post(at.api("/shares"))
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

async fn claim(client: &reqwest::Client, at: &Instance, s: &Share, body: &Value) -> (u16, Value) {
    let res = client
        .post(at.api(&format!("/shares/{}/claim", s.id)))
        .json(body)
        .send()
        .await
        .unwrap();
    let st = res.status().as_u16();
    (st, res.json().await.unwrap_or(Value::Null))
}

async fn concurrent_claims(p: &Arc<Pair>, downloads: u32, n: usize) {
    let s = create(
        &p.client,
        &p.a,
        downloads,
        3600,
        Some(b"one-time secret, sealed"),
        23,
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..n {
        let (p, s) = (p.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            claim(&p.client, p.pick(i), &s, &s.claim_body()).await
        }));
    }
    let (mut ok, mut consumed) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            (200, _) => ok += 1,
            (410, v) if v["reason"] == "consumed" => consumed += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(
        (ok, consumed),
        (downloads as usize, n - downloads as usize),
        "d = {downloads}"
    );
    let res = p
        .client
        .get(p.b.api(&format!("/shares/{}/manage", s.id)))
        .bearer_auth(&s.manage)
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["downloads"].as_array().unwrap().len(), downloads as usize);
    assert_eq!(v["state"], "consumed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_claims_across_two_instances_succeed_exactly_d_times() {
    let redis = RedisServer::start();
    let p = Arc::new(Pair::start(&redis, |_| {}).await);
    concurrent_claims(&p, 1, 200).await;
    concurrent_claims(&p, 7, 200).await;
    Arc::into_inner(p).unwrap().stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_wrong_passwords_across_two_instances_count_exactly_five() {
    let redis = RedisServer::start();
    let p = Arc::new(Pair::start(&redis, |_| {}).await);
    let s = create(
        &p.client,
        &p.a,
        1,
        3600,
        Some(b"x, as a sealed payload"),
        22,
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (p, s) = (p.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            claim(&p.client, p.pick(i), &s, &s.wrong_password_body()).await
        }));
    }
    let (mut bad, mut locked) = (0, 0);
    let mut left_seen = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            (401, v) => {
                bad += 1;
                left_seen.push(v["attempts_left"].as_u64().unwrap());
            }
            (423, _) => locked += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    // Four 401s (4, 3, 2, 1 attempts left), then the fifth wrong password locks: 46 × 423.
    left_seen.sort_unstable();
    assert_eq!((bad, locked, left_seen), (4, 46, vec![1, 2, 3, 4]));
    let res = p
        .client
        .get(p.b.api(&format!("/shares/{}/manage", s.id)))
        .bearer_auth(&s.manage)
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        (v["failed_attempts"].as_u64(), v["state"].as_str()),
        (Some(5), Some("locked"))
    );
    // The right password cannot unlock it, on either instance.
    assert_eq!(claim(&p.client, &p.a, &s, &s.claim_body()).await.0, 423);
    assert_eq!(claim(&p.client, &p.b, &s, &s.claim_body()).await.0, 423);
    Arc::into_inner(p).unwrap().stop().await;
}

/// Claims spread over both instances until `stop`; returns `(share index, status, elapsed)` of every answer.
async fn claim_load(
    p: Arc<Pair>,
    shares: Arc<Vec<Share>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Vec<(usize, u16, Duration, Value)> {
    let mut out = Vec::new();
    let mut i = 0usize;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let k = i % shares.len();
        let t = Instant::now();
        let (st, v) = claim(&p.client, p.pick(i), &shares[k], &shares[k].claim_body()).await;
        out.push((k, st, t.elapsed(), v));
        i += 1;
    }
    out
}

async fn ready(p: &Pair, inst: &Instance) -> u16 {
    p.client
        .get(format!("{}/readyz", inst.base))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn wait_ready(p: &Pair) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if ready(p, &p.a).await == 200 && ready(p, &p.b).await == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("instances did not come back after Redis returned");
}

/// Kills Redis under a load of claims from both instances, checks the outage answers, restarts it.
/// Returns the successful claims per share seen during the whole run.
async fn outage_under_load(
    redis: &mut RedisServer,
    p: &Arc<Pair>,
    shares: &Arc<Vec<Share>>,
) -> Vec<usize> {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|_| tokio::spawn(claim_load(p.clone(), shares.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.kill();
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_millis(700)).await;
    // While Redis is down: readiness fails on both instances, quickly.
    for inst in [&p.a, &p.b] {
        let t = Instant::now();
        assert_eq!(ready(p, inst).await, 503);
        assert!(t.elapsed() < Duration::from_secs(1));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answers = Vec::new();
    for w in workers {
        answers.extend(w.await.unwrap());
    }
    redis.restart();
    let restarted = Instant::now();
    wait_ready(p).await;
    eprintln!(
        "back {:?} after the restart, {:?} after the kill",
        restarted.elapsed(),
        killed.elapsed()
    );
    let mut unavailable = 0;
    let mut per_share = vec![0usize; shares.len()];
    for (k, st, took, v) in &answers {
        match st {
            200 => per_share[*k] += 1,
            410 => assert_eq!(v["reason"], "consumed"),
            503 => {
                unavailable += 1;
                assert_eq!(v["error"], "unavailable", "{v}");
                assert!(*took < Duration::from_secs(1), "a 503 took {took:?}");
            }
            other => panic!("unexpected {other} {v}"),
        }
    }
    assert!(unavailable > 0, "the outage was seen");
    per_share
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_during_claims_answers_503_fast_and_an_empty_restart_resumes() {
    let mut redis = RedisServer::start();
    let p = Arc::new(Pair::start(&redis, |_| {}).await);
    let mut shares = Vec::new();
    for _ in 0..10 {
        shares.push(
            create(
                &p.client,
                &p.a,
                100,
                3600,
                Some(b"payload, sealed, opaque"),
                23,
            )
            .await,
        );
    }
    let shares = Arc::new(shares);
    let per_share = outage_under_load(&mut redis, &p, &shares).await;
    assert!(per_share.iter().all(|&n| n <= 100), "{per_share:?}");
    // The restarted Redis is empty: the shares are unknown (never a wrong 200), and new ones work.
    let (st, _) = claim(&p.client, &p.b, &shares[0], &shares[0].claim_body()).await;
    assert_eq!(st, 404);
    let s = create(&p.client, &p.b, 1, 3600, Some(b"fresh sealed payload"), 20).await;
    assert_eq!(claim(&p.client, &p.a, &s, &s.claim_body()).await.0, 200);
    assert_eq!(claim(&p.client, &p.b, &s, &s.claim_body()).await.0, 410);
    Arc::into_inner(p).unwrap().stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_during_claims_and_restarted_with_its_data_never_over_claims() {
    let aof = tempfile::tempdir().unwrap();
    let mut redis = RedisServer::start_persistent(aof.path());
    let p = Arc::new(Pair::start(&redis, |_| {}).await);
    let mut shares = Vec::new();
    for _ in 0..20 {
        shares.push(
            create(
                &p.client,
                &p.a,
                3,
                3600,
                Some(b"payload, sealed, opaque"),
                23,
            )
            .await,
        );
    }
    let shares = Arc::new(shares);
    let mut total = outage_under_load(&mut redis, &p, &shares).await;
    // The shares survived (appendfsync always): finish them off on both instances.
    for (k, s) in shares.iter().enumerate() {
        for i in 0..5 {
            match claim(&p.client, p.pick(i), s, &s.claim_body()).await {
                (200, _) => total[k] += 1,
                (410, v) => assert_eq!(v["reason"], "consumed"),
                other => panic!("unexpected {other:?}"),
            }
        }
        let res = p
            .client
            .get(p.a.api(&format!("/shares/{}/manage", s.id)))
            .bearer_auth(&s.manage)
            .send()
            .await
            .unwrap();
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["state"], "consumed");
        let recorded = v["downloads"].as_array().unwrap().len();
        // Never more than allowed; an answer lost with the connection may leave one claimed unseen.
        assert_eq!(recorded, 3, "share {k}");
        assert!(total[k] <= 3, "share {k} answered 200 {} times", total[k]);
    }
    Arc::into_inner(p).unwrap().stop().await;
}

fn part_dir(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join("parts").join(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_removes_records_from_redis_and_bytes_from_disk() {
    let redis = RedisServer::start();
    let p = Pair::start(&redis, |c| {
        c.min_expiry_secs = 1;
        c.sweep_secs = 1;
        c.tombstone_secs = 1;
    })
    .await;
    let data = vec![7u8; 1000];
    let files = create(&p.client, &p.a, 2, 1, None, 1000).await;
    let token = files.upload.clone().unwrap();
    let r = p
        .client
        .put(p.b.api(&format!("/shares/{}/parts/0", files.id)))
        .bearer_auth(&token)
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = p
        .client
        .post(p.a.api(&format!("/shares/{}/complete", files.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let inline = create(&p.client, &p.b, 1, 1, Some(b"inline sealed bytes!"), 20).await;
    let incomplete = create(&p.client, &p.a, 1, 1, None, 1000).await;
    let r = p
        .client
        .put(p.a.api(&format!("/shares/{}/parts/0", incomplete.id)))
        .bearer_auth(incomplete.upload.as_ref().unwrap())
        .body(data)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(part_dir(&p.data_dir, &files.id).exists());
    assert!(part_dir(&p.data_dir, &incomplete.id).exists());
    assert_eq!(redis.count_keys("ots:{*}"), 3);
    assert_eq!(redis.count_keys("ots:{*}:payload"), 1);
    // Expired: answered as gone by both instances at once.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for inst in [&p.a, &p.b] {
        let (st, v) = claim(&p.client, inst, &files, &files.claim_body()).await;
        assert_eq!((st, v["reason"].as_str()), (410, Some("expired")));
    }
    // Within a few sweeps: bytes gone from disk, records gone from Redis, the sweep index empty.
    let t = Instant::now();
    loop {
        let disk = part_dir(&p.data_dir, &files.id).exists()
            || part_dir(&p.data_dir, &incomplete.id).exists();
        let keys = redis.count_keys("ots:*");
        if !disk && keys == 0 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "still there: disk {disk}, {keys} Redis keys"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for s in [&files, &inline, &incomplete] {
        let st = p
            .client
            .get(p.a.api(&format!("/shares/{}", s.id)))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(st, 404, "forgotten after its tombstone time");
    }
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumed_share_released_on_one_instance_loses_its_bytes_everywhere() {
    let redis = RedisServer::start();
    let p = Pair::start(&redis, |_| {}).await;
    let files = create(&p.client, &p.a, 1, 3600, None, 1000).await;
    let token = files.upload.clone().unwrap();
    let r = p
        .client
        .put(p.a.api(&format!("/shares/{}/parts/0", files.id)))
        .bearer_auth(&token)
        .body(vec![1u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = p
        .client
        .post(p.b.api(&format!("/shares/{}/complete", files.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (st, v) = claim(&p.client, &p.b, &files, &files.claim_body()).await;
    assert_eq!(st, 200);
    let ticket = v["ticket"].as_str().unwrap().to_string();
    let r = p
        .client
        .get(p.a.api(&format!("/shares/{}/blob", files.id)))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().len(), 1000);
    let r = p
        .client
        .delete(p.b.api(&format!("/shares/{}/blob", files.id)))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(!part_dir(&p.data_dir, &files.id).exists());
    let r = p
        .client
        .get(p.a.api(&format!("/shares/{}/blob", files.id)))
        .bearer_auth(&ticket)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_onetimeshare_processes_with_redis_url_share_one_truth() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut procs = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..2 {
        let p = Process::spawn(&redis.url(), dir.path());
        p.wait_ready(&client, 200).await;
        bases.push(p.base.clone());
        procs.push(p);
    }
    let insts: Vec<Instance> = bases
        .iter()
        .map(|b| Instance {
            base: b.clone(),
            stop: None,
            task: None,
        })
        .collect();
    let s = create(
        &client,
        &insts[0],
        7,
        3600,
        Some(b"seven, as a sealed payload"),
        26,
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (client, s, base) = (client.clone(), s.clone(), bases[i % 2].clone());
        tasks.push(tokio::spawn(async move {
            let inst = Instance {
                base,
                stop: None,
                task: None,
            };
            claim(&client, &inst, &s, &s.claim_body()).await.0
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            410 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 7);
    drop(procs);
}

/// A real `onetimeshare` process on a Redis, and every line it writes (its log included).
struct Process {
    child: std::process::Child,
    base: String,
    lines: Arc<std::sync::Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Process {
    fn spawn(redis_url: &str, dir: &Path) -> Self {
        use std::io::{BufRead, BufReader};
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_onetimeshare"))
            .env("OTS_REDIS_URL", redis_url)
            .env("RUST_LOG", "warn")
            .env("OTS_MAX_STORED_BYTES", (1u64 << 40).to_string())
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir.join("data"))
            .args(["--site-root"])
            .arg(dir.join("site"))
            .args(["--rate-claim-per-min", "0", "--rate-create-per-min", "0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                keep.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            lines,
            reader: Some(reader),
        }
    }

    /// Waits until `/readyz` answers `status`.
    async fn wait_ready(&self, client: &reqwest::Client, status: u16) {
        let t = Instant::now();
        loop {
            let got = client.get(format!("{}/readyz", self.base)).send().await;
            if got.is_ok_and(|r| r.status() == status) {
                return;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "{}: /readyz never answered {status}",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops it with `SIGTERM`, as a service manager does, and waits for it to
    /// end and for its last line to be read.
    fn terminate(&mut self) {
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        assert!(self.child.wait().unwrap().success());
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
    }

    /// The lines it wrote at `WARN` or `ERROR` (all of them once [`Process::terminate`] returned).
    fn complaints(&self) -> Vec<String> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .cloned()
            .collect()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_starts_quietly_on_a_reachable_redis_and_says_when_it_cannot_reach_one() {
    let client = reqwest::Client::new();
    let dir = tempfile::tempdir().unwrap();
    let mut redis = RedisServer::not_started();

    // Redis is down: the process serves, is not ready, and says why.
    let mut early = Process::spawn(&redis.url(), &dir.path().join("early"));
    early.wait_ready(&client, 503).await;
    redis.launch();
    early.wait_ready(&client, 200).await;
    early.terminate();
    assert!(
        early
            .complaints()
            .iter()
            .any(|l| l.contains("Redis cannot be reached yet")),
        "{:?}",
        early.complaints()
    );

    // Redis is up: a start, a share and a stop log no warning at all (the
    // clock's first reading of Redis `TIME` included).
    let mut p = Process::spawn(&redis.url(), &dir.path().join("quiet"));
    p.wait_ready(&client, 200).await;
    let inst = Instance {
        base: p.base.clone(),
        stop: None,
        task: None,
    };
    let s = create(&client, &inst, 1, 3600, Some(b"a sealed payload"), 16).await;
    assert_eq!(claim(&client, &inst, &s, &s.claim_body()).await.0, 200);
    p.terminate();
    assert_eq!(p.complaints(), Vec::<String>::new());
}
